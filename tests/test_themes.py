"""Themes (``ws.themes``): discovery on a corpus of three clear topics, stability, names / merges / pins
kept by a refresh, erasure, and the period figures proved on a hand-built assignment."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.errors import (
    InvalidArgumentError,
    NotFoundError,
    ThemesNotComputedError,
    UnknownDimensionError,
)
from advokit.themes import choose_k, label_of, match

from .cli_support import cli

TOPICS = {
    "billing": (["invoice", "billing", "charged twice", "refund", "payment failed", "credit card"],
                ["my {a} was wrong this month", "the {a} and the {b} are a mess", "still waiting for a {a}",
                 "{a} again, please fix the {b}"]),
    "onboarding": (["onboarding", "setup wizard", "getting started guide", "first login", "account setup",
                    "welcome tutorial"],
                   ["the {a} was confusing", "loved the {a} and the {b}", "{a} took too long",
                    "the {a} helped with {b}"]),
    "support": (["support agent", "live chat", "ticket", "response time", "help desk", "phone support"],
                ["the {a} was slow to answer", "great {a}, quick {b}", "my {a} was never answered",
                 "{a} and {b} were rude"]),
}


def corpus(topic: str, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words, templates = TOPICS[topic]
    return [rng.choice(templates).format(a=rng.choice(words), b=rng.choice(words)) for _ in range(n)]


def events(topic: str, texts: list[str], customer: str, month: str = "2025-09") -> list[dict[str, object]]:
    return [{"event_id": f"{topic}-{customer}-{i}", "customer_id": customer, "type": "review",
             "occurred_at": f"{month}-{1 + i % 28:02d}", "score": 3, "text": t} for i, t in enumerate(texts)]


@pytest.fixture
def topical(tmp_path: Path) -> Workspace:
    """150 reviews, 50 per topic; each topic's texts come from its own customer."""
    ws = Workspace(tmp_path / "w.duckdb")
    ws.import_customers([{"customer_id": c, "name": f"Name {c}", "segment": "SMB", "signup_at": "2024-01-01"}
                         for c in ("CB", "CO", "CS")])
    for topic, customer, seed in (("billing", "CB", 1), ("onboarding", "CO", 2), ("support", "CS", 3)):
        ws.import_events(events(topic, corpus(topic, 50, seed), customer))
    yield ws
    ws.close()


def _topic_of(ws: Workspace) -> dict[str, str]:
    """theme_id → the topic most of its texts come from."""
    rows = ws.db.cursor().execute("SELECT theme_id, split_part(event_id, '-', 1) AS topic, count(*) FROM text_themes "
                                  "GROUP BY ALL ORDER BY theme_id, count(*) DESC").fetchall()
    out: dict[str, str] = {}
    for tid, topic, _ in rows:
        out.setdefault(tid, topic)
    return out


def test_discovery_finds_the_three_topics(topical: Workspace) -> None:
    done = topical.themes.refresh()
    # 150 texts // 50 per theme = 3 themes
    assert choose_k(150) == 3 and done["themes"] == 3 and done["texts"] == 150 and done["new"] == 3
    themes = topical.themes.all()
    topic_of = _topic_of(topical)
    assert sorted(topic_of.values()) == ["billing", "onboarding", "support"]
    for theme in themes:
        words = set(TOPICS[topic_of[theme["theme_id"]]][0])
        terms = [t["term"] for t in theme["terms"]]
        assert terms[0] in " ".join(words) and theme["terms"][0]["weight"] == 1.0
        assert len(theme["terms"]) <= 10
    # each text's strongest theme is its own topic's, and no text has more than 3 themes, weights sum to 1
    best = topical.db.cursor().execute(
        "SELECT event_id, arg_max(theme_id, weight), count(*), sum(weight) FROM text_themes GROUP BY event_id").fetchall()
    right = sum(1 for eid, tid, _, _ in best if topic_of[tid] == eid.split("-")[0])
    assert right >= 0.95 * 150
    assert all(n <= 3 and abs(total - 1) < 1e-3 for _, _, n, total in best)


def test_two_refreshes_give_the_same_themes(topical: Workspace) -> None:
    topical.themes.refresh()
    first_themes = [(t["theme_id"], t["label"], t["terms"]) for t in topical.themes.all()]
    first_rows = topical.db.cursor().execute("SELECT * FROM text_themes ORDER BY ALL").fetchall()
    again = topical.themes.refresh()
    assert again["matched"] == 3 and again["new"] == 0
    assert [(t["theme_id"], t["label"], t["terms"]) for t in topical.themes.all()] == first_themes
    assert topical.db.cursor().execute("SELECT * FROM text_themes ORDER BY ALL").fetchall() == first_rows


def test_a_renamed_theme_keeps_its_name_through_a_refresh(topical: Workspace) -> None:
    topical.themes.refresh()
    billing = next(tid for tid, topic in _topic_of(topical).items() if topic == "billing")
    renamed = topical.themes.rename(billing, "  Money   matters ")
    assert renamed["name"] == "Money matters" and renamed["custom_name"] == "Money matters"
    topical.themes.refresh()
    assert topical.themes.get(billing)["name"] == "Money matters"
    assert _topic_of(topical)[billing] == "billing"
    assert topical.themes.rename(billing, "")["name"] == topical.themes.get(billing)["label"]
    with pytest.raises(InvalidArgumentError):
        topical.themes.rename(billing, "x" * 81)
    with pytest.raises(NotFoundError):
        topical.themes.rename("t99", "nothing")


def test_a_pinned_theme_survives_when_it_is_not_found_again_and_erasure_drops_assignments(topical: Workspace) -> None:
    topical.themes.refresh()
    billing = next(tid for tid, topic in _topic_of(topical).items() if topic == "billing")
    topical.themes.pin(billing)
    topical.themes.rename(billing, "Billing")
    topical.themes.rename(next(t for t in _topic_of(topical) if t != billing), "what Name CB said")
    topical.access.erase("CB")  # the billing texts go, and their theme assignments with them
    assert not [t for t in topical.themes.all() if "Name CB" in json.dumps(t)]  # and a theme named after CB
    assert topical.db.cursor().execute(
        "SELECT count(*) FROM text_themes WHERE event_id LIKE 'billing-%'").fetchone()[0] == 0
    # 5 new billing texts among 100 others: 105 texts -> 2 themes discovered, billing not among them
    topical.import_events(events("billing", ["refund for the invoice please", "invoice wrong, refund me",
                                             "refund the invoice charge", "my invoice needs a refund",
                                             "invoice and refund problems"], "CO"))
    done = topical.themes.refresh()
    assert done["kept_pinned"] == 1 and done["themes"] == 3
    kept = topical.themes.get(billing)
    assert kept["pinned"] and kept["name"] == "Billing"
    # the kept theme takes texts by its stored terms: the new billing texts are its own
    rows = dict(topical.db.cursor().execute(
        "SELECT event_id, arg_max(theme_id, weight) FROM text_themes WHERE event_id LIKE 'billing-CO-%' "
        "GROUP BY event_id").fetchall())
    assert len(rows) == 5 and set(rows.values()) == {billing}
    topical.themes.pin(billing, False)
    assert not topical.themes.get(billing)["pinned"]


# -- the period figures on a hand-built assignment -------------------------------------------------------

def _hand_built(tmp_path: Path) -> Workspace:
    """Two themes A (t1) and B (t2) and 20 NPS comments in 2025-09 and 20 in 2025-08, assigned by hand.

    2025-09: A on c0..c11, B on c10..c19 (c10 and c11 carry both).
      scores: c0-c4 10, c5-c7 3, c8-c11 8, c12-c14 9, c15-c17 2, c18-c19 7
      labels: c0-c5 positive, c6-c7 negative, c8-c19 neutral
      customers: c0-c9 CA (segment SMB, named "Ann Lee"), c10-c19 CB (Enterprise)
    2025-08: A on p0..p3, B on p4..p19.
    """
    ws = Workspace(tmp_path / "w.duckdb")
    ws.import_customers([
        {"customer_id": "CA", "name": "Ann Lee", "email": "ann@example.com", "segment": "SMB", "signup_at": "2024-01-01"},
        {"customer_id": "CB", "name": "Bo Kim", "email": "bo@example.com", "segment": "Enterprise",
         "signup_at": "2024-01-01"}])
    scores = [10] * 5 + [3] * 3 + [8] * 4 + [9] * 3 + [2] * 3 + [7] * 2
    texts = ["Ann Lee here: the invoice was wrong, mail ann@example.com"] * 2 + [
        f"the {w} part" for w in "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
        "oscar papa quebec romeo".split()]  # worded apart: {the, w, part} overlap 2/4 = 0.5 < 0.6
    rows = [{"event_id": f"c{i}", "customer_id": "CA" if i < 10 else "CB", "type": "nps_response",
             "occurred_at": f"2025-09-{1 + i:02d}", "score": scores[i], "text": texts[i]} for i in range(20)]
    rows += [{"event_id": f"p{i}", "customer_id": "CB", "type": "nps_response", "occurred_at": f"2025-08-{1 + i:02d}",
              "score": 8, "text": f"earlier comment {i}"} for i in range(20)]
    ws.import_events(rows)
    labels = {f"c{i}": "positive" if i <= 5 else "negative" if i <= 7 else "neutral" for i in range(20)}
    assigned = [(f"c{i}", "t1", 1.0 if i == 0 else 0.5) for i in range(12)]
    assigned += [(f"c{i}", "t2", 0.5) for i in range(10, 20)]
    assigned += [(f"p{i}", "t1", 1.0) for i in range(4)] + [(f"p{i}", "t2", 1.0) for i in range(4, 20)]
    with ws.db.transaction() as cur:
        for eid, label in labels.items():
            cur.execute("UPDATE text_sentiment SET label = ? WHERE event_id = ?", [label, eid])
        cur.execute("INSERT INTO themes VALUES ('t1', 'invoice wrong', NULL, '[[\"invoice\", 1.0]]', false, NULL, "
                    "NULL, NULL), ('t2', 'slow support', NULL, '[[\"support\", 1.0]]', false, NULL, NULL, NULL)")
        cur.executemany("INSERT INTO text_themes VALUES (?, ?, ?)", assigned)
        cur.execute("INSERT INTO meta VALUES ('themes:refreshed_at', '2025-10-01T00:00:00')")
    return ws


def _p(x1: int, n1: int, x2: int, n2: int) -> float:
    """The pooled two-proportion z-test, two-sided, written out."""
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))


def test_share_sentiment_nps_shares_and_the_z_test(tmp_path: Path) -> None:
    with _hand_built(tmp_path) as ws:
        report = ws.themes.report("2025-09")
    assert report["period"] == "2025-09" and report["previous_period"] == "2025-08"
    assert report["texts"] == 20 and report["previous_texts"] == 20
    a, b = report["themes"]
    # A: 12/20 = 0.6 against 4/20 = 0.2; pooled 16/40 = 0.4, se = sqrt(0.4*0.6*(1/20+1/20)) = 0.154919,
    #    z = 0.4 / 0.154919 = 2.582, p = 0.0098 -> rising
    assert (a["theme_id"], a["texts"], a["share"], a["previous_share"], a["change"]) == ("t1", 12, 0.6, 0.2, 0.4)
    assert a["p_value"] == round(_p(12, 20, 4, 20), 4) == 0.0098 and a["trend"] == "rising"
    # net sentiment of A: 6 positive, 2 negative, 4 neutral -> 100 * (6 - 2) / 12 = 33.3
    assert a["net_sentiment"] == 33.3
    # promoters (9-10): c0-c4, c12-c14 = 8, of which A has 5 -> 0.625; detractors (0-6): c5-c7, c15-c17 = 6, A 3 -> 0.5
    assert a["promoter_share"] == 0.625 and a["detractor_share"] == 0.5
    # B: 10/20 = 0.5 against 16/20 = 0.8; pooled 26/40 = 0.65, se = sqrt(0.65*0.35*0.1) = 0.150831,
    #    z = -0.3 / 0.150831 = -1.989, p = 0.0467 -> falling; net 0 (all neutral); promoters 3/8, detractors 3/6
    assert (b["theme_id"], b["share"], b["change"], b["trend"]) == ("t2", 0.5, -0.3, "falling")
    assert b["p_value"] == round(_p(10, 20, 16, 20), 4) == 0.0467
    assert b["net_sentiment"] == 0.0 and b["promoter_share"] == 0.375 and b["detractor_share"] == 0.5


def test_quotes_are_typical_distinct_and_name_no_one(tmp_path: Path) -> None:
    with _hand_built(tmp_path) as ws:
        a = ws.themes.report("2025-09")["themes"][0]
    quotes = a["quotes"]
    # c0 has the highest weight (1.0); c1 says the same words, so the next are the most recent of weight 0.5
    # (c11 on 2025-09-12, then c10)
    assert [q["occurred_at"] for q in quotes] == ["2025-09-01", "2025-09-12", "2025-09-11"]
    assert quotes[0]["text"] == "[name] here: the invoice was wrong, mail [email]"
    assert quotes[0]["segment"] == "SMB" and quotes[1]["segment"] == "Enterprise"
    assert all("Ann" not in q["text"] and "@" not in q["text"] for q in quotes)


def test_by_segment_and_a_merge(tmp_path: Path) -> None:
    with _hand_built(tmp_path) as ws:
        report = ws.themes.report("2025-09", by="segment")
        groups = {g["segment"]: g for g in report["groups"]}
        # SMB holds c0..c9 now (A on all 10) and nothing before: share 1.0, no change to test
        smb = groups["SMB"]["themes"]
        assert groups["SMB"]["texts"] == 10 and [(t["theme_id"], t["share"], t["change"], t["trend"]) for t in smb] \
            == [("t1", 1.0, None, "steady")]
        # Enterprise: c10..c19 now (A on c10, c11: 2/10; B on all 10); before p0..p19 (A 4/20, B 16/20)
        ent = {t["theme_id"]: t for t in groups["Enterprise"]["themes"]}
        assert (ent["t1"]["share"], ent["t2"]["share"], ent["t2"]["previous_share"]) == (0.2, 1.0, 0.8)
        with pytest.raises(UnknownDimensionError):
            ws.themes.report("2025-09", by="email")
        ws.themes.merge("t1", "t2")
        with pytest.raises(InvalidArgumentError):
            ws.themes.merge("t2", "t1")  # t1 reports as t2 already
        merged = ws.themes.report("2025-09")["themes"]
        # every text carries A or B: one theme, t2, on 20/20 now and 20/20 before (c10, c11 counted once)
        assert [(t["theme_id"], t["texts"], t["share"], t["change"], t["trend"]) for t in merged] == \
            [("t2", 20, 1.0, 0.0, "steady")]
        assert ws.themes.get("t1")["merged_into"] == "t2"
        ws.themes.unmerge("t1")
        assert len(ws.themes.report("2025-09")["themes"]) == 2


def test_the_cli_reports_and_manages_themes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _hand_built(tmp_path).close()
    db = str(tmp_path / "w.duckdb")
    code, out, err = cli(capsys, "--db", db, "text", "themes", "--period", "2025-09", "--by", "segment",
                         "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["period"] == "2025-09" and report["by"] == "segment"
    assert [t["theme_id"] for t in report["themes"]] == ["t1", "t2"]
    assert set(report["themes"][0]) >= {"theme_id", "name", "label", "terms", "share", "texts", "net_sentiment",
                                        "promoter_share", "detractor_share", "change", "p_value", "trend", "quotes"}
    code, out, _ = cli(capsys, "--db", db, "text", "theme", "rename", "t1", "Invoices", "--format", "json")
    assert code == 0 and json.loads(out)["name"] == "Invoices"
    code, out, _ = cli(capsys, "--db", db, "text", "theme", "pin", "t1")
    assert code == 0 and "pinned" in out
    code, out, _ = cli(capsys, "--db", db, "text", "themes", "--period", "2025-09")
    assert code == 0 and "Invoices" in out and "rising" in out
    code, _, err = cli(capsys, "--db", db, "text", "themes", "--period", "2025-13")
    assert code != 0 and "invalid month" in err and "Traceback" not in err
    code, _, err = cli(capsys, "--db", db, "text", "theme", "merge", "t1", "t1")
    assert code != 0 and "cannot be merged" in err


def test_a_read_computes_nothing(topical: Workspace) -> None:
    assert not topical.themes.computed()
    for read in (lambda: topical.themes.report("2025-09"), lambda: topical.themes.rename("t1", "x"),
                 lambda: topical.themes.merge("t1", "t2"), lambda: topical.themes.pin("t1"), topical.themes.require):
        with pytest.raises(ThemesNotComputedError) as err:
            read()
        assert err.value.message == "themes not computed yet" and "advokit text theme refresh" in err.value.hint
    assert topical.themes.all() == [] and not topical.themes.computed()
    assert topical.db.cursor().execute("SELECT count(*) FROM text_themes").fetchone()[0] == 0
    topical.themes.refresh()
    report = topical.themes.report("2025-09")
    assert topical.themes.computed() and len(report["themes"]) == 3 and report["texts"] == 150


def test_the_cli_reads_only_what_a_refresh_computed(topical: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(topical.path)
    topical.close()
    for args in (["text", "themes", "--period", "2025-09"], ["text", "theme", "list"]):
        code, _, err = cli(capsys, "--db", db, *args)
        assert code == 1 and "themes not computed yet" in err and "advokit text theme refresh" in err, err
        assert "Traceback" not in err
    code, out, err = cli(capsys, "--db", db, "text", "theme", "refresh")
    assert code == 0 and out.startswith("3 themes in 150 texts"), err
    code, out, _ = cli(capsys, "--db", db, "text", "themes", "--period", "2025-09", "--format", "json")
    assert code == 0 and json.loads(out)["texts"] == 150


def test_labels_and_matching() -> None:
    # the first phrase, or a longer phrase among the terms that contains it; words repeated are no label
    assert label_of(["staff", "friendly staff", "helpful friendly staff"]) == "helpful friendly staff"
    assert label_of(["broadband", "broadband broadband", "faster broadband"]) == "faster broadband"
    assert label_of(["price", "cost"]) == "price"
    # Jaccard of top terms: {a,b,c} vs {a,b,d} = 2/4 = 0.5 (matched); {x} vs {a,b,d} = 0 (not)
    new = [[("a", 1.0), ("b", 0.5), ("c", 0.2)], [("x", 1.0)]]
    old = [[("z", 1.0)], [("a", 1.0), ("b", 0.5), ("d", 0.1)]]
    assert match(new, old) == {0: 1}


def test_the_api_serves_the_themes_of_a_period(tmp_path: Path) -> None:
    from .api_support import Server, new_keys

    _hand_built(tmp_path).close()
    db = tmp_path / "w.duckdb"
    keys = new_keys(db, "read")
    with Server(db) as server, server.client(keys["read"]) as read, server.client() as anonymous:
        got = read.get("/v1/themes", params={"period": "2025-09", "by": "segment"})
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["period"] == "2025-09" and [t["theme_id"] for t in body["themes"]] == ["t1", "t2"]
        assert body["themes"][0]["share"] == 0.6 and body["themes"][0]["trend"] == "rising"
        assert {g["segment"] for g in body["groups"]} == {"SMB", "Enterprise"}
        assert [t["theme_id"] for t in read.get("/v1/themes/list").json()] == ["t2", "t1"]  # 26 texts, then 16
        bad = read.get("/v1/themes", params={"period": "2025-13"})
        assert bad.status_code == 422 and bad.json()["error"]["code"]
        assert anonymous.get("/v1/themes", params={"period": "2025-09"}).status_code == 401


def test_the_api_answers_409_before_a_refresh(topical: Workspace) -> None:
    from .api_support import Server, new_keys

    db = topical.path
    topical.close()
    keys = new_keys(db, "read", "write")
    with Server(db) as server, server.client(keys["read"]) as read, server.client(keys["write"]) as write:
        for path, params in (("/v1/themes", {"period": "2025-09"}), ("/v1/themes/list", {})):
            got = read.get(path, params=params)
            assert got.status_code == 409, got.text
            error = got.json()["error"]
            assert error["code"] == "themes_not_computed" and error["message"] == "themes not computed yet"
            assert "POST /v1/themes/refresh" in error["hint"]
        assert read.post("/v1/themes/refresh").status_code == 403  # computing is a write
        done = write.post("/v1/themes/refresh")
        assert done.status_code == 200 and done.json()["themes"] == 3 and done.json()["texts"] == 150
        assert read.get("/v1/themes", params={"period": "2025-09"}).json()["texts"] == 150
        assert len(read.get("/v1/themes/list").json()) == 3
