"""Scheduled report delivery: a real SMTP server (aiosmtpd) and a real HTTP receiver on 127.0.0.1.

The workspace is a small demo (300 customers, 6 months to 2025-06) with the tests' own 12-KPI
catalogue; on 2025-07-03 a monthly schedule with day 3 owes June 2025.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from advokit import Workspace
from advokit.delivery import (
    DeliverySettings,
    DueRunner,
    Rendered,
    SmtpSettings,
    due_period,
)
from advokit.delivery.senders import Attachment
from advokit.demo.load import build_demo
from advokit.store import database as storage

from .analysis_support import catalogue as small_catalogue

DUE_DAY = "2025-07-03"


# -- receivers ------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """aiosmtpd handler: keeps every message it is given, and who logged in."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login == b"reports" and data.password == b"s3cret"
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=box.authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


class Receiver:
    """A local HTTP server: records each POST; paths under /fail answer 500."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((self.path, json.loads(body)))
                status = 500 if self.path.startswith("/fail") else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def hook() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


# -- workspaces -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("delivery-demo") / "demo.duckdb"
    with Workspace(path, catalogue=small_catalogue()) as ws:
        build_demo(ws.kpis, ws.ingest, customers=300, months=6, seed=7, end_month=dt.date(2025, 6, 1))
    return path


@pytest.fixture
def db(demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo; the CLI in this process reads the tests' catalogue."""
    import advokit.workspace as workspace_module

    monkeypatch.setattr(workspace_module, "load_catalogue", small_catalogue)
    for name in [k for k in __import__("os").environ if k.startswith(("ADVOKIT_SMTP_", "ADVOKIT_DELIVERY_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ADVOKIT_DELIVERY_BACKOFF", "0.01")
    return Path(shutil.copy(demo_file, tmp_path / "ws.duckdb"))


def cli(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    """``advokit --db DB ARGS`` in this process (the console script's entry point): exit code, stdout, stderr."""
    from advokit.cli import main

    capsys.readouterr()
    try:
        main(["--db", str(db), *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _smtp_env(monkeypatch: pytest.MonkeyPatch, port: int, *, login: bool = False) -> None:
    monkeypatch.setenv("ADVOKIT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ADVOKIT_SMTP_PORT", str(port))
    monkeypatch.setenv("ADVOKIT_SMTP_TLS", "none")
    monkeypatch.setenv("ADVOKIT_SMTP_FROM", "advokit@example.com")
    if login:
        monkeypatch.setenv("ADVOKIT_SMTP_USER", "reports")
        monkeypatch.setenv("ADVOKIT_SMTP_PASSWORD", "s3cret")


# -- end to end -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_run_due_mails_the_pdf_and_posts_the_webhook_once(db: Path, smtp: tuple[Mailbox, int], hook: Receiver,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    box, port = smtp
    _smtp_env(monkeypatch, port, login=True)
    code, out, _ = cli(capsys, db, "report", "schedule", "add", "--kind", "monthly", "--day", "3",
                       "--to", "cs-leads@example.com", "--format", "pdf", "--to", hook.url + "/slack")
    assert code == 0 and out.startswith("added schedule ")
    schedule_id = out.split()[2].rstrip(":")
    assert out == (f"added schedule {schedule_id}: monthly on day 3 to cs-leads@example.com, {hook.url}/slack "
                   "(pdf)\n")

    code, out, err = cli(capsys, db, "report", "run-due", "--date", DUE_DAY)
    assert code == 0, err
    assert out.splitlines() == [f"sent: monthly 2025-06 (schedule {schedule_id}) to cs-leads@example.com",
                                f"sent: monthly 2025-06 (schedule {schedule_id}) to {hook.url}/slack"]

    # the e-mail: subject, the summary in the body, the PDF attached; sent after logging in
    assert len(box.messages) == 1 and box.logins == ["reports"]
    assert box.envelopes == [("advokit@example.com", ["cs-leads@example.com"])]
    msg = box.messages[0]
    assert msg["Subject"] == "Customer Advocacy Report: June 2025"
    assert msg["To"] == "cs-leads@example.com" and msg["From"] == "advokit@example.com"
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")
    assert text.startswith("In June 2025, against May 2025, ")
    assert "The full report: http://127.0.0.1:8000/v1/reports?kind=monthly&format=pdf&period=2025-06" in text
    parts = list(msg.iter_attachments())
    assert [(p.get_content_type(), p.get_filename()) for p in parts] == [
        ("application/pdf", "report-monthly-2025-06.pdf")]
    pdf = parts[0].get_content()
    assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000

    # the webhook: Slack-compatible text and the same summary, with the link
    assert len(hook.posts) == 1
    path, payload = hook.posts[0]
    assert path == "/slack"
    assert payload["kind"] == "monthly" and payload["period"] == "2025-06" and payload["formats"] == ["pdf"]
    assert payload["title"] == "Customer Advocacy Report: June 2025"
    assert text.startswith(payload["summary"])
    assert payload["link"] == "http://127.0.0.1:8000/v1/reports?kind=monthly&format=pdf&period=2025-06"
    assert payload["text"] == (f"*Customer Advocacy Report: June 2025*\n{payload['summary']}\n"
                               f"<{payload['link']}|Open the report>")

    # idempotent: a second run (the same day, or later in July) sends nothing
    for day in (DUE_DAY, "2025-07-20"):
        code, out, err = cli(capsys, db, "report", "run-due", "--date", day)
        assert (code, out, err.strip()) == (0, "", "nothing due")
    assert len(box.messages) == 1 and len(hook.posts) == 1

    code, out, _ = cli(capsys, db, "report", "schedule", "list", "--format", "json")
    rows = {s["id"]: s for s in json.loads(out)}
    sent = rows[schedule_id]["deliveries"]
    assert [(d["period"], d["recipient"], d["status"], d["attempts"]) for d in sent] == [
        ("2025-06", "cs-leads@example.com", "sent", 1), ("2025-06", hook.url + "/slack", "sent", 1)]
    assert all(d["sent_at"].endswith("Z") and d["last_error"] is None for d in sent)
    code, out, _ = cli(capsys, db, "report", "schedule", "list")
    assert f"2025-06 cs-leads@example.com: sent; {hook.url}/slack: sent" in out


def test_a_failing_webhook_is_retried_recorded_and_listed(db: Path, hook: Receiver,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ADVOKIT_DELIVERY_ATTEMPTS", "3")
    code, out, _ = cli(capsys, db, "report", "schedule", "add", "--kind", "spotlight", "--day", "3",
                       "--to", hook.url + "/fail", "--format", "md")
    assert code == 0
    schedule_id = out.split()[2].rstrip(":")

    code, out, err = cli(capsys, db, "report", "run-due", "--date", DUE_DAY)
    assert code == 1
    assert [p for p, _ in hook.posts] == ["/fail"] * 3  # three tries, then recorded
    assert (f"failed: spotlight 2025-06 (schedule {schedule_id}) to {hook.url}/fail after 3 attempt(s): "
            f"POST {hook.url}/fail: HTTP 500 Internal Server Error") in err
    assert "Traceback" not in err
    payload = hook.posts[0][1]
    assert payload["title"] == "Customer-story spotlight: June 2025"
    assert payload["summary"].startswith("Customer stories of June 2025:\n- \u201c")

    code, out, _ = cli(capsys, db, "report", "schedule", "list")
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.startswith(schedule_id))
    assert (f"2025-06 {hook.url}/fail: failed after 3 attempt(s): POST {hook.url}/fail: HTTP 500 "
            "Internal Server Error") in line

    # the next run tries again (it was not sent); the attempts add up
    assert cli(capsys, db, "report", "run-due", "--date", DUE_DAY)[0] == 1
    assert len(hook.posts) == 6
    code, out, _ = cli(capsys, db, "report", "schedule", "list", "--format", "json")
    (row,) = [s for s in json.loads(out) if s["id"] == schedule_id]
    assert [(d["status"], d["attempts"]) for d in row["deliveries"]] == [("failed", 6)]

    assert cli(capsys, db, "report", "schedule", "remove", schedule_id)[:2] == (0, f"removed schedule {schedule_id}\n")
    assert json.loads(cli(capsys, db, "report", "schedule", "list", "--format", "json")[1]) == []


@pytest.mark.parametrize(("args", "message"), [
    (["--kind", "monthly", "--day", "3", "--to", "cs-leads-at-example.com"],
     "error: 'cs-leads-at-example.com' is neither an e-mail address nor an http(s) URL"),
    (["--kind", "monthly", "--day", "3", "--to", "ftp://files.example.com/x"],
     "error: 'ftp://files.example.com/x' is neither an e-mail address nor an http(s) URL"),
    (["--kind", "monthly", "--day", "0", "--to", "a@example.com"],
     "error: Invalid value for '--day': 0 is not in the range 1<=x<=31."),
    (["--kind", "monthly", "--day", "32", "--to", "a@example.com"],
     "error: Invalid value for '--day': 32 is not in the range 1<=x<=31."),
    (["--kind", "weekly", "--day", "3", "--to", "a@example.com"],
     "error: Invalid value for '--kind': 'weekly' is not one of 'monthly', 'quarterly', 'spotlight', 'campaign'."),
    (["--kind", "monthly", "--day", "3", "--to", "a@example.com", "--format", "docx"],
     "error: Invalid value for '--format': 'docx' is not one of 'pdf', 'html', 'md'."),
    (["--kind", "campaign", "--day", "3", "--to", "a@example.com"],
     "error: a campaign schedule needs its months, not None"),
    (["--kind", "monthly", "--day", "3", "--to", "a@example.com", "--period", "2025-01..2025-02"],
     "error: a monthly schedule reports the period just ended"),
])
def test_bad_schedule_arguments_exit_2_without_a_traceback(db: Path, args: list[str], message: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, db, "report", "schedule", "add", *args)
    assert code == 2 and out == ""
    assert err.startswith(message) and "Traceback" not in err
    assert json.loads(cli(capsys, db, "report", "schedule", "list", "--format", "json")[1]) == []


def test_removing_an_unknown_schedule_says_so(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, db, "report", "schedule", "remove", "nope")
    assert code == 1 and err.startswith("error: no schedule 'nope'") and "Traceback" not in err


def test_report_options_still_work_and_do_not_mix_with_subcommands(db: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "r.md"
    code, out, err = cli(capsys, db, "report", "--period", "2025-05", "--format", "md", "--out", str(out_file))
    assert code == 0, err
    assert out.startswith(f"wrote {out_file} (monthly report 2025-05, md: ")
    assert out_file.read_text(encoding="utf-8").startswith("# Customer Advocacy Report: May 2025")
    code, _, err = cli(capsys, db, "report", "--period", "2025-05", "run-due")
    assert code == 2 and "--period belong(s) to `advokit report` itself" in err


# -- the service ----------------------------------------------------------------------------------
def _rendered(kind: str, period: str, formats: Any) -> Rendered:
    return Rendered(subject=f"{kind} {period}", summary="three things moved",
                    files=[Attachment(f"r.{f}", f, b"%PDF-1.4 tiny") for f in formats])


def test_smtp_failures_are_retried_with_back_off_then_sent(db: Path, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    with Workspace(db, catalogue=small_catalogue()) as ws:
        ws.delivery.add(kind="quarterly", day=5, recipients=["a@example.com", "b@example.com"], formats=["pdf"])
        down = DeliverySettings(smtp=SmtpSettings(host="127.0.0.1", port=_free_port(), tls="none"),
                                attempts=3, backoff_s=0.05)
        started = time.monotonic()
        failed = ws.delivery.run_due(_rendered, today=dt.date(2025, 7, 5), settings=down)
        assert time.monotonic() - started >= 2 * (0.05 + 0.1)  # two waits per recipient: 0.05 s, then 0.1 s
        assert [(r["recipient"], r["period"], r["status"], r["attempts"]) for r in failed] == [
            ("a@example.com", "2025-Q2", "failed", 3), ("b@example.com", "2025-Q2", "failed", 3)]
        assert all(r["error"].startswith(f"SMTP 127.0.0.1:{down.smtp.port}: ") for r in failed)

        up = DeliverySettings(smtp=SmtpSettings(host="127.0.0.1", port=port, tls="none"), backoff_s=0)
        sent = ws.delivery.run_due(_rendered, today=dt.date(2025, 7, 6), settings=up)
        assert [(r["recipient"], r["status"], r["attempts"]) for r in sent] == [
            ("a@example.com", "sent", 1), ("b@example.com", "sent", 1)]
        assert ws.delivery.run_due(_rendered, today=dt.date(2025, 9, 30), settings=up) == []
        assert sorted(to for _, (to,) in box.envelopes) == ["a@example.com", "b@example.com"]
        assert {m["Subject"] for m in box.messages} == {"quarterly 2025-Q2"}
        (row,) = ws.delivery.schedules()
        assert [(d["recipient"], d["status"], d["attempts"]) for d in row["deliveries"]] == [
            ("a@example.com", "sent", 4), ("b@example.com", "sent", 4)]


def test_serve_s_runner_delivers_in_the_background(db: Path, hook: Receiver) -> None:
    with Workspace(db, catalogue=small_catalogue()) as ws:
        ws.delivery.add(kind="monthly", day=1, recipients=[hook.url + "/bg"], formats=["md"])
        runner = DueRunner(ws.delivery, _rendered, settings=DeliverySettings(interval_s=0.05,
                                                                             public_url="http://h:1")).start()
        try:
            deadline = time.monotonic() + 5
            while not hook.posts and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.3)  # several more rounds: still one delivery
        finally:
            runner.stop()
        assert runner._thread is not None and not runner._thread.is_alive()
        today = dt.datetime.now(dt.UTC).date()
        owed = f"{today.year - (today.month == 1):04d}-{(today.month - 2) % 12 + 1:02d}"
        assert [(p, body["period"]) for p, body in hook.posts] == [("/bg", owed)]
        assert hook.posts[0][1]["link"] == f"http://h:1/v1/reports?kind=monthly&format=md&period={owed}"


@pytest.mark.parametrize(("kind", "day", "today", "owed"), [
    ("monthly", 3, "2025-07-02", "2025-05"),
    ("monthly", 3, "2025-07-03", "2025-06"),
    ("monthly", 1, "2025-01-01", "2024-12"),
    ("spotlight", 31, "2025-03-01", "2025-01"),  # February's delivery day is its last day
    ("spotlight", 31, "2025-02-28", "2025-01"),
    ("spotlight", 31, "2025-02-27", "2024-12"),
    ("quarterly", 3, "2025-07-03", "2025-Q2"),
    ("quarterly", 3, "2025-07-02", "2025-Q1"),
    ("quarterly", 10, "2025-09-30", "2025-Q2"),
    ("quarterly", 1, "2025-01-01", "2024-Q4"),
])
def test_the_period_a_schedule_owes(kind: str, day: int, today: str, owed: str) -> None:
    assert due_period({"kind": kind, "day": day, "period": None}, dt.date.fromisoformat(today)) == owed


def test_a_campaign_is_owed_once_its_last_month_is_over() -> None:
    s = {"kind": "campaign", "day": 2, "period": "2025-09..2025-10"}
    assert due_period(s, dt.date(2025, 11, 1)) is None
    assert due_period(s, dt.date(2025, 11, 2)) == "2025-09..2025-10"
    assert due_period(s, dt.date(2026, 3, 1)) == "2025-09..2025-10"


def test_settings_from_the_environment() -> None:
    s = DeliverySettings.from_env({"ADVOKIT_SMTP_HOST": "mail.example.com", "ADVOKIT_SMTP_TLS": "ssl",
                                   "ADVOKIT_SMTP_USER": "bot@example.com", "ADVOKIT_SMTP_PASSWORD": "pw",
                                   "ADVOKIT_DELIVERY_ATTEMPTS": "5", "ADVOKIT_PUBLIC_URL": "https://adv.example.com/"})
    assert s.smtp == SmtpSettings(host="mail.example.com", port=465, user="bot@example.com", password="pw",
                                  sender="bot@example.com", tls="ssl")
    assert (s.attempts, s.backoff_s, s.public_url) == (5, 2.0, "https://adv.example.com")
    assert DeliverySettings.from_env({}).smtp == SmtpSettings(port=587)
    from advokit.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="ADVOKIT_SMTP_TLS='tls' is not a TLS mode"):
        DeliverySettings.from_env({"ADVOKIT_SMTP_TLS": "tls"})
    with pytest.raises(InvalidArgumentError, match="ADVOKIT_DELIVERY_ATTEMPTS='0' is not a number from 1 to 10"):
        DeliverySettings.from_env({"ADVOKIT_DELIVERY_ATTEMPTS": "0"})


def test_a_version_5_workspace_gets_the_schedule_tables(tmp_path: Path) -> None:
    path = tmp_path / "v5.duckdb"
    con = duckdb.connect(str(path))
    for step in storage.MIGRATIONS[:5]:
        for statement in step:
            con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', '5')")
    con.execute("INSERT INTO comments (comment_id, kpi, period, body) VALUES ('c', 'nps', '2025-01', 'kept')")
    con.close()
    with Workspace(path, catalogue=small_catalogue()) as ws:
        assert ws.db.schema_version() == storage.SCHEMA_VERSION == 10
        assert ws.commentary.list()[0]["body"] == "kept"
        added = ws.delivery.add(kind="monthly", day=3, recipients=["a@example.com"])
        assert [s["id"] for s in ws.delivery.schedules()] == [added["id"]]


@pytest.mark.slow
def test_advokit_serve_sends_due_schedules_in_the_background(db: Path, hook: Receiver,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from .api_support import Server

    with Workspace(db, catalogue=small_catalogue()) as ws:
        added = ws.delivery.add(kind="campaign", period="2025-05..2025-06", day=1, recipients=[hook.url + "/serve"],
                                formats=["md"])
    monkeypatch.setenv("ADVOKIT_DELIVERY_INTERVAL", "1")
    server = Server(db).start()
    try:
        deadline = time.monotonic() + 150  # (the server builds the full catalogue's report)
        while not hook.posts and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2.5)  # two more rounds: nothing more is sent
    finally:
        server.stop()
    assert [p for p, _ in hook.posts] == ["/serve"], server.stderr()[-2000:]
    payload = hook.posts[0][1]
    assert (payload["kind"], payload["period"], payload["title"]) == (
        "campaign", "2025-05..2025-06", "Campaign Report: May 2025 to June 2025")
    assert payload["link"] == f"{server.url}/v1/reports?kind=campaign&format=md&from=2025-05&to=2025-06"
    with Workspace(db, catalogue=small_catalogue()) as ws:
        (row,) = ws.delivery.schedules()
    assert row["id"] == added["id"]
    assert [(d["period"], d["status"], d["attempts"]) for d in row["deliveries"]] == [("2025-05..2025-06", "sent", 1)]


# -- TLS ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (made here: no key is committed)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("smtp-tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_and_login(db: Path, tls_files: tuple[Path, Path], mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import ssl

    cert, key = tls_files
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    box = Mailbox()
    port = _free_port()
    tls_args: dict[str, Any] = ({"tls_context": server_tls, "require_starttls": True} if mode == "starttls"
                                else {"ssl_context": server_tls})
    # (aiosmtpd offers AUTH only after its own STARTTLS when auth_require_tls; over implicit TLS the
    # whole session is encrypted anyway)
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=box.authenticate,
                            auth_require_tls=mode == "starttls", **tls_args)
    controller.start()
    try:
        settings = DeliverySettings(smtp=SmtpSettings(host="127.0.0.1", port=port, tls=mode, user="reports",
                                                      password="s3cret", sender="bot@example.com"),
                                    attempts=1, backoff_s=0)
        with Workspace(db, catalogue=small_catalogue()) as ws:
            ws.delivery.add(kind="monthly", day=3, recipients=["a@example.com"])
            # the certificate is not trusted yet: refused, recorded, nothing sent
            (untrusted,) = ws.delivery.run_due(_rendered, today=dt.date(2025, 7, 3), settings=settings)
            assert untrusted["status"] == "failed" and "CERTIFICATE_VERIFY_FAILED" in untrusted["error"]
            assert box.messages == [] and box.logins == []
            monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # (what ssl.create_default_context trusts)
            (sent,) = ws.delivery.run_due(_rendered, today=dt.date(2025, 7, 3), settings=settings)
        assert (sent["status"], sent["attempts"]) == ("sent", 1)
        assert box.logins == ["reports"] and box.envelopes == [("bot@example.com", ["a@example.com"])]
        assert box.messages[0]["Subject"] == "monthly 2025-06"
    finally:
        controller.stop()
