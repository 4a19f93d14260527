"""Page speed of the dashboard on loopback (not a test).

    .venv/bin/python benchmarks/bench_dashboard.py [--customers 1000000] [--months 24] [--seed 1]
                                                  [--repeat 20] [--markdown] [--db PATH]

1. Builds (or reuses) ``benchmarks/out/dashboard-N-M.duckdb`` with ``advokit demo``
   (the default, 1M customers over 24 months, is the ~10M-event demo); ``--db`` serves
   an existing workspace instead (e.g. a copy of one built elsewhere).
2. Starts ``advokit serve`` on 127.0.0.1 (open local mode, as ``scripts/demo.sh`` does).
3. For each page, in order: the *first* request (cold: nothing of that view
   is cached yet, except what the server's start-up warm-up computed for the
   default scorecard) and then ``--repeat`` more (warm) with p50 / p95 / max.
   Every request reads the whole HTML body over a keep-alive connection.
4. Also: the time from server start to the first scorecard answer, and a
   page after a comment was added (a comment changes no number and keeps the
   cache).

Target (issue 5): pages answer in < 300 ms on the 1M-customer / 10M-event demo; every row prints its
first-request and warm p95 times as ratios against that 300 ms budget (< 1.00 meets it).
Prints a JSON object with every figure; ``--markdown`` adds table rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.api_support import Server, cli  # noqa: E402

#: The baseline the ratios are printed against: issue 5's page budget.
TARGET_MS = 300.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def build(db: Path, customers: int, months: int, seed: int) -> float | None:
    if db.exists():
        return None
    t0 = time.perf_counter()
    cli(db, "demo", "--customers", str(customers), "--months", str(months), "--seed", str(seed), timeout=36000)
    return round(time.perf_counter() - t0, 1)


def facts(db: Path) -> dict[str, Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        n_customers, = con.execute("SELECT count(*) FROM customers").fetchone()  # type: ignore[misc]
        n_events, = con.execute("SELECT count(*) FROM events").fetchone()  # type: ignore[misc]
        customer, = con.execute("SELECT customer_id FROM events WHERE customer_id IS NOT NULL "  # type: ignore[misc]
                                "GROUP BY customer_id "
                                "ORDER BY count(*) DESC, customer_id LIMIT 1").fetchone()
    finally:
        con.close()
    return {"customers": n_customers, "events": n_events, "busiest_customer": customer}


def timed(client: httpx.Client, path: str) -> float:
    t0 = time.perf_counter()
    r = client.get(path)
    r.read()
    elapsed = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        raise SystemExit(f"GET {path}: {r.status_code} {r.text[:500]}")
    return elapsed


def pages(month: str, quarter: str, customer: str) -> list[tuple[str, str]]:
    return [
        ("scorecard (default month)", "/"),
        ("scorecard, segment SMB", f"/?period={month}&filter=segment:SMB"),
        ("scorecard, quarter", f"/?grain=quarter&period={quarter}"),
        ("scorecard, quarter, region EMEA", f"/?grain=quarter&period={quarter}&filter=region:EMEA"),
        ("KPI page nps (by segment)", f"/kpis/nps?period={month}"),
        ("KPI page churn, by region, SMB", f"/kpis/customer_churn_rate?period={month}&by=region&filter=segment:SMB"),
        ("KPI page referral revenue, quarter", f"/kpis/referral_revenue?grain=quarter&period={quarter}"),
        ("catalogue", "/catalogue"),
        ("catalogue search", "/catalogue?q=referral"),
        ("customers", "/customers"),
        ("customers search + sort", "/customers?q=acme&sort=arr&order=desc"),
        ("customers page 400", "/customers?page=400"),
        ("customer profile", f"/customers/{customer}"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--no-wait", action="store_true",
                    help="measure at once, while the server's start-up work (rollups, warm-up) may still run "
                         "(default: wait until the server is idle, as a visitor arriving after start would)")
    ap.add_argument("--db", type=Path, default=None,
                    help="an existing workspace to serve (default: build or reuse benchmarks/out/dashboard-N-M.duckdb)")
    args = ap.parse_args()

    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    if args.db is not None:
        if not args.db.exists():
            raise SystemExit(f"{args.db} does not exist")
        db, built_s = args.db, None
    else:
        db = out / f"dashboard-{args.customers}-{args.months}.duckdb"
        built_s = build(db, args.customers, args.months, args.seed)
    info = facts(db)
    result: dict[str, Any] = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "built_s": built_s,
                              **{k: v for k, v in info.items() if k != "busiest_customer"}, "pages": []}
    t_start = time.perf_counter()
    with Server(db, rate=0) as server, httpx.Client(base_url=server.url, timeout=600) as client:
        result["server_start_s"] = round(time.perf_counter() - t_start, 2)
        if not args.no_wait and server.proc is not None:
            from bench_api import wait_idle  # (benchmarks/ is the script's folder)

            result["server_idle_after_s"] = wait_idle(server.proc.pid)
        result["first_scorecard_ms"] = round(timed(client, "/"), 1)  # the warm-up may still be computing it
        html = client.get("/").text
        month = re.search(r'<option value="(\d{4}-\d{2})" selected>', html)
        assert month, "no selected month in the scorecard"
        quarter_html = client.get("/?grain=quarter").text
        quarter = re.search(r'<option value="(\d{4}-Q\d)" selected>', quarter_html)
        assert quarter
        for name, path in pages(month.group(1), quarter.group(1), info["busiest_customer"]):
            cold = timed(client, path)
            warm = [timed(client, path) for _ in range(args.repeat)]
            row = {"page": name, "path": path, "cold_ms": round(cold, 1), "p50_ms": round(statistics.median(warm), 1),
                   "p95_ms": round(pct(warm, 95), 1), "max_ms": round(max(warm), 1),
                   "cold_vs_target": round(cold / TARGET_MS, 2), "p95_vs_target": round(pct(warm, 95) / TARGET_MS, 2)}
            result["pages"].append(row)
            print(json.dumps(row), file=sys.stderr)
        token = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/kpis/nps?period={month.group(1)}").text)
        assert token
        client.post("/kpis/nps/comments", data={"csrf": token.group(1), "period": month.group(1),
                                                "body": "benchmark comment"})
        after = [timed(client, f"/?period={month.group(1)}") for _ in range(args.repeat)]
        result["scorecard_after_a_comment_p50_ms"] = round(statistics.median(after), 1)
    print(json.dumps(result, indent=2))
    if args.markdown:
        print()
        print("| page | first request (ms) | warm p50 (ms) | warm p95 (ms) | first / 300 ms | p95 / 300 ms |")
        print("|---|---:|---:|---:|---:|---:|")
        for row in result["pages"]:
            print(f"| {row['page']} | {row['cold_ms']:.0f} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} "
                  f"| {row['cold_vs_target']:.2f} | {row['p95_vs_target']:.2f} |")


if __name__ == "__main__":
    main()
