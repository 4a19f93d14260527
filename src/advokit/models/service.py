"""``Models`` (``ws.models``): backtest, train, list and apply the churn and advocacy models.

Constructed with what it needs: the database (for the saved models), the thread's Ibis backend, the
closed-loop rules, and the advocate score's configuration (weights and cut-offs: the backtest's baseline is the
transparent score, computed from the same frame).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import ibis
import importlib.metadata

import numpy as np

from .._version import __version__
from ..advocates import AdvocateConfig, parse_as_of
from ..catalogue import ADVOCACY_ACTION_TYPES
from ..engine.loops import LoopRule
from ..errors import InvalidArgumentError, NotComputedError, NotFoundError
from ..store import Database
from . import saved
from .backtest import backtest, check_test, enough, train, training_rows
from .explain import factors
from .frame import TARGETS, FrameQuery, categorical_columns, feature_names, matrix
from .learners import Fitted

DEFAULT_HORIZON = 90
MAX_HORIZON = 730
#: what a row of the advocate list carries per target
FIELDS = {"churn": ("churn_risk", "churn_factors"), "advocacy": ("advocacy_propensity", "advocacy_factors")}


def check_target(target: str) -> str:
    if target not in TARGETS:
        raise InvalidArgumentError(f"unknown target {target!r}", hint="the targets are: " + ", ".join(TARGETS))
    return target


def check_horizon(horizon_days: int) -> int:
    if not isinstance(horizon_days, int) or isinstance(horizon_days, bool) or not 1 <= horizon_days <= MAX_HORIZON:
        raise InvalidArgumentError(f"horizon must be a whole number of days from 1 to {MAX_HORIZON}, "
                                   f"not {horizon_days!r}", hint="the default is 90")
    return horizon_days


class Models:
    """The predictive models of one workspace."""

    def __init__(self, *, db: Database, backend: Callable[[], ibis.BaseBackend],
                 loop_rules: Callable[[], tuple[LoopRule, ...]],
                 advocate_config: Callable[[], AdvocateConfig]) -> None:
        self._db = db
        self._backend = backend
        self._loop_rules = loop_rules
        self._config = advocate_config

    # -- frames ---------------------------------------------------------------------------
    def _attributes(self) -> list[str]:
        return categorical_columns(self._db.customer_columns())

    def _loader(self, horizon: int, attributes: Sequence[str],
                origin: dt.datetime) -> Callable[[dt.datetime], dict[str, Any]]:
        """The frame at any cutoff, from one query compiled at ``origin`` (:class:`.frame.FrameQuery`)."""
        query = FrameQuery(self._backend(), cutoff=origin, horizon_days=horizon, rules=self._loop_rules(),
                           attributes=attributes)
        return query.load

    def span(self) -> dict[str, str | None]:
        """The data's span: the first signup, the first and last event, the last churn."""
        cur = self._db.cursor()
        c = cur.execute("SELECT min(signup_at), max(churned_at) FROM customers").fetchone()
        e = cur.execute("SELECT min(occurred_at), max(occurred_at) FROM events").fetchone()

        def iso(v: Any) -> str | None:
            return None if v is None else v.isoformat()

        return {"first_signup": iso(c[0] if c else None), "last_churn": iso(c[1] if c else None),
                "first_event": iso(e[0] if e else None), "last_event": iso(e[1] if e else None)}

    def _first(self) -> dt.datetime | None:
        first = self.span()["first_signup"]
        return None if first is None else dt.datetime.fromisoformat(first)

    def _data_end(self) -> dt.datetime:
        """The day after the latest event or churn (midnight): the default cutoff of ``train``."""
        span = self.span()
        ends = [dt.datetime.fromisoformat(v) for v in (span["last_event"], span["last_churn"]) if v]
        if not ends:
            raise InvalidArgumentError("the workspace holds no data to train on", hint="import customers and events")
        last = max(ends)
        return dt.datetime(last.year, last.month, last.day) + dt.timedelta(days=1)

    def _counts(self, target: str, at: dt.datetime, end: dt.datetime) -> tuple[int, int]:
        """Customers active at ``at``, and how many of them are positive in ``(at, end]``: parameterised SQL,
        cheap, for a quick refusal before any frame is built."""
        cur = self._db.cursor()
        active = "c.signup_at < ? AND (c.churned_at IS NULL OR c.churned_at > ?)"
        n = cur.execute(f"SELECT count(*) FROM customers c WHERE {active}", [at, at]).fetchone()
        if target == "churn":
            p = cur.execute(f"SELECT count(*) FROM customers c WHERE {active} AND c.churned_at <= ?",
                            [at, at, end]).fetchone()
        else:
            p = cur.execute(f"SELECT count(DISTINCT e.customer_id) FROM events e JOIN customers c USING (customer_id) "
                            f"WHERE {active} AND e.occurred_at > ? AND e.occurred_at <= ? AND list_contains(?, e.type)",
                            [at, at, at, end, list(ADVOCACY_ACTION_TYPES)]).fetchone()
        return int(n[0]) if n else 0, int(p[0]) if p else 0

    def _positives_between(self, target: str, start: dt.datetime, end: dt.datetime) -> int:
        """Churns (or advocacy actions) in ``(start, end]``: an upper bound of the training positives."""
        if target == "churn":
            args: list[Any] = [start, end]
            sql = "SELECT count(*) FROM customers WHERE churned_at > ? AND churned_at <= ?"
        else:
            sql = "SELECT count(*) FROM events WHERE occurred_at > ? AND occurred_at <= ? AND list_contains(?, type)"
            args = [start, end, list(ADVOCACY_ACTION_TYPES)]
        row = self._db.cursor().execute(sql, args).fetchone()
        return int(row[0]) if row else 0

    # -- backtest ---------------------------------------------------------------------------
    def backtest(self, *, target: str, as_of: dt.date | dt.datetime | str, horizon_days: int = DEFAULT_HORIZON,
                 shuffle_labels: bool = False) -> dict[str, Any]:
        """The model measured at ``as_of`` without leakage, beside the transparent score (docs/models.md)."""
        check_target(target)
        check_horizon(horizon_days)
        return self._backtest(target, parse_as_of(as_of), horizon_days, shuffle_labels=shuffle_labels)

    def _backtest(self, target: str, at: dt.datetime, horizon_days: int, *, shuffle_labels: bool = False,
                  load: Callable[[dt.datetime], dict[str, Any]] | None = None) -> dict[str, Any]:
        n, positives = self._counts(target, at, at + dt.timedelta(days=horizon_days))
        check_test(target, at, horizon_days, n, positives)
        attributes = self._attributes()
        load = load or self._loader(horizon_days, attributes, at)
        out = backtest(load, self._config(), target=target, at=at,
                       horizon=horizon_days, first=self._first(), attributes=attributes, shuffle_labels=shuffle_labels)
        end = self._data_end()
        if at + dt.timedelta(days=horizon_days) > end:
            out["labels_note"] = (f"the data ends {end.date()}, before as_of + horizon "
                                  f"({(at + dt.timedelta(days=horizon_days)).date()}): some labels may be missing")
        return out

    # -- train, list ------------------------------------------------------------------------
    def train(self, *, target: str, horizon_days: int = DEFAULT_HORIZON,
              as_of: dt.date | dt.datetime | str | None = None) -> dict[str, Any]:
        """Fit the model on the monthly cutoffs whose labels are known by ``as_of`` (default: the day after the
        data's last event) and save it with its metadata; the saved model's description."""
        check_target(target)
        check_horizon(horizon_days)
        at = self._data_end() if as_of is None else parse_as_of(as_of)
        until = at - dt.timedelta(days=horizon_days)
        least = 2
        first = self._first()
        if first is None or self._positives_between(target, first, at) < least:
            raise InvalidArgumentError(f"too few {target} positives to train on before {at.date()}",
                                       hint=f"a model needs at least {least} positives and negatives whose "
                                            f"{horizon_days}-day horizon ended by {at.date()}")
        attributes = self._attributes()
        load = self._loader(horizon_days, attributes, at)
        rows, cuts = training_rows(load, until, first=first)
        if not rows["n"] or not enough(np.asarray(rows[target]), least):
            have = int(np.sum(rows[target])) if rows["n"] else 0
            raise InvalidArgumentError(
                f"too few {target} positives to train on: {have} in the cutoffs up to {until.date()}",
                hint=f"a model needs at least {least} positives and negatives whose {horizon_days}-day horizon "
                     f"ended by {at.date()}")
        model, info = train(rows, target, attributes)
        try:
            figures: dict[str, Any] | None = self._backtest(target, until, horizon_days, load=load)
        except InvalidArgumentError as exc:
            figures = {"note": f"no backtest at {until.date()}: {exc.message}"}
        metadata = {
            "as_of": at.date().isoformat(), "span": self.span(), "cutoffs": [c.date().isoformat() for c in cuts],
            "train_rows": int(rows["n"]), "train_positives": int(np.sum(rows[target])),
            "categories": info["categories"], "validation": info["validation"], "backtest": figures,
            "versions": {"advokit": __version__, "scikit-learn": importlib.metadata.version("scikit-learn"),
                         "lightgbm": importlib.metadata.version("lightgbm"), "numpy": np.__version__},
        }
        trained_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        model_id = saved.save(self._db, target=target, horizon=horizon_days, model=model, features=info["features"],
                              metadata=metadata, trained_at=trained_at)
        found = saved.latest(self._db, target)
        assert found is not None and found["model_id"] == model_id
        found.pop("body")
        return found

    def get(self, target: str) -> dict[str, Any]:
        """The model that scores ``target`` (the newest), without its body."""
        found = saved.latest(self._db, check_target(target))
        if found is None:
            raise NotFoundError(f"no {target} model is trained", hint=f"run advokit model train --target {target}")
        found.pop("body")
        return found

    # -- scoring --------------------------------------------------------------------------
    def _usable(self, found: dict[str, Any]) -> tuple[Fitted, dict[str, list[str]]]:
        categories: dict[str, list[str]] = found["categories"]
        expected = feature_names(categories)
        missing = [a for a in categories if a not in self._db.customer_columns()]
        if found["feature_set"] != saved.fingerprint(expected) or found["features"] != expected or missing:
            why = (f"the attributes {', '.join(missing)} are gone" if missing else
                   "the features this advokit computes differ from the model's")
            raise NotComputedError(
                f"the saved {found['target']} model {found['model_id']} was trained on a different feature set "
                f"({why}); it cannot score", hint=f"retrain it: advokit model train --target {found['target']}")
        return Fitted(found["model"].split("_")[0], found["model"], found["body"]), categories

    def score(self, target: str, *, as_of: dt.date | dt.datetime | str | None = None) -> list[dict[str, Any]]:
        """Each active customer's probability from the saved model, with the factors raising and lowering it."""
        found = saved.latest(self._db, check_target(target))
        if found is None:
            raise NotFoundError(f"no {target} model is trained", hint=f"run advokit model train --target {target}")
        return self._score(found, parse_as_of(as_of))

    def _score(self, found: dict[str, Any], at: dt.datetime) -> list[dict[str, Any]]:
        model, categories = self._usable(found)
        frame = self._loader(int(found["horizon_days"]), list(categories), at)(at)
        if not frame["n"]:
            return []
        x = matrix(frame, categories)
        p = model.predict(x)
        contrib, _ = model.contributions(x)
        raw_keys = [k for k in frame if k.startswith(("raw_", "attr_"))]
        out = []
        for i, customer in enumerate(frame["customer_id"]):
            raw = {k: frame[k][i] for k in raw_keys}
            out.append({"customer_id": customer, "probability": round(float(p[i]), 4),
                        "factors": factors(found["features"], contrib[i], raw)})
        return out

    def predictions(self, as_of: dt.datetime) -> dict[str, dict[str, Any]]:
        """Per customer, the fields of the advocate rows (``churn_risk``, ``churn_factors``, ``advocacy_*``)
        for each target that has a saved model; empty when none is trained."""
        if not saved.has_any(self._db):
            return {}
        out: dict[str, dict[str, Any]] = {}
        for target in TARGETS:
            found = saved.latest(self._db, target)
            if found is None:
                continue
            value, why = FIELDS[target]
            for row in self._score(found, as_of):
                out.setdefault(row["customer_id"], {})
                out[row["customer_id"]].update({value: row["probability"], why: row["factors"]})
        return out

    def list(self) -> list[dict[str, Any]]:
        """Every saved model, newest first (no model bodies)."""
        return saved.all_models(self._db)
