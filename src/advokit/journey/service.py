"""``Journey`` (``ws.journey``): every customer's journey stage as of a date, and its refresh into the
``journey_stage`` customer attribute; ``Personas`` (``ws.personas``): behavioural personas, stored in the
``persona`` customer attribute."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import ibis
import numpy as np

from ..advocates import parse_as_of
from ..engine.loops import LoopRule
from ..errors import InvalidArgumentError, NotComputedError
from ..store.database import Database
from . import attributes, personas
from .stages import BY_KEY, JOURNEY, SIGNALS, reasons, signal_expr

ATTRIBUTE = "journey_stage"
PERSONA_ATTRIBUTE = "persona"
MAX_LIMIT = 100_000
#: the keys of a row of :meth:`Journey.list`
ROW_KEYS = ("customer_id", "stage", "stage_key", "reasons")


#: short names a ``--stage`` may give
ALIASES = {"value": "value_realization", "advocacy": "advocacy_activation", "expansion": "expansion_readiness",
           "risk": "churn_risk", "churn": "churn_risk", "retention_risk": "churn_risk"}


def stage_key(text: str) -> str:
    """A stage's key from its key, name or short name (:data:`ALIASES`), in any case, spaces or punctuation."""
    norm = re.sub(r"[^a-z]+", "_", str(text).lower()).strip("_")
    if norm in ALIASES:
        return ALIASES[norm]
    for stage in JOURNEY:
        if norm in (stage.key, re.sub(r"[^a-z]+", "_", stage.name.lower()).strip("_")):
            return stage.key
    raise InvalidArgumentError(f"unknown journey stage {text!r}",
                               hint="stages: " + ", ".join(f"{s.name} ({s.key})" for s in JOURNEY))


class Journey:
    """Journey stages of one workspace. ``db`` for the stored attribute, ``backend`` the thread's Ibis
    backend, ``loop_rules`` the closed-loop rules (``ws.loops.rules``)."""

    def __init__(self, db: Database, *, backend: Callable[[], ibis.BaseBackend],
                 loop_rules: Callable[[], tuple[LoopRule, ...]]) -> None:
        self._db = db
        self._backend = backend
        self._loop_rules = loop_rules

    def stages(self) -> list[dict[str, Any]]:
        """The stages in journey order with their meaning, rule and signals (docs/journey.md)."""
        from .stages import PRECEDENCE, stage_rule

        return [{"key": s.key, "name": s.name, "meaning": s.meaning, "rule": stage_rule(s),
                 "precedence": PRECEDENCE.index(s) + 1,
                 "signals": [g.name for g in SIGNALS if g.stage == s]} for s in JOURNEY]

    def compute(self, *, as_of: dt.date | dt.datetime | str | None = None) -> list[dict[str, Any]]:
        """Every customer signed up before ``as_of``: its facts, signals and ``stage`` key, by customer_id."""
        at = parse_as_of(as_of)
        expr = signal_expr(self._backend(), at=at, rules=self._loop_rules())
        rows: list[dict[str, Any]] = expr.order_by("customer_id").to_pyarrow().to_pylist()
        return rows

    def list(self, *, stage: str | None = None, limit: int = MAX_LIMIT,
             as_of: dt.date | dt.datetime | str | None = None) -> list[dict[str, Any]]:
        """Rows of :data:`ROW_KEYS` by customer_id; ``stage`` keeps one stage (key or name, any case)."""
        _check_limit(limit)
        wanted = None if stage is None else stage_key(stage)
        out = []
        for r in self.compute(as_of=as_of):
            if wanted is None or r["stage"] == wanted:
                out.append(_row(r))
                if len(out) >= limit:
                    break
        return out

    def overview(self, *, stage: str | None = None, limit: int = 1000,
                 as_of: dt.date | dt.datetime | str | None = None) -> dict[str, Any]:
        """:meth:`counts` with the rows of :meth:`list` (of ``stage``, at most ``limit``), from one computation."""
        _check_limit(limit)
        wanted = None if stage is None else stage_key(stage)
        at = parse_as_of(as_of)
        found: dict[str, int] = {}
        rows: list[dict[str, Any]] = []
        for r in self.compute(as_of=at):
            found[r["stage"]] = found.get(r["stage"], 0) + 1
            if (wanted is None or r["stage"] == wanted) and len(rows) < limit:
                rows.append(_row(r))
        return {**_counts(at, found), "rows": rows}

    def counts(self, *, as_of: dt.date | dt.datetime | str | None = None) -> dict[str, Any]:
        """Customers per stage (every stage, in journey order) as of ``as_of``."""
        at = parse_as_of(as_of)
        t = signal_expr(self._backend(), at=at, rules=self._loop_rules())
        grouped = t.group_by("stage").aggregate(n=t.customer_id.count()).to_pyarrow().to_pylist()
        found = {r["stage"]: int(r["n"]) for r in grouped}
        return _counts(at, found)

    def refresh(self, *, as_of: dt.date | dt.datetime | str | None = None) -> dict[str, Any]:
        """Store every customer's stage as of ``as_of`` (default today) in ``journey_stage``; customers who
        had not signed up by then get null. Answers the record of the run: as_of, refreshed_at, counts."""
        at = parse_as_of(as_of)
        rows = self.compute(as_of=at)
        values = {r["customer_id"]: BY_KEY[r["stage"]].name for r in rows}
        found: dict[str, int] = {}
        for r in rows:
            found[r["stage"]] = found.get(r["stage"], 0) + 1
        record = {"attribute": ATTRIBUTE, "refreshed_at": _now(), **_counts(at, found)}
        attributes.store(self._db, ATTRIBUTE, values, record)
        return record

    def stored(self) -> dict[str, Any] | None:
        """The record of the last refresh (as_of, refreshed_at, counts), None before the first."""
        return attributes.last_run(self._db, ATTRIBUTE)


def _row(r: dict[str, Any]) -> dict[str, Any]:
    return {"customer_id": r["customer_id"], "stage": BY_KEY[r["stage"]].name, "stage_key": r["stage"],
            "reasons": reasons(r)}


def _counts(at: dt.datetime, found: dict[str, int]) -> dict[str, Any]:
    return {"as_of": at.date().isoformat(), "customers": sum(found.values()),
            "counts": [{"stage": s.name, "stage_key": s.key, "customers": found.get(s.key, 0)} for s in JOURNEY]}


def _check_limit(limit: int) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgumentError(f"limit must be an integer from 1 to {MAX_LIMIT:,}, not {limit!r}")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


class Personas:
    """Behavioural personas of one workspace (:mod:`.personas`), stored in the ``persona`` attribute."""

    def __init__(self, db: Database, *, backend: Callable[[], ibis.BaseBackend],
                 loop_rules: Callable[[], tuple[LoopRule, ...]]) -> None:
        self._db = db
        self._backend = backend
        self._loop_rules = loop_rules

    def compute(self, *, k: int | None = None, as_of: dt.date | dt.datetime | str | None = None,
                seed: int = personas.DEFAULT_SEED) -> tuple[dict[str, Any], dict[str, str]]:
        """The personas of the customers scored at ``as_of`` (nothing stored) and each customer's persona."""
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
            raise InvalidArgumentError(f"seed must be an integer from 0 to 2**32 − 1, not {seed!r}")
        at = parse_as_of(as_of)
        frame = personas.feature_table(self._backend(), at=at, rules=self._loop_rules())
        table = frame.order_by("customer_id").to_pyarrow()
        ids = table.column("customer_id").to_pylist()
        keys = [t.key for t in personas.TRAITS]
        x = np.column_stack([table.column(c).to_numpy(zero_copy_only=False).astype("float64") for c in keys]) \
            if ids else np.zeros((0, len(keys)))
        z, _ = personas.standardise(x)
        chosen, silhouette, candidates, labels = personas.cluster(z, k=k, seed=seed)
        found, index = personas.describe(z, x, labels)
        result = {"as_of": at.date().isoformat(), "seed": seed, "customers": len(ids), "k": chosen,
                  "chosen_by": "given" if k is not None else "silhouette", "silhouette": silhouette,
                  "candidates": candidates, "features": [{"trait": t.key, "label": t.label, "holds": t.holds}
                                                         for t in personas.TRAITS],
                  "personas": found}
        return result, {cid: found[int(i)]["name"] for cid, i in zip(ids, index)}

    def refresh(self, *, k: int | None = None, as_of: dt.date | dt.datetime | str | None = None,
                seed: int = personas.DEFAULT_SEED) -> dict[str, Any]:
        """Compute the personas and store each customer's name in ``persona`` (null for customers not scored
        at ``as_of``); answers the result with ``attribute`` and ``refreshed_at``."""
        result, names = self.compute(k=k, as_of=as_of, seed=seed)
        record = {"attribute": PERSONA_ATTRIBUTE, "refreshed_at": _now(), **result}
        attributes.store(self._db, PERSONA_ATTRIBUTE, names, record)
        return record

    def stored(self) -> dict[str, Any]:
        """The personas of the last refresh, as stored."""
        found = attributes.last_run(self._db, PERSONA_ATTRIBUTE)
        if found is None:
            raise NotComputedError("no personas computed in this workspace yet",
                                   hint="compute them with `advokit personas` (or POST /v1/personas/refresh)")
        return found
