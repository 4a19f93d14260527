"""The sentiment of texts (issue 17): the shipped model, language marking, scoring on import, the stored labels
that net_sentiment and the reports read, rescoring, tuning on the workspace's own scored comments, and
``advokit text sentiment FILE --column COL``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.text import SentimentModel, score_texts
from advokit.text.language import language

from .cli_support import cli, csv_workspace

CUSTOMERS = "customer_id,signup_at,segment\nA,2024-01-01,SMB\nB,2024-01-01,Enterprise\n"


@pytest.fixture(scope="module")
def model() -> SentimentModel:
    return SentimentModel.shipped()


def test_the_shipped_model_reads_clear_texts(model: SentimentModel) -> None:
    texts = ["I love it, the support team was fantastic and so helpful!",
             "Terrible experience, it is broken again and nobody answers. I hate this.",
             "The meeting is on Tuesday at 10am."]
    got = score_texts(model, texts)
    assert [g["label"] for g in got] == ["positive", "negative", "neutral"]
    assert got[0]["score"] > 0.5 and got[1]["score"] < -0.5 and abs(got[2]["score"]) < 0.5
    for g in got:
        assert -1 <= g["score"] <= 1 and 1 / 3 <= g["confidence"] <= 1 and g["language"] == "en"
    # scored in batches or one by one: the same numbers
    one = [score_texts(model, [t])[0] for t in texts]
    assert one == got


def test_other_languages_are_marked_not_guessed(model: SentimentModel) -> None:
    assert language("Das ist wirklich nicht gut, ich bin sehr enttäuscht") == "de"
    assert language("Me encanta este producto, funciona muy bien siempre") == "es"
    assert language("Очень плохой сервис, никто не отвечает") is None  # Cyrillic script
    for english in ("ok", "love it!!", "@united thanks", "Great", "Slow onboarding, confusing billing screens"):
        assert language(english) == "en", english
    got = score_texts(model, ["Das ist wirklich nicht gut, ich bin sehr enttäuscht", "great"])
    assert got[0] == {"label": "language_unsupported", "score": None, "confidence": None, "language": "de"}
    assert got[1]["label"] == "positive"


def _workspace(tmp_path: Path, events: str) -> Workspace:
    return csv_workspace(tmp_path, CUSTOMERS, events)


EVENTS = """event_id,customer_id,type,occurred_at,score,text
n1,A,nps_response,2025-03-02,10,"Fantastic product, I love it and recommend it"
n2,A,nps_response,2025-03-05,2,"Awful, broken and slow, I hate it"
n3,B,nps_response,2025-03-09,8,"The invoice arrives on the first of the month"
n4,B,nps_response,2025-03-12,9,"Das ist wirklich gut, ich bin sehr zufrieden damit"
n5,B,nps_response,2025-03-15,9,
a1,A,activation,2025-03-01,,"not a text type"
"""


def test_texts_are_scored_on_import_and_net_sentiment_reads_the_stored_labels(tmp_path: Path) -> None:
    with _workspace(tmp_path, EVENTS) as ws:
        rows = ws.db.cursor().execute(
            "SELECT event_id, label, model FROM text_sentiment ORDER BY event_id").fetchall()
        version = ws.text.model().version
        assert [(e, m) for e, _, m in rows] == [(e, version) for e in ("n1", "n2", "n3", "n4")]
        labels = {e: lab for e, lab, _ in rows}
        assert labels["n1"] == "positive" and labels["n2"] == "negative"
        assert labels["n4"] == "language_unsupported"
        # the KPI reads the stored labels: set them by hand and work it out
        cur = ws.db.cursor()
        cur.execute("UPDATE text_sentiment SET label = 'positive' WHERE event_id = 'n3'")
        # 3 scored English texts (n4 is not English, n5 has no text): (2 positive - 1 negative) / 3
        r = ws.kpis.compute(["net_sentiment"], period="month", start="2025-03-01", end="2025-04-01")
        assert r.value("net_sentiment", "2025-03") == pytest.approx(100 * (2 - 1) / 3)
        by = ws.kpis.compute(["net_sentiment"], period="month", start="2025-03-01", end="2025-04-01",
                             by=["segment"])
        assert by.value("net_sentiment", "2025-03", segment="SMB") == pytest.approx(0.0)
        assert by.value("net_sentiment", "2025-03", segment="Enterprise") == pytest.approx(100.0)
        # an import of the same rows again scores nothing new and keeps the stored labels
        ws.import_events(tmp_path / "e.csv")
        assert cur.execute("SELECT label FROM text_sentiment WHERE event_id = 'n3'").fetchone() == ("positive",)


def test_rescore_scores_what_another_model_scored(tmp_path: Path) -> None:
    with _workspace(tmp_path, EVENTS) as ws:
        cur = ws.db.cursor()
        cur.execute("UPDATE text_sentiment SET model = 'old-model', label = 'neutral' WHERE event_id IN ('n1', 'n2')")
        assert ws.text.rescore() == {"model": ws.text.model().version, "scored": 2}
        assert cur.execute("SELECT count(*) FROM text_sentiment WHERE model = 'old-model'").fetchone() == (0,)
        assert cur.execute("SELECT label FROM text_sentiment WHERE event_id = 'n1'").fetchone() == ("positive",)
        assert ws.text.rescore() == {"model": ws.text.model().version, "scored": 0}
        assert ws.text.rescore(everything=True)["scored"] == 4


def test_erasure_removes_the_sentiment_of_the_customers_texts(tmp_path: Path) -> None:
    with _workspace(tmp_path, EVENTS) as ws:
        ws.access.erase("A")
        ids = [r[0] for r in ws.db.cursor().execute("SELECT event_id FROM text_sentiment ORDER BY 1").fetchall()]
        assert ids == ["n3", "n4"]


def _tuning_events() -> str:
    """Scored comments in a workspace's own words: 'sluggish' and 'laggy' complaints (detractors), 'adequate'
    (passives), 'frabjous' (promoters, a word no shipped model knows)."""
    lines = ["event_id,customer_id,type,occurred_at,score,text"]
    words = {"negative": ("sluggish dashboard again", 3), "neutral": ("adequate reporting module", 7),
             "positive": ("frabjous onboarding crew", 10)}
    n = 0
    for label, (phrase, score) in words.items():
        for i in range(30):
            n += 1
            lines.append(f"t{n},{'AB'[i % 2]},nps_response,2025-0{1 + i % 6}-{10 + i % 15},{score},"
                         f"\"{phrase} week {i}\"")
    lines.append("u1,A,mention,2025-02-01,,sluggish dashboard again")  # no score: never a training label
    return "\n".join(lines) + "\n"


def test_tune_refines_the_model_on_scored_comments_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _workspace(tmp_path, _tuning_events()) as ws:
        texts, labels = ws.text.weak_labels()
        assert len(texts) == 90 and labels.count("negative") == labels.count("neutral") == 30
        result = ws.text.tune()
        f = result["figures"]
        assert result["texts"] == 90 and f["folds"] == 5 and f["texts"] == 90
        assert f["tuned"]["macro_f1"] == 1.0 and f["tuned"]["macro_f1"] > f["shipped"]["macro_f1"]
        info = ws.text.model_info()
        assert info["tuned"] is True and info["version"] == result["model"] and info["figures"] == f
        cur = ws.db.cursor()
        assert cur.execute("SELECT DISTINCT model FROM text_sentiment").fetchall() == [(result["model"],)]
        assert cur.execute("SELECT label FROM text_sentiment WHERE event_id = 'u1'").fetchone() == ("negative",)
    db = str(tmp_path / "w.duckdb")
    (tmp_path / "f.csv").write_text("id,comment\n1,adequate reporting module\n")
    code, out, err = cli(capsys, "--db", db, "text", "sentiment", str(tmp_path / "f.csv"), "--column", "comment",
                         "--format", "json")
    assert code == 0 and json.loads(out)[0]["label"] == "neutral" and "tuned model" in err
    code, out, _ = cli(capsys, "--db", db, "text", "tune", "--reset")
    assert code == 0 and "shipped model" in out
    with Workspace(tmp_path / "w.duckdb") as ws:
        assert ws.text.model_info()["tuned"] is False


def test_tune_refuses_too_few_scored_comments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _workspace(tmp_path, EVENTS):
        pass
    code, _, err = cli(capsys, "--db", str(tmp_path / "w.duckdb"), "text", "tune")
    assert code == 2 and "too few scored comments to tune on" in err and "Traceback" not in err


def test_cli_scores_a_file_one_object_per_row_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "c.csv"
    with open(f, "w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["id", "comment"])
        w.writerows([["1", "I love this, brilliant support"], ["2", "Broken again, I hate it, awful"], ["3", ""],
                     ["4", "Das ist wirklich nicht gut, ich bin sehr enttäuscht"]])
    db = str(tmp_path / "none.duckdb")
    code, out, _ = cli(capsys, "--db", db, "text", "sentiment", str(f), "--column", "comment", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [r["row"] for r in rows] == [1, 2, 3, 4]
    assert [r["label"] for r in rows] == ["positive", "negative", "neutral", "language_unsupported"]
    assert all(set(r) >= {"label", "score"} for r in rows) and rows[3]["score"] is None
    code, out, _ = cli(capsys, "--db", db, "text", "sentiment", str(f), "--column", "comment", "--format", "csv")
    back = list(csv.DictReader(out.splitlines()))
    assert code == 0 and list(back[0]) == ["id", "comment", "label", "score"]
    assert [(r["id"], r["label"]) for r in back] == [("1", "positive"), ("2", "negative"), ("3", "neutral"),
                                                    ("4", "language_unsupported")]
    assert float(back[0]["score"]) == rows[0]["score"] and back[3]["score"] == ""
    code, _, err = cli(capsys, "--db", db, "text", "sentiment", str(f), "--column", "text")
    assert code == 2 and "no column 'text'" in err and "'comment'" in err and "Traceback" not in err
    code, _, err = cli(capsys, "--db", db, "text", "sentiment", str(tmp_path / "missing.csv"), "--column", "c")
    assert code != 0 and "no such file" in err and "Traceback" not in err
    (tmp_path / "bad.csv").write_bytes(b"id,comment\n1,\xff\xfe bad\n")
    code, _, err = cli(capsys, "--db", db, "text", "sentiment", str(tmp_path / "bad.csv"), "--column", "comment")
    assert code == 1 and "not UTF-8" in err
    assert not Path(db).exists()  # scoring a file never makes a workspace


def test_an_api_batch_is_scored_when_it_lands(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    with Workspace(tmp_path / "w.duckdb") as ws:
        ws.import_customers(tmp_path / "c.csv")
        result = ws.ingest.batch("events", [
            {"event_id": "b1", "customer_id": "A", "type": "review", "occurred_at": "2025-03-01T00:00:00Z",
             "score": 5, "text": "Brilliant, I love it"},
            {"event_id": "b2", "customer_id": "B", "type": "activation", "occurred_at": "2025-03-01T00:00:00Z"}])
        assert result.accepted_ids() == ["b1", "b2"]
        assert ws.db.cursor().execute("SELECT event_id, label FROM text_sentiment").fetchall() == [("b1", "positive")]


def test_the_api_scores_texts_and_reports_the_model(tmp_path: Path) -> None:
    from .api_support import Server, new_keys

    _workspace(tmp_path, EVENTS).close()
    db = tmp_path / "w.duckdb"
    keys = new_keys(db, "read")
    texts = ["I love it, the support team was fantastic and so helpful!",
             "Das ist wirklich nicht gut, ich bin sehr enttäuscht"]
    expected = score_texts(SentimentModel.shipped(), texts)
    with Server(db) as server, server.client(keys["read"]) as read, server.client() as anonymous:
        got = read.post("/v1/text/sentiment", json={"texts": texts})
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["model"] == SentimentModel.shipped().version and body["tuned"] is False
        assert body["results"] == expected and body["results"][1]["label"] == "language_unsupported"
        status = read.get("/v1/text/status").json()
        # n1..n4 were scored on import: n4 is German
        assert sum(status["labels"].values()) == 4 and status["labels"]["language_unsupported"] == 1
        for bad in ({"texts": []}, {"texts": [1]}, {"text": ["x"]}, {"texts": ["x"] * 1001}):
            r = read.post("/v1/text/sentiment", json=bad)
            assert r.status_code == 422 and r.json()["error"]["code"], bad
        assert anonymous.post("/v1/text/sentiment", json={"texts": ["x"]}).status_code == 401
