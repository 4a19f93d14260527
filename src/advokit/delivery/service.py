"""``Delivery`` (``ws.delivery``): report schedules, and the deliveries they owe.

``run_due(render)`` sends every schedule's owed period to each recipient that has not had it:
each (schedule, period, recipient) is one row of ``deliveries``, unique, claimed as ``sending``
before it is sent and marked ``sent`` or ``failed`` after, so a report is never sent twice
(a second ``run_due`` finds it sent; a failed one is tried again by the next run). The report
itself comes from ``render``, a callable the shell wires in (this package builds no report).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from ..store.database import Database
from . import schedules
from .due import due_period
from .schedules import is_webhook
from .senders import DeliveryFailed, Rendered, post_webhook, send_email, webhook_payload
from .settings import DeliverySettings

log = logging.getLogger(__name__)

#: ``render(kind, period, formats)``: the report's subject, summary text and files.
Render = Callable[[str, str, Sequence[str]], Rendered]
#: A ``sending`` row older than this is taken for a run that died, and may be claimed again.
STALE_SENDING = dt.timedelta(minutes=30)
_DELIVERY_COLUMNS = "schedule_id, period, recipient, status, attempts, last_error, sent_at, updated_at"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _stamp(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


class Delivery:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- schedules ---------------------------------------------------------------------------
    def add(self, *, kind: str, day: int, recipients: Sequence[str], formats: Sequence[str] = ("pdf",),
            period: str | None = None) -> dict[str, Any]:
        """Store a schedule (every argument checked) and return it."""
        return schedules.add(self.db, kind=kind, day=day, recipients=recipients, formats=formats, period=period)

    def schedules(self) -> list[dict[str, Any]]:
        """Every schedule with its deliveries, the latest period first."""
        out = schedules.all_schedules(self.db)
        rows = self.db.cursor().execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries ORDER BY period DESC, recipient").fetchall()
        by_schedule: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_schedule.setdefault(r[0], []).append(
                {"period": r[1], "recipient": r[2], "status": r[3], "attempts": r[4], "last_error": r[5],
                 "sent_at": _stamp(r[6])})
        for s in out:
            s["deliveries"] = by_schedule.get(s["id"], [])
        return out

    def remove(self, schedule_id: str) -> None:
        """Drop a schedule and its delivery record."""
        schedules.remove(self.db, schedule_id)
        with self.db.transaction(data=False) as cur:
            cur.execute("DELETE FROM deliveries WHERE schedule_id = ?", [schedule_id])

    # -- deliveries --------------------------------------------------------------------------
    def run_due(self, render: Render, *, today: dt.date | None = None,
                settings: DeliverySettings | None = None) -> list[dict[str, Any]]:
        """Send what is owed on ``today`` (default: today, UTC); one result per delivery tried."""
        today = today or _now().date()
        settings = settings or DeliverySettings.from_env()
        results: list[dict[str, Any]] = []
        for s in schedules.all_schedules(self.db):
            period = due_period(s, today)
            if period is None:
                continue
            claimed = [r for r in s["recipients"] if self._claim(s["id"], period, r)]
            if not claimed:
                continue
            try:
                rendered = render(s["kind"], period, s["formats"])
            except Exception as exc:  # noqa: BLE001  (recorded, like a failed send; the next run tries again)
                reason = f"the report could not be built: {getattr(exc, 'message', None) or exc}"
                for r in claimed:
                    results.append(self._finish(s, period, r, attempts=1, error=reason))
                continue
            for r in claimed:
                tries, error = self._send(s, period, r, rendered, settings)
                results.append(self._finish(s, period, r, attempts=tries, error=error))
        return results

    def _claim(self, schedule_id: str, period: str, recipient: str) -> bool:
        """Mark one delivery ``sending``; False when it was sent (or is being sent) already."""
        key = [schedule_id, period, recipient]
        with self.db.transaction(data=False) as cur:
            row = cur.execute("SELECT status, updated_at FROM deliveries WHERE schedule_id = ? AND period = ? "
                              "AND recipient = ?", key).fetchall()
            now = _now()
            if not row:
                cur.execute(f"INSERT INTO deliveries ({_DELIVERY_COLUMNS}) VALUES (?, ?, ?, 'sending', 0, NULL, "
                            "NULL, ?)", [*key, now])
                return True
            status, updated = row[0]
            if status == "sent" or (status == "sending" and updated is not None and now - updated < STALE_SENDING):
                return False
            cur.execute("UPDATE deliveries SET status = 'sending', updated_at = ? WHERE schedule_id = ? "
                        "AND period = ? AND recipient = ?", [now, *key])
            return True

    def _send(self, s: dict[str, Any], period: str, recipient: str, rendered: Rendered,
              settings: DeliverySettings) -> tuple[int, str | None]:
        """Try up to ``settings.attempts`` times, waiting ``backoff_s``, then twice as long, between tries."""
        fmt = "pdf" if "pdf" in s["formats"] else s["formats"][0]
        query = {"kind": "monthly" if s["kind"] == "spotlight" else s["kind"], "format": fmt}
        if s["kind"] == "campaign":
            query["from"], query["to"] = period.split("..")
        else:
            query["period"] = period
        link = f"{settings.public_url}/v1/reports?{urlencode(query)}"
        error: str | None = None
        for attempt in range(1, settings.attempts + 1):
            try:
                if is_webhook(recipient):
                    post_webhook(recipient, webhook_payload(rendered, link=link, kind=s["kind"], period=period),
                                 timeout_s=settings.timeout_s)
                else:
                    send_email(settings.smtp, recipient, rendered, link=link)
                return attempt, None
            except DeliveryFailed as exc:
                error = str(exc)
                log.warning("delivery of schedule %s (%s) to %s, try %d: %s", s["id"], period, recipient,
                            attempt, error)
                if attempt < settings.attempts:
                    time.sleep(settings.backoff_s * 2 ** (attempt - 1))
        return settings.attempts, error

    def _finish(self, s: dict[str, Any], period: str, recipient: str, *, attempts: int,
                error: str | None) -> dict[str, Any]:
        status = "failed" if error else "sent"
        now = _now()
        with self.db.transaction(data=False) as cur:
            cur.execute("UPDATE deliveries SET status = ?, attempts = attempts + ?, last_error = ?, sent_at = ?, "
                        "updated_at = ? WHERE schedule_id = ? AND period = ? AND recipient = ?",
                        [status, attempts, error, None if error else now, now, s["id"], period, recipient])
        return {"schedule": s["id"], "kind": s["kind"], "period": period, "recipient": recipient,
                "status": status, "attempts": attempts, "error": error}


class DueRunner:
    """Runs ``delivery.run_due(render)`` after ``first_delay_s``, then every ``settings.interval_s``, in a
    daemon thread (what ``advokit serve`` does)."""

    def __init__(self, delivery: Delivery, render: Render, *, settings: DeliverySettings | None = None,
                 first_delay_s: float = 0.0) -> None:
        self.delivery = delivery
        self.render = render
        self.settings = settings or DeliverySettings.from_env()
        self.first_delay_s = first_delay_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> DueRunner:
        self._thread = threading.Thread(target=self._loop, name="advokit-delivery", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        if self._stop.wait(self.first_delay_s):
            return
        while not self._stop.is_set():
            try:
                for r in self.delivery.run_due(self.render, settings=self.settings):
                    log.info("delivery %s %s to %s: %s", r["schedule"], r["period"], r["recipient"], r["status"])
            except Exception:  # (a workspace closed at shutdown, a full disk: logged, tried again next round)
                log.exception("running due report schedules failed")
            self._stop.wait(self.settings.interval_s)

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
