"""Predictive models (issue 18): metrics and explanations by hand, the model frame's leakage rule, a backtest that
finds a planted signal (tests/models_support.py: unhappy customers, NPS 0–5, churn), a shuffled-label control
near AUC 0.5, the cross-validation fallback, and a saved model that refuses another feature set."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from advokit import Workspace
from advokit.errors import InvalidArgumentError, NotComputedError, NotFoundError
from advokit.models.explain import factors, sentence
from advokit.models.frame import FrameQuery, categorical_columns, load_frame
from advokit.models.metrics import auc, brier, lift_top_decile

from .cli_support import cli
from .models_support import build

AS_OF = "2025-06-01"
EARLY = "2024-05-01"  # the cutoffs before it hold too few churns: cross-validation


def same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b, equal_nan=True))
    return a == b


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("models") / "m.duckdb")


@pytest.fixture(scope="module")
def ws(db: Path) -> Iterator[Workspace]:
    with Workspace(db) as w:
        yield w


def test_metrics_by_hand() -> None:
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], dtype=float)
    s = np.arange(20, 0, -1, dtype=float)  # row 0 ranked first ... row 19 last
    # pairs positive above negative: row 0 above 17 negatives, row 2 above 16, row 19 above none: 33 / (3 × 17)
    assert auc(y, s) == pytest.approx(33 / 51)
    # the top decile is rows 0 and 1 (ceil(20 / 10) = 2): 1 positive of 2 against 3 of 20: 0.5 / 0.15
    assert lift_top_decile(y, s) == pytest.approx(0.5 / 0.15)
    assert brier(np.array([1.0, 0.0]), np.array([0.75, 0.5])) == pytest.approx((0.0625 + 0.25) / 2)


def test_factors_in_words() -> None:
    raw = {"raw_nps_latest": 3.0, "raw_nps_previous": 9.0, "raw_csat_latest": 2.0, "raw_csat_previous": 5.0,
           "raw_days_since_advocacy": 210, "raw_open_loops": 2, "raw_tenure_days": 400, "attr_plan": "Pro"}
    assert sentence("nps_latest", raw) == "NPS 3"
    assert sentence("nps_trend", raw) == "NPS fell from 9 to 3"
    assert sentence("csat_trend", raw) == "CSAT fell from 5 to 2"
    assert sentence("advocacy_recency_log", raw) == "no advocacy action in 210 days"
    assert sentence("advocacy_never", {"raw_days_since_advocacy": None}) == "no advocacy action on record"
    assert sentence("open_loops_log", raw) == "2 open follow-ups"
    assert sentence("plan=Pro", raw) == "plan is Pro" and sentence("plan=Basic", raw) == "plan is not Basic"
    names = ["nps_latest", "nps_missing", "csat_trend", "tenure_log", "plan=Pro"]
    got = factors(names, np.array([0.9, 0.2, 0.5, -0.3, 0.0]), raw)
    # the NPS and its missing flag say the same thing: one factor of 0.9 + 0.2; a zero says nothing
    assert got["raising"] == [{"factor": "NPS 3", "features": ["nps_latest", "nps_missing"], "contribution": 1.1},
                              {"factor": "CSAT fell from 5 to 2", "features": ["csat_trend"], "contribution": 0.5}]
    assert got["lowering"] == [{"factor": "customer for 400 days", "features": ["tenure_log"], "contribution": -0.3}]


def test_frame_uses_nothing_after_the_cutoff(ws: Workspace, tmp_path: Path, db: Path) -> None:
    at = dt.datetime(2025, 3, 1)
    attrs = categorical_columns(ws.db.customer_columns())
    before = load_frame(ws.kpis.backend(), cutoff=at, horizon_days=90, rules=ws.loops.rules(), attributes=attrs)
    copy = tmp_path / "late.duckdb"
    shutil.copy(db, copy)
    late = [{"event_id": f"late-{c}-{k}", "customer_id": c, "type": t, "occurred_at": when, "score": s}
            for c in before["customer_id"][:50]
            for k, (t, when, s) in enumerate([("nps_response", "2025-03-01T00:00:00", 0), ("review", "2025-03-02", 5),
                                              ("csat_response", "2025-07-01", 1), ("review", "2025-06-15", 5)])]
    with Workspace(copy) as other:
        other.import_events(late)
        after = load_frame(other.kpis.backend(), cutoff=at, horizon_days=90, rules=other.loops.rules(),
                           attributes=attrs)
    features = [k for k in before if k not in ("advocacy", "n")]
    for k in features:  # an event on or after the cutoff changes no feature
        assert same(before[k], after[k]), k
    # reviews in (cutoff, cutoff + 90 days] make the advocacy label; the CSAT after the horizon nothing
    changed = {c for c, a, b in zip(before["customer_id"], before["advocacy"], after["advocacy"]) if a != b}
    assert changed and changed <= set(before["customer_id"][:50])
    assert all(after["advocacy"][: 50] == 1)


def test_one_compiled_query_gives_each_cutoffs_frame(ws: Workspace) -> None:
    attrs = categorical_columns(ws.db.customer_columns())
    query = FrameQuery(ws.kpis.backend(), cutoff=dt.datetime(2025, 6, 1), horizon_days=90, rules=ws.loops.rules(),
                       attributes=attrs)
    other = dt.datetime(2024, 11, 17)
    fresh = load_frame(ws.kpis.backend(), cutoff=other, horizon_days=90, rules=ws.loops.rules(), attributes=attrs)
    moved = query.load(other)
    assert moved["n"] == fresh["n"] > 0
    for k, v in fresh.items():
        assert same(v, moved[k]), k


def test_the_backtest_finds_the_planted_signal(ws: Workspace) -> None:
    r = ws.models.backtest(target="churn", as_of=AS_OF)
    assert r["method"] == "time_split" and r["as_of"] == AS_OF and r["horizon_days"] == 90
    assert r["n"] == 214 and r["positives"] == 14
    assert r["auc"] > 0.7 and r["auc"] >= r["baseline"]["auc"] - 0.02
    assert r["lift_top_decile"] > 2 and 0 < r["brier"] < 0.1
    # the training cutoffs are monthly and their horizon ended by the cutoff under test
    assert all(dt.date.fromisoformat(c) + dt.timedelta(days=90) <= dt.date(2025, 6, 1) for c in r["cutoffs"])
    assert r["cutoffs"][-1] == "2025-03-03"


def test_shuffled_labels_score_near_one_half(ws: Workspace) -> None:
    # advocacy: 89 positives of 214 (the AUC of noise has a standard error near 0.04; churn's 14 give 0.08)
    r = ws.models.backtest(target="advocacy", as_of=AS_OF, shuffle_labels=True)
    assert r["positives"] == 89 and 0.4 <= r["auc"] <= 0.6, r
    assert 0.4 <= r["baseline"]["auc"] <= 0.6 and "shuffled" in r["note"]


def test_thin_history_falls_back_to_cross_validation(capsys: pytest.CaptureFixture[str], db: Path,
                                                     tmp_path: Path) -> None:
    db = Path(shutil.copy(db, tmp_path / "cli.duckdb"))  # (the module's workspace holds the file open)
    code, out, err = cli(capsys, "--db", str(db), "model", "backtest", "--target", "advocacy", "--as-of", EARLY,
                         "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    assert {"target", "as_of", "horizon_days", "method", "n", "positives", "auc", "lift_top_decile", "brier",
            "baseline"} <= set(r) and set(r["baseline"]) == {"auc", "lift_top_decile"}
    assert r["method"] == "cross_validation" and "cross-validation" in r["note"]
    assert r["target"] == "advocacy" and r["auc"] > 0.6
    code, out, err = cli(capsys, "--db", str(db), "model", "backtest", "--target", "churn", "--as-of", "2010-01-01")
    assert code == 2 and err.startswith("error: no active customer")
    code, out, err = cli(capsys, "--db", str(db), "model", "backtest", "--target", "nps", "--as-of", EARLY)
    assert code == 2


def test_train_score_explain_and_refuse_another_feature_set(ws: Workspace) -> None:
    assert ws.advocates.list(limit=1, as_of="2025-09-01")[0]["churn_risk"] is None
    with pytest.raises(NotFoundError):
        ws.models.get("churn")
    saved = ws.models.train(target="churn", as_of="2025-01-01")
    assert saved["target"] == "churn" and saved["as_of"] == "2025-01-01" and saved["features"][0] == "tenure_log"
    assert set(saved["versions"]) >= {"advokit", "scikit-learn", "lightgbm"} and saved["span"]["first_signup"]
    assert all(dt.date.fromisoformat(c) <= dt.date(2024, 10, 3) for c in saved["cutoffs"])
    assert [m["model_id"] for m in ws.models.list()] == [saved["model_id"]]
    rows = ws.advocates.list(as_of="2025-09-01")
    assert all(0 <= r["churn_risk"] <= 1 for r in rows) and all(r["advocacy_propensity"] is None for r in rows)
    # the saved model ranks the unhappy (low NPS) customers riskiest
    nps = {r["customer_id"]: r["nps_latest"] for r in ws.advocates.features(as_of="2025-09-01")}
    risky = sorted(rows, key=lambda r: -r["churn_risk"])[:20]
    assert sum(1 for r in risky if (nps[r["customer_id"]] or 10) <= 5) >= 15
    one = ws.advocates.explain(risky[0]["customer_id"], as_of="2025-09-01")
    assert one["churn_factors"]["raising"] and one["advocacy_factors"] is None
    assert any(f["factor"].startswith("NPS ") for f in one["churn_factors"]["raising"])
    with ws.db.transaction(data=False) as cur:  # a model of another feature set (an older advokit's)
        cur.execute("UPDATE prediction_models SET features = '[\"tenure_log\"]'")
    with pytest.raises(NotComputedError, match="different feature set"):
        ws.models.score("churn", as_of="2025-09-01")
    with pytest.raises(NotComputedError):
        ws.advocates.list(as_of="2025-09-01")
    with ws.db.transaction(data=False) as cur:
        cur.execute("DELETE FROM prediction_models")


def test_bad_arguments(ws: Workspace) -> None:
    with pytest.raises(InvalidArgumentError):
        ws.models.backtest(target="churn", as_of=AS_OF, horizon_days=0)
    with pytest.raises(InvalidArgumentError, match="nothing to measure"):
        ws.models.backtest(target="churn", as_of="2026-03-01")
    with pytest.raises(InvalidArgumentError, match="too few"):
        ws.models.train(target="churn", as_of="2024-01-10")


def test_the_attributes_advokit_derives_are_never_features() -> None:
    """The journey stage and persona are stored as of a refresh day: a churned customer's stage names its churn, so
    a model reading it at an earlier cutoff would see its own label. They stay KPI dimensions only."""
    from advokit.journey import ATTRIBUTE, PERSONA_ATTRIBUTE
    from advokit.models.frame import categorical_columns
    from advokit.store.attributes import DERIVED_ATTRIBUTES

    assert {ATTRIBUTE, PERSONA_ATTRIBUTE} <= DERIVED_ATTRIBUTES
    assert categorical_columns(["segment", ATTRIBUTE, "plan", PERSONA_ATTRIBUTE]) == ["segment", "plan"]
