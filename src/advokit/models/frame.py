"""The model frame at one cutoff: the advocate feature frame, model-ready, with customer attributes and labels.

One Ibis expression per cutoff ``T`` (no Python loop over events), from
:func:`advokit.advocates.features.feature_expr` (only data strictly before ``T``):

* the population: customers in the feature frame that are still active at ``T`` (``churned_at`` empty or
  after ``T``);
* numeric features (:data:`NUMERIC`), fat-tailed counts log-scaled (``ln(1 + n)``), with missing-data flags
  where a feature can be missing (no NPS answer is not an NPS of 0);
* activity features from one more aggregate over the customer's own events before ``T``
  (:func:`activity_expr`): survey, engagement and revenue events over 30 / 90 days and their change against the
  90 days before, days since the latest event, expansion and contraction amounts;
* the customer attributes (``segment``, ``plan``, …, and any attribute column) as text, one-hot encoded
  afterwards for a few frequent values (:func:`choose_categories`);
* the labels in ``(T, T + horizon]``: ``churn`` (``churned_at`` in it) and ``advocacy`` (at least one of the
  data contract's advocacy actions in it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import sqlglot.expressions as sge

from ..advocates.features import ENGAGEMENT_TYPES, FEATURES, REVENUE_EVENT_TYPES, feature_expr
from ..catalogue import ADVOCACY_ACTION_TYPES
from ..catalogue.model import SURVEY_TYPES
from ..engine.loops import days_between
from ..engine.loops import LoopRule
from ..store.attributes import DERIVED_ATTRIBUTES, MAX_DIMENSION_VALUES
from ..store.database import NON_DIMENSION_COLUMNS, PERSONAL_COLUMNS

TARGETS: tuple[str, ...] = ("churn", "advocacy")
#: how far back "no advocacy action" counts (days); an account with none on record gets this
RECENCY_CAP_DAYS = 730
#: customer columns never used as categorical features (ids, personal data, times, numbers, and the attributes
#: advokit derives as of a refresh day, which would leak later facts into earlier cutoffs)
NOT_CATEGORICAL: frozenset[str] = NON_DIMENSION_COLUMNS | PERSONAL_COLUMNS | DERIVED_ATTRIBUTES | {"referred_by"}
#: one-hot values per attribute at most, and the least share of rows a value must hold
MAX_VALUES_PER_ATTRIBUTE = 8
MIN_VALUE_SHARE = 0.02
MIN_VALUE_ROWS = 5

#: the numeric features of a model, and what each holds (docs/models.md repeats them)
NUMERIC: dict[str, str] = {
    "tenure_log": "ln(1 + whole days since signup)",
    "nps_latest": "the latest NPS answer (0–10); missing without one",
    "nps_trend": "latest NPS − the one before it; missing without two",
    "nps_missing": "1 when the customer has no NPS answer",
    "csat_latest": "the latest CSAT answer (1–5); missing without one",
    "csat_trend": "latest CSAT − the one before it; missing without two",
    "csat_missing": "1 when the customer has no CSAT answer",
    "sentiment_net": "(positive − negative) / labelled own texts; missing without one",
    "sentiment_n_log": "ln(1 + the customer's own texts with a sentiment label)",
    "advocacy_recency_log": f"ln(1 + days since the latest advocacy action, at most {RECENCY_CAP_DAYS})",
    "advocacy_never": "1 when no advocacy action is on record",
    "advocacy_365_log": "ln(1 + advocacy actions in the last 365 days)",
    "engagement_90_log": "ln(1 + community, QBR and activation events in the last 90 days)",
    "revenue_log": "ln(1 + arr, else the latest renewal amount); missing without one",
    "revenue_events_365_log": "ln(1 + renewal, expansion and contraction events in the last 365 days)",
    "expansion_365_slog": "sign × ln(1 + |expansion − contraction amounts in the last 365 days|)",
    "contraction_90": "contraction events in the last 90 days",
    "open_loops_log": "ln(1 + answers that needed a follow-up and had none)",
    "days_since_event_log": f"ln(1 + days since the customer's latest event of any type, at most {RECENCY_CAP_DAYS})",
    "surveys_30_log": "ln(1 + survey answers (NPS, CSAT, CES, advocacy rating) in the last 30 days)",
    "surveys_90_log": "ln(1 + survey answers in the last 90 days)",
    "surveys_90_change": "ln(1 + survey answers in the last 90 days) − ln(1 + those in the 90 days before)",
    "engagement_30_log": "ln(1 + community, QBR and activation events in the last 30 days)",
    "engagement_90_change": "ln(1 + engagement events in the last 90 days) − ln(1 + those in the 90 days before)",
    "revenue_events_90_log": "ln(1 + renewal, expansion and contraction events in the last 90 days)",
    "revenue_events_90_change": "ln(1 + revenue events in the last 90 days) − ln(1 + those in the 90 days before)",
    "expansion_amount_90_log": "ln(1 + expansion amounts in the last 90 days)",
    "contraction_amount_90_log": "ln(1 + contraction amounts in the last 90 days)",
    "contraction_amount_365_log": "ln(1 + contraction amounts in the last 365 days)",
    "net_expansion_all_slog": "sign × ln(1 + |expansion − contraction amounts of all the history before the cutoff|)",
}
#: the event groups counted by window (:func:`activity_expr`): survey answers, engagement, revenue events (a count
#: of all events would only add up these and the advocacy actions, which have their own features)
ACTIVITY_GROUPS: dict[str, tuple[str, ...]] = {
    "surveys": SURVEY_TYPES, "engagement": ENGAGEMENT_TYPES, "revenue_events": REVENUE_EVENT_TYPES,
}
#: the windows of the activity counts (days before the cutoff); a change compares the last 90 days with the 90
#: before them
ACTIVITY_WINDOWS: tuple[int, ...] = (30, 90, 180)
#: the raw activity columns kept for the explanations (``raw_<name>``; ``engagement_90`` is the feature frame's)
ACTIVITY_RAW: tuple[str, ...] = tuple(c for c in (
    *(f"{g}_{w}" for g in ACTIVITY_GROUPS for w in ACTIVITY_WINDOWS), "days_since_event",
    "expansion_amount_90", "contraction_amount_90", "contraction_amount_365", "net_expansion_all") if c not in FEATURES)
#: the feature-frame columns kept beside the model's features (``raw_*``): the explanations in words and the
#: transparent score (the backtest's baseline) read them
RAW: tuple[str, ...] = tuple(FEATURES)


def categorical_columns(customer_columns: Sequence[str]) -> list[str]:
    """The customer columns that can be categorical features (every attribute but ids, personal data, times)."""
    return [c for c in customer_columns if c not in NOT_CATEGORICAL]


def activity_expr(backend: ibis.BaseBackend, *, cutoff: dt.datetime) -> ir.Table:
    """Per customer (``a_k``), from its own events strictly before ``cutoff``: the count of each
    :data:`ACTIVITY_GROUPS` group in each of the :data:`ACTIVITY_WINDOWS` (``<group>_<days>``), the latest
    event's time, the expansion and contraction amounts of the last 90 and 365 days and the net expansion of
    all the history before the cutoff. One aggregate."""
    at = ibis.literal(cutoff, "timestamp")
    events = backend.table("events")
    own = events.filter(events.occurred_at < at, events.customer_id.notnull())

    def since(days: int) -> ir.BooleanValue:
        return own.occurred_at >= ibis.literal(cutoff - dt.timedelta(days=days), "timestamp")

    amount = own.amount.fill_null(0.0).cast("float64")
    counts: dict[str, ir.Value] = {}
    for group, types in ACTIVITY_GROUPS.items():
        for w in ACTIVITY_WINDOWS:
            counts[f"{group}_{w}"] = own.event_id.count(where=since(w) & own.type.isin(types))
    return own.group_by(a_k=own.customer_id).aggregate(
        **counts,
        last_event_at=own.occurred_at.max(),
        expansion_amount_90=amount.sum(where=(own.type == "expansion") & since(90)),
        contraction_amount_90=amount.sum(where=(own.type == "contraction") & since(90)),
        contraction_amount_365=amount.sum(where=(own.type == "contraction") & since(365)),
        net_expansion_all=(ibis.ifelse(own.type == "expansion", amount, 0.0)
                           - ibis.ifelse(own.type == "contraction", amount, 0.0)).sum(),
    )


def frame_expr(backend: ibis.BaseBackend, *, cutoff: dt.datetime, horizon_days: int,
               rules: tuple[LoopRule, ...], attributes: Sequence[str]) -> ir.Table:
    """One row per customer active at ``cutoff``: ``customer_id``, ``cutoff``, :data:`NUMERIC`, raw columns
    (``raw_*``: every column of the advocate feature frame), the attributes (``attr_*``, text) and the labels ``churn`` and ``advocacy`` (0/1)."""
    at = ibis.literal(cutoff, "timestamp")
    end = ibis.literal(cutoff + dt.timedelta(days=horizon_days), "timestamp")
    f = feature_expr(backend, as_of=cutoff, rules=rules)
    customers = backend.table("customers")
    people = customers.select("customer_id", "churned_at",
                              **{f"attr_{a}": customers[a].cast("string") for a in attributes})
    people = people.rename(c_id="customer_id")
    f = f.join(people, f.customer_id == people.c_id)
    f = f.filter(f.churned_at.isnull() | (f.churned_at > at))
    events = backend.table("events")
    later = events.filter(events.occurred_at > at, events.occurred_at <= end,
                          events.type.isin(ADVOCACY_ACTION_TYPES), events.customer_id.notnull())
    acts = later.group_by(a_id=later.customer_id).aggregate(actions=later.event_id.count())
    f = f.left_join(acts, f.customer_id == acts.a_id)
    activity = activity_expr(backend, cutoff=cutoff)
    f = f.left_join(activity, f.customer_id == activity.a_k)

    def log1p(x: ir.NumericValue) -> ir.FloatingValue:
        return (x.cast("float64") + 1.0).ln()

    days = f.days_since_advocacy.cast("float64")
    expansion = f.expansion_365.cast("float64")
    numeric: dict[str, ir.Value] = {
        "tenure_log": log1p(f.tenure_days),
        "nps_latest": f.nps_latest.cast("float64"),
        "nps_trend": f.nps_trend.cast("float64"),
        "nps_missing": f.nps_latest.isnull().cast("float64"),
        "csat_latest": f.csat_latest.cast("float64"),
        "csat_trend": (f.csat_latest - f.csat_previous).cast("float64"),
        "csat_missing": f.csat_latest.isnull().cast("float64"),
        "sentiment_net": f.sentiment_net.cast("float64"),
        "sentiment_n_log": log1p(f.sentiment_n),
        "advocacy_recency_log": log1p(ibis.least(days.fill_null(float(RECENCY_CAP_DAYS)),
                                                 float(RECENCY_CAP_DAYS))),
        "advocacy_never": f.days_since_advocacy.isnull().cast("float64"),
        "advocacy_365_log": f.advocacy_365_log,
        "engagement_90_log": f.engagement_90_log,
        "revenue_log": log1p(ibis.greatest(f.revenue, 0.0)),
        "revenue_events_365_log": log1p(f.revenue_events_365),
        "expansion_365_slog": expansion.sign() * log1p(expansion.abs()),
        "contraction_90": f.contraction_90.cast("float64"),
        "open_loops_log": f.open_loops_log,
    }
    act: dict[str, ir.Value] = {f"{g}_{w}": f[f"{g}_{w}"].fill_null(0) for g in ACTIVITY_GROUPS
                                for w in ACTIVITY_WINDOWS}
    act["days_since_event"] = days_between(at, f.last_event_at).floor().cast("int64")
    for name in ("expansion_amount_90", "contraction_amount_90", "contraction_amount_365", "net_expansion_all"):
        act[name] = f[name].fill_null(0.0)

    def change(group: str) -> ir.FloatingValue:
        # the last 90 days against the 90 before them (counts over 180 days minus those over 90)
        return log1p(act[f"{group}_90"]) - log1p(act[f"{group}_180"] - act[f"{group}_90"])

    event_days = act["days_since_event"].cast("float64")
    numeric.update({
        "days_since_event_log": log1p(ibis.least(event_days.fill_null(float(RECENCY_CAP_DAYS)),
                                                 float(RECENCY_CAP_DAYS))),
        "surveys_30_log": log1p(act["surveys_30"]),
        "surveys_90_log": log1p(act["surveys_90"]),
        "surveys_90_change": change("surveys"),
        "engagement_30_log": log1p(act["engagement_30"]),
        "engagement_90_change": change("engagement"),
        "revenue_events_90_log": log1p(act["revenue_events_90"]),
        "revenue_events_90_change": change("revenue_events"),
        "expansion_amount_90_log": log1p(act["expansion_amount_90"]),
        "contraction_amount_90_log": log1p(act["contraction_amount_90"]),
        "contraction_amount_365_log": log1p(act["contraction_amount_365"]),
        "net_expansion_all_slog": act["net_expansion_all"].sign() * log1p(act["net_expansion_all"].abs()),
    })
    return f.select(
        "customer_id", cutoff=at, **numeric,
        **{f"raw_{c}": f[c] for c in RAW},
        **{f"raw_{c}": act[c] for c in ACTIVITY_RAW},
        **{f"attr_{a}": f[f"attr_{a}"] for a in attributes},
        churn=((f.churned_at > at) & (f.churned_at <= end)).fill_null(False).cast("int8"),
        advocacy=(f.actions.fill_null(0) > 0).cast("int8"),
    )


class FrameQuery:
    """The frame at many cutoffs from one compiled, parameterised query.

    Compiling the Ibis expression costs far more than running it (about 0.8 s against 0.05 s on a few hundred
    customers), and a backtest needs a frame per monthly cutoff. Every timestamp in the compiled syntax tree is
    the cutoff or the cutoff moved by a fixed number of days (the windows, the horizon), so each timestamp
    literal of the tree becomes a query parameter (``$1``, ``$2``, … one per distinct offset; a sqlglot
    transform of the tree, no SQL text put together), and the frame at a cutoff is that one statement run with
    the cutoff's timestamps. tests/test_models.py checks it equals the frame built anew.
    """

    def __init__(self, backend: ibis.BaseBackend, *, cutoff: dt.datetime, horizon_days: int,
                 rules: tuple[LoopRule, ...], attributes: Sequence[str]) -> None:
        self._backend = backend
        expr = frame_expr(backend, cutoff=cutoff, horizon_days=horizon_days, rules=rules, attributes=attributes)
        tree: sge.Expression = backend.compiler.to_sqlglot(expr.order_by("customer_id"))
        self._offsets: list[dt.timedelta] = []

        def parameter(node: sge.Expression) -> sge.Expression:
            if not isinstance(node, sge.TimestampFromParts):
                return node
            a = node.args
            at = dt.datetime(int(a["year"].this), int(a["month"].this), int(a["day"].this), int(a["hour"].this),
                             int(a["min"].this)) + dt.timedelta(seconds=float(a["sec"].this))
            if at - cutoff not in self._offsets:
                self._offsets.append(at - cutoff)
            return sge.Cast(this=sge.Placeholder(this=str(self._offsets.index(at - cutoff) + 1)),
                            to=sge.DataType.build("TIMESTAMP"))

        self._sql = tree.transform(parameter).sql(dialect="duckdb")

    def table(self, cutoff: dt.datetime) -> pa.Table:
        """The frame at ``cutoff`` as an Arrow table."""
        con = self._backend.con
        result: pa.Table = con.sql(self._sql, params=[cutoff + d for d in self._offsets]).to_arrow_table()
        return result

    def load(self, cutoff: dt.datetime) -> dict[str, Any]:
        return columns(self.table(cutoff))


def load_frame(backend: ibis.BaseBackend, *, cutoff: dt.datetime, horizon_days: int,
               rules: tuple[LoopRule, ...], attributes: Sequence[str]) -> dict[str, Any]:
    """The frame at ``cutoff`` as columns (numpy float arrays for the numbers, lists for the rest)."""
    return columns(frame_expr(backend, cutoff=cutoff, horizon_days=horizon_days, rules=rules,
                              attributes=attributes).order_by("customer_id").to_pyarrow())


def columns(table: pa.Table) -> dict[str, Any]:
    """A frame's table as columns (numpy float arrays for the numbers and labels, lists for the rest)."""
    out: dict[str, Any] = {}
    for name in table.column_names:
        col = table.column(name)
        if name in NUMERIC or name in TARGETS:
            out[name] = np.asarray(col.to_numpy(zero_copy_only=False), dtype=float)
        else:
            out[name] = col.to_pylist()
    out["n"] = table.num_rows
    return out


def stack(frames: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Several cutoffs' frames as one (rows in cutoff order)."""
    if not frames:
        return {"n": 0}
    out: dict[str, Any] = {}
    for name in frames[0]:
        if name == "n":
            continue
        parts = [f[name] for f in frames]
        out[name] = np.concatenate(parts) if isinstance(parts[0], np.ndarray) else [v for p in parts for v in p]
    out["n"] = sum(int(f["n"]) for f in frames)
    return out


def choose_categories(frame: Mapping[str, Any], attributes: Sequence[str]) -> dict[str, list[str]]:
    """The one-hot values of each attribute: at most :data:`MAX_VALUES_PER_ATTRIBUTE` of its most frequent
    values holding at least :data:`MIN_VALUE_SHARE` of the rows (and :data:`MIN_VALUE_ROWS`); an attribute
    with more than ``MAX_DIMENSION_VALUES`` distinct values (an id, a free text) or a single value is left out."""
    n = int(frame["n"])
    floor = max(MIN_VALUE_ROWS, math.ceil(MIN_VALUE_SHARE * n))
    chosen: dict[str, list[str]] = {}
    for a in attributes:
        counts = Counter(v for v in frame[f"attr_{a}"] if v is not None and v != "")
        if len(counts) < 2 or len(counts) > MAX_DIMENSION_VALUES:
            continue
        values = sorted((v for v, k in counts.items() if k >= floor), key=lambda v: (-counts[v], v))
        if values:
            chosen[a] = values[:MAX_VALUES_PER_ATTRIBUTE]
    return chosen


def one_hot_names(categories: Mapping[str, Sequence[str]]) -> list[str]:
    return [f"{a}={v}" for a, values in categories.items() for v in values]


def feature_names(categories: Mapping[str, Sequence[str]]) -> list[str]:
    """The model's columns: :data:`NUMERIC`, then ``attribute=value`` flags."""
    return [*NUMERIC, *one_hot_names(categories)]


def matrix(frame: Mapping[str, Any], categories: Mapping[str, Sequence[str]]) -> np.ndarray:
    """The rows × :func:`feature_names` matrix (NaN where a numeric feature is missing)."""
    n = int(frame["n"])
    cols = [np.asarray(frame[name], dtype=float) for name in NUMERIC]
    for a, values in categories.items():
        column = frame[f"attr_{a}"]
        for v in values:
            cols.append(np.fromiter((1.0 if x == v else 0.0 for x in column), dtype=float, count=n))
    return np.column_stack(cols) if cols else np.zeros((n, 0))
