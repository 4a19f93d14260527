"""Benchmark: import speed and the twelve-KPI pack by month × segment.

    .venv/bin/python benchmarks/bench_pack.py [--customers 1000000] [--months 24] [--runs 3]

Generates a demo dataset of the given scale, writes it to Parquet, times the
import into a fresh workspace, then times the full pack of the twelve core
KPIs by month × segment three ways from the same workspace:

* the advokit engine (Ibis over DuckDB),
* a hand-written DuckDB SQL query (benchmarks/pack_baselines.py),
* a pandas version of the same pack,

checks that all three agree, and prints the ratios and the peak memory.
Targets: engine ≤ 1.2 × hand SQL, ≥ 5 × faster than pandas, import ≥ 500k events/s.
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))

from pack_baselines import KPIS, hand_sql, pandas_pack  # noqa: E402

from advokit import Workspace  # noqa: E402
from advokit.demo import generate  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(runs: int, fn):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def agree(a: pd.DataFrame, b: pd.DataFrame, label: str) -> int:
    key = ["kpi", "period", "segment"]
    a = a.assign(segment=a["segment"].fillna("\0"))
    b = b.assign(segment=b["segment"].fillna("\0"))
    m = a.merge(b, on=key, how="outer", suffixes=("_a", "_b"), indicator=True)
    if (m["_merge"] != "both").any():
        raise SystemExit(f"{label}: different rows: {m[m['_merge'] != 'both'].head()}")
    bad = 0
    for x, y in zip(m["value_a"], m["value_b"]):
        xn, yn = x is None or (isinstance(x, float) and math.isnan(x)), y is None or (isinstance(y, float) and math.isnan(y))
        if xn != yn or (not xn and not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)):
            bad += 1
    if bad:
        raise SystemExit(f"{label}: {bad} values differ")
    return len(m)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="advokit-bench-"))
    work.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    data = generate(customers=args.customers, months=args.months, seed=args.seed)
    gen_s = time.perf_counter() - t0
    n_events = data.events.num_rows
    pq.write_table(data.customers, work / "customers.parquet")
    pq.write_table(data.events, work / "events.parquet")
    del data
    print(f"scale: {args.customers:,} customers, {n_events:,} events, {args.months} months "
          f"(generated in {gen_s:.1f} s)")

    db = work / "bench.duckdb"
    if db.exists():
        db.unlink()
    ws = Workspace(db)
    t0 = time.perf_counter()
    ws.import_customers(work / "customers.parquet", write_rejects=False)
    cust_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rep = ws.import_events(work / "events.parquet", write_rejects=False)
    ev_s = time.perf_counter() - t0
    assert rep.imported == n_events, rep.to_dict()
    print(f"import: customers {cust_s:.2f} s; events {ev_s:.2f} s = {n_events / ev_s:,.0f} events/s "
          f"(target ≥ 500,000)   peak RSS {peak_rss_mb():,.0f} MB")

    lo, hi = ws.kpis.engine().data_range()  # type: ignore[misc]
    from advokit.engine.periods import add_months

    lo_m = lo.replace(day=1)
    hi_m = add_months(hi.replace(day=1), 1)
    engine_s, res = best_of(args.runs, lambda: ws.compute(KPIS, period="month", by=["segment"],
                                                          start=lo_m, end=hi_m))
    engine_df = res.to_pandas()[["kpi", "period", "segment", "value"]]
    con = ws.db.cursor()
    sql_s, sql_df = best_of(args.runs, lambda: hand_sql(con, lo_m, hi_m))
    customers = con.execute("SELECT customer_id, segment, signup_at, churned_at FROM customers").df()
    events = con.execute("SELECT customer_id, type, occurred_at, score, amount FROM events").df()
    pd_s, pd_df = best_of(1, lambda: pandas_pack(customers, events, lo_m, hi_m))
    rows = agree(engine_df, sql_df, "engine vs hand SQL")
    agree(engine_df, pd_df, "engine vs pandas")
    print(f"pack: 12 KPIs × {rows // 12:,} month × segment cells; all three agree on {rows:,} values")
    print(f"  engine (Ibis/DuckDB) {engine_s:8.3f} s")
    print(f"  hand-written SQL     {sql_s:8.3f} s   engine / SQL    = {engine_s / sql_s:5.2f}× (target ≤ 1.2)")
    print(f"  pandas               {pd_s:8.3f} s   pandas / engine = {pd_s / engine_s:5.1f}× (target ≥ 5)")
    print(f"peak RSS {peak_rss_mb():,.0f} MB")
    ws.close()
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
