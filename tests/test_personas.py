"""Personas (issue 18): three planted behaviours, found again by a seeded KMeans with k chosen by silhouette,
named and described from their traits; the naming rules on hand-made centres; `--by persona`; CLI JSON.

The workspace: 24 customers signed up 2024-01-01, scored as of 2025-07-01, in three groups of 8:
H  arr ≈ 100,000, NPS 10, three reviews in 2025 (advocacy, and four events in the year)
M  arr ≈ 10,000,  NPS 7,  one social share (two events)
L  arr ≈ 1,000,   NPS 1,  nothing else (one event)
No CSAT, text or expansion anywhere: those features are constant (z = 0 for every cluster).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from advokit import Workspace
from advokit.errors import InvalidArgumentError, NotComputedError
from advokit.journey.personas import TRAITS, describe

from .cli_support import cli, csv_workspace

AS_OF = "2025-07-01"
GROUPS = {"H": (100_000, 1000, 10, 3, "review"), "M": (10_000, 100, 7, 1, "social_share"), "L": (1_000, 10, 1, 0, "")}


def _texts() -> tuple[str, str]:
    customers = ["customer_id,signup_at,arr"]
    events = ["event_id,customer_id,type,occurred_at,score"]
    for g, (arr, step, nps, actions, kind) in GROUPS.items():
        for i in range(8):
            cid = f"{g}{i}"
            customers.append(f"{cid},2024-01-01,{arr + step * i}")
            events.append(f"{cid}_n,{cid},nps_response,2025-03-{i + 1:02d},{nps}")
            for a in range(actions):
                events.append(f"{cid}_a{a},{cid},{kind},2025-0{a + 4}-{i + 1:02d},")
    return "\n".join(customers) + "\n", "\n".join(events) + "\n"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("personas")
    csv_workspace(path, *_texts()).close()
    return path / "w.duckdb"


@pytest.fixture(scope="module")
def found(db: Path) -> dict:
    with Workspace(db) as ws:
        return ws.personas.refresh(as_of=AS_OF)


def test_planted_clusters_found_with_k_by_silhouette(found: dict, db: Path) -> None:
    assert [c["k"] for c in found["candidates"]] == [2, 3, 4, 5, 6]
    best = max(found["candidates"], key=lambda c: c["silhouette"])
    assert found["k"] == best["k"] == 3 and found["silhouette"] == best["silhouette"] > 0.8
    assert found["chosen_by"] == "silhouette" and found["customers"] == 24
    with Workspace(db) as ws:
        stored = dict(ws.db.cursor().execute("SELECT customer_id, persona FROM customers").fetchall())
    by_group = {g: {stored[f"{g}{i}"] for i in range(8)} for g in GROUPS}
    assert all(len(names) == 1 for names in by_group.values())  # each planted group is one persona
    assert len({next(iter(n)) for n in by_group.values()}) == 3


def test_names_and_descriptions_from_traits(found: dict, db: Path) -> None:
    with Workspace(db) as ws:
        stored = dict(ws.db.cursor().execute("SELECT customer_id, persona FROM customers").fetchall())
    personas = {p["name"]: p for p in found["personas"]}
    high = personas[stored["H0"]]
    low = personas[stored["L0"]]
    assert [p["size"] for p in found["personas"]] == [8, 8, 8]
    # H sits above the average on revenue, NPS, interactions and advocacy; L below; CSAT etc. are constant
    z = {t["trait"]: t["z"] for t in high["traits"]}
    assert z["revenue"] > 1 and z["nps"] > 1 and z["advocacy"] > 1 and z["csat"] == 0 and z["expansion"] == 0
    first, second = [t for t in high["traits"] if t["distinguishing"]][:2]
    adjectives = {t.key: t.high_adj for t in TRAITS}
    nouns = {t.key: t.high_noun for t in TRAITS}
    assert high["name"] == f"{adjectives[first['trait']]} {nouns[second['trait']]}"
    assert high["description"].startswith(f"{first['label'][:1].upper()}{first['label'][1:]} well above average")
    assert all(t["z"] < 0 for t in low["traits"] if t["distinguishing"])
    assert {t["trait"] for t in low["traits"] if not t["distinguishing"]} == {"expansion", "csat", "sentiment"}
    assert len(personas) == 3  # unique names


def test_deterministic_with_a_seed_and_k_given(db: Path, found: dict) -> None:
    with Workspace(db) as ws:
        again, names = ws.personas.compute(as_of=AS_OF)
        assert {k: v for k, v in found.items() if k not in ("refreshed_at", "attribute")} == again
        four, _ = ws.personas.compute(k=4, as_of=AS_OF, seed=7)
        assert (four["k"], four["chosen_by"], [c["k"] for c in four["candidates"]]) == (4, "given", [4])
        with pytest.raises(InvalidArgumentError, match="k must be an integer from 2 to 12"):
            ws.personas.compute(k=1, as_of=AS_OF)
        with pytest.raises(InvalidArgumentError, match="at least 3 customers"):
            ws.personas.compute(as_of="2024-01-01")  # nobody signed up before


def test_naming_rules_on_hand_made_centres() -> None:
    keys = [t.key for t in TRAITS]

    def row(**z: float) -> list[float]:
        return [z.get(k, 0.0) for k in keys]

    # two clusters of two rows each; the centres are their rows' mean
    a = row(revenue=1.2, nps=0.7, advocacy=-0.6)
    b = row(revenue=1.2, nps=0.7, interactions=0.55)
    c = row()
    z = np.array([a, a, b, b, c])
    raw = z.copy()
    raw[:, keys.index("csat")] = np.nan
    personas, index = describe(z, raw, np.array([0, 0, 2, 2, 1]))
    assert [p["name"] for p in personas] == ["High-revenue promoters", "High-revenue promoters (highly engaged)",
                                             "Typical customers"]
    assert personas[0]["description"] == "Revenue well above average, NPS above average, advocacy actions below average"
    assert personas[2]["description"] == "Close to the average on every trait"
    assert list(index) == [0, 0, 1, 1, 2]
    assert next(t for t in personas[0]["traits"] if t["trait"] == "csat")["mean"] is None


def test_by_persona_and_cli(db: Path, found: dict, capsys: pytest.CaptureFixture[str]) -> None:
    with Workspace(db) as ws:
        rows = ws.compute(["nps"], period="year", by=["persona"], start="2025", end="2025").to_dicts()
        assert {r["persona"]: r["n"] for r in rows} == {p["name"]: 8 for p in found["personas"]}
        assert ws.personas.stored()["k"] == 3
    code, out, _ = cli(capsys, "--db", str(db), "personas", "--as-of", AS_OF, "--format", "json")
    data = json.loads(out)
    assert code == 0 and {"k", "silhouette", "candidates", "personas"} <= set(data)
    assert set(data["personas"][0]) >= {"name", "description", "size", "traits"}
    assert set(data["candidates"][0]) == {"k", "silhouette"}
    code, out, _ = cli(capsys, "--db", str(db), "personas", "--k", "2", "--as-of", AS_OF)
    assert code == 0 and out.startswith("2 personas of 24 customers as of 2025-07-01 (k given; k=2: ")
    code, _, err = cli(capsys, "--db", str(db), "personas", "--k", "30")
    assert code == 2


def test_not_computed(tmp_path: Path) -> None:
    with Workspace(tmp_path / "empty.duckdb") as ws:
        with pytest.raises(NotComputedError):
            ws.personas.stored()
        assert ws.journey.stored() is None


def test_fitted_on_a_sample_beyond_the_fit_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from advokit.journey import personas

    rng = np.random.default_rng(0)
    z = np.vstack([rng.normal(c, 0.05, size=(20, 7)) for c in (-2.0, 0.0, 2.0)])
    monkeypatch.setattr(personas, "FIT_SAMPLE", 15)
    k, silhouette, candidates, labels = personas.cluster(z, k=None, seed=1)
    assert k == 3 and silhouette > 0.9 and len(candidates) == 5
    assert [len(set(labels[i * 20:(i + 1) * 20])) for i in range(3)] == [1, 1, 1]  # every row assigned
