"""Two baselines for the twelve-KPI pack by month × segment, written by hand.

* ``hand_sql``: one hand-written DuckDB SQL query (what an analyst would write).
* ``pandas_pack``: the same pack with pandas group-bys.

Both return a DataFrame with columns kpi, period, segment, value, so the
benchmark can check that they agree with the engine.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

ACTIONS = ["referral_sent", "review", "testimonial", "case_study", "reference_call", "social_share",
           "community_post", "ugc_post", "speaking"]

HAND_SQL = """
WITH periods AS (
  SELECT ps, ps + INTERVAL 1 MONTH AS pe, strftime(ps, '%Y-%m') AS period
  FROM generate_series(CAST($lo AS TIMESTAMP), CAST($hi AS TIMESTAMP) - INTERVAL 1 DAY, INTERVAL 1 MONTH) t(ps)
),
groups AS (SELECT DISTINCT segment FROM customers),
ev AS (
  SELECT date_trunc('month', e.occurred_at) AS ps, c.segment,
    count(*) FILTER (WHERE e.type = 'nps_response') AS nps_n,
    count(*) FILTER (WHERE e.type = 'nps_response' AND e.score >= 9) AS nps_p,
    count(*) FILTER (WHERE e.type = 'nps_response' AND e.score <= 6) AS nps_d,
    count(*) FILTER (WHERE e.type = 'csat_response') AS csat_n,
    count(*) FILTER (WHERE e.type = 'csat_response' AND e.score >= 4) AS csat_s,
    avg(e.score) FILTER (WHERE e.type = 'advocacy_rating') AS cas_mean,
    count(*) FILTER (WHERE e.type IN $actions) AS actions,
    count(DISTINCT e.customer_id) FILTER (WHERE e.type IN $actions) AS advocates,
    count(DISTINCT e.customer_id) FILTER (WHERE e.type = 'referral_sent') AS referrers,
    count(*) FILTER (WHERE e.type = 'referral_sent') AS ref_sent,
    count(*) FILTER (WHERE e.type = 'referral_converted') AS ref_conv,
    coalesce(sum(e.amount) FILTER (WHERE e.type = 'referral_converted'), 0) AS ref_rev,
    count(*) FILTER (WHERE e.type = 'renewal_due') AS due,
    count(*) FILTER (WHERE e.type = 'renewal') AS renewed,
    coalesce(sum(e.amount) FILTER (WHERE e.type = 'expansion'), 0) AS exp_rev
  FROM events e JOIN customers c USING (customer_id)
  WHERE e.occurred_at >= CAST($lo AS TIMESTAMP) AND e.occurred_at < CAST($hi AS TIMESTAMP)
  GROUP BY ALL
),
pop AS (
  SELECT p.ps, c.segment,
    count(*) AS active,
    count(*) FILTER (WHERE c.signup_at < p.ps) AS at_start,
    count(*) FILTER (WHERE c.churned_at IS NULL OR c.churned_at >= p.pe) AS at_end,
    count(*) FILTER (WHERE c.signup_at >= p.ps) AS new,
    count(*) FILTER (WHERE c.signup_at < p.ps AND c.churned_at < p.pe) AS churned
  FROM customers c JOIN periods p ON c.signup_at < p.pe AND (c.churned_at IS NULL OR c.churned_at >= p.ps)
  GROUP BY ALL
),
wide AS (
  SELECT p.period, g.segment, ev.*, pop.* EXCLUDE (ps, segment)
  FROM periods p CROSS JOIN groups g
  LEFT JOIN ev ON ev.ps = p.ps AND ev.segment IS NOT DISTINCT FROM g.segment
  LEFT JOIN pop ON pop.ps = p.ps AND pop.segment IS NOT DISTINCT FROM g.segment
)
SELECT period, segment,
  100.0 * (nps_p - nps_d) / nullif(nps_n, 0) AS nps,
  100.0 * csat_s / nullif(csat_n, 0) AS csat,
  100.0 * cas_mean / 5 AS customer_advocacy_score,
  coalesce(actions, 0) * 1.0 / nullif(active, 0) AS advocacy_actions_per_customer,
  100.0 * coalesce(advocates, 0) / nullif(active, 0) AS active_advocates_rate,
  100.0 * coalesce(referrers, 0) / nullif(active, 0) AS referral_participation_rate,
  100.0 * ref_conv / nullif(ref_sent, 0) AS referral_conversion_rate,
  coalesce(ref_rev, 0) AS referral_revenue,
  100.0 * coalesce(churned, 0) / nullif(at_start, 0) AS customer_churn_rate,
  100.0 * (coalesce(at_end, 0) - coalesce(new, 0)) / nullif(at_start, 0) AS customer_retention_rate,
  100.0 * renewed / nullif(due, 0) AS contract_renewal_rate,
  coalesce(exp_rev, 0) AS expansion_revenue
FROM wide
"""

KPIS = ["nps", "csat", "customer_advocacy_score", "advocacy_actions_per_customer", "active_advocates_rate",
        "referral_participation_rate", "referral_conversion_rate", "referral_revenue", "customer_churn_rate",
        "customer_retention_rate", "contract_renewal_rate", "expansion_revenue"]


def _long(wide: pd.DataFrame) -> pd.DataFrame:
    out = wide.melt(id_vars=["period", "segment"], value_vars=KPIS, var_name="kpi", value_name="value")
    return out[["kpi", "period", "segment", "value"]]


def hand_sql(con: duckdb.DuckDBPyConnection, lo: dt.date, hi: dt.date) -> pd.DataFrame:
    wide = con.execute(HAND_SQL, {"lo": lo, "hi": hi, "actions": ACTIONS}).df()
    return _long(wide)


def pandas_pack(customers: pd.DataFrame, events: pd.DataFrame, lo: dt.date, hi: dt.date) -> pd.DataFrame:
    starts = pd.date_range(pd.Timestamp(lo), pd.Timestamp(hi) - pd.Timedelta(days=1), freq="MS")
    periods = pd.DataFrame({"ps": starts, "pe": starts + pd.offsets.MonthBegin(1)})
    periods["period"] = periods["ps"].dt.strftime("%Y-%m")
    cust = customers[["customer_id", "segment", "signup_at", "churned_at"]]
    ev = events[(events["occurred_at"] >= pd.Timestamp(lo)) & (events["occurred_at"] < pd.Timestamp(hi))]
    ev = ev.merge(cust[["customer_id", "segment"]], on="customer_id", how="inner")
    ev = ev.assign(ps=ev["occurred_at"].dt.to_period("M").dt.start_time.astype("datetime64[us]"))
    t, s = ev["type"], ev["score"]
    is_action = t.isin(ACTIONS)
    flags = pd.DataFrame({
        "ps": ev["ps"], "segment": ev["segment"].fillna("\0null"),
        "nps_n": t == "nps_response", "nps_p": (t == "nps_response") & (s >= 9),
        "nps_d": (t == "nps_response") & (s <= 6), "csat_n": t == "csat_response",
        "csat_s": (t == "csat_response") & (s >= 4), "cas_n": t == "advocacy_rating",
        "cas_sum": np.where(t == "advocacy_rating", s, 0.0), "actions": is_action,
        "ref_sent": t == "referral_sent", "ref_conv": t == "referral_converted",
        "ref_rev": np.where(t == "referral_converted", ev["amount"].fillna(0), 0.0),
        "due": t == "renewal_due", "renewed": t == "renewal",
        "exp_rev": np.where(t == "expansion", ev["amount"].fillna(0), 0.0),
    })
    agg = flags.groupby(["ps", "segment"]).sum()
    adv = ev[is_action].assign(segment=lambda d: d["segment"].fillna("\0null"))
    agg["advocates"] = adv.groupby(["ps", "segment"])["customer_id"].nunique()
    refs = ev[t == "referral_sent"].assign(segment=lambda d: d["segment"].fillna("\0null"))
    agg["referrers"] = refs.groupby(["ps", "segment"])["customer_id"].nunique()
    # populations: customers × periods
    rows = []
    c = cust.assign(segment=cust["segment"].fillna("\0null"))
    for ps, pe in zip(periods["ps"], periods["pe"]):
        active = c[(c["signup_at"] < pe) & (c["churned_at"].isna() | (c["churned_at"] >= ps))]
        g = active.assign(
            at_start=active["signup_at"] < ps,
            at_end=active["churned_at"].isna() | (active["churned_at"] >= pe),
            new=active["signup_at"] >= ps,
            churned=(active["signup_at"] < ps) & (active["churned_at"] < pe),
            active=True).groupby("segment")[["active", "at_start", "at_end", "new", "churned"]].sum()
        rows.append(g.assign(ps=ps).reset_index())
    pop = pd.concat(rows).set_index(["ps", "segment"])
    groups = c["segment"].drop_duplicates()
    spine = periods.merge(pd.DataFrame({"segment": groups}), how="cross").set_index(["ps", "segment"])
    w = spine.join(agg).join(pop).fillna({k: 0 for k in list(agg.columns) + list(pop.columns) if k != "cas_n"})
    w = w.reset_index()

    def ratio(num: pd.Series, den: pd.Series, scale: float) -> pd.Series:
        return (scale * num / den.where(den != 0)).astype("float64")

    out = pd.DataFrame({"period": w["period"], "segment": w["segment"].replace("\0null", None)})
    out["nps"] = ratio(w["nps_p"] - w["nps_d"], w["nps_n"], 100)
    out["csat"] = ratio(w["csat_s"], w["csat_n"], 100)
    out["customer_advocacy_score"] = ratio(w["cas_sum"], w["cas_n"].fillna(0), 20)
    out["advocacy_actions_per_customer"] = ratio(w["actions"], w["active"], 1)
    out["active_advocates_rate"] = ratio(w["advocates"], w["active"], 100)
    out["referral_participation_rate"] = ratio(w["referrers"], w["active"], 100)
    out["referral_conversion_rate"] = ratio(w["ref_conv"], w["ref_sent"], 100)
    out["referral_revenue"] = w["ref_rev"].astype("float64")
    out["customer_churn_rate"] = ratio(w["churned"], w["at_start"], 100)
    out["customer_retention_rate"] = ratio(w["at_end"] - w["new"], w["at_start"], 100)
    out["contract_renewal_rate"] = ratio(w["renewed"], w["due"], 100)
    out["expansion_revenue"] = w["exp_rev"].astype("float64")
    return _long(out)
