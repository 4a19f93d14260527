"""Import through a preset against the canonical import of the same answers, in the same run.

    .venv/bin/python benchmarks/bench_presets.py --rows 200000

Writes one Qualtrics export (three header rows, NPS and CSAT per respondent,
Denver time) and the same answers as a canonical events CSV, imports each
into a fresh workspace holding the customers, checks that both land the
same events, and prints the seconds, the rows per second and the ratio
preset / canonical (the cost of reading the export as written and mapping
it row by row, over the importer's own work).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from advokit import Workspace  # noqa: E402

DENVER = ZoneInfo("America/Denver")


def write(folder: Path, rows: int, customers: int) -> tuple[Path, Path, Path]:
    people = folder / "customers.csv"
    with open(people, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_id", "signup_at"])
        w.writerows([f"C{i}", "2023-01-01"] for i in range(customers))
    export, canonical = folder / "qualtrics.csv", folder / "events.csv"
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    with open(export, "w", newline="", encoding="utf-8-sig") as fq, open(canonical, "w", newline="") as fc:
        q, c = csv.writer(fq), csv.writer(fc)
        q.writerow(["RecordedDate", "ResponseId", "ExternalReference", "DistributionChannel", "Q1", "Q2", "Q3"])
        q.writerow(["Recorded Date", "Response ID", "External Data Reference", "Distribution Channel",
                    "How likely are you to recommend us?", "What is the main reason for your score?",
                    "How satisfied are you with support?"])
        q.writerow([json.dumps({"ImportId": "recordedDate", "timeZone": "America/Denver"}), *(
            json.dumps({"ImportId": x}) for x in ("_recordId", "externalDataReference", "distributionChannel",
                                                  "QID1", "QID2_TEXT", "QID3"))])
        c.writerow(["event_id", "customer_id", "type", "occurred_at", "score", "text", "channel"])
        for i in range(rows):
            when = start + dt.timedelta(seconds=37 * i)
            local = when.astimezone(DENVER).strftime("%Y-%m-%d %H:%M:%S")
            nps, sat, text, who = i % 11, 1 + i % 5, f"comment {i % 97}", f"C{i % customers}"
            q.writerow([local, f"R_{i}", who, "email", nps, text, sat])
            utc = when.strftime("%Y-%m-%d %H:%M:%S")
            c.writerow([f"qualtrics:R_{i}:nps", who, "nps_response", utc, nps, text, "email"])
            c.writerow([f"qualtrics:R_{i}:csat", who, "csat_response", utc, sat, "", "email"])
    return people, export, canonical


def timed(db: Path, people: Path, events: Path, **options: object) -> tuple[float, int]:
    ws = Workspace(db)
    try:
        ws.import_customers(people)
        t0 = time.perf_counter()
        report = ws.import_events(events, **options)
        return time.perf_counter() - t0, report.imported
    finally:
        ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="respondents (two answers each)")
    parser.add_argument("--customers", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        people, export, canonical = write(folder, args.rows, args.customers)
        base, n_base = timed(folder / "canonical.duckdb", people, canonical)
        mapped, n_mapped = timed(folder / "preset.duckdb", people, export, preset="qualtrics")
        if n_base != n_mapped or n_base != 2 * args.rows:
            raise SystemExit(f"the imports differ: canonical {n_base:,}, preset {n_mapped:,}")
        a = Workspace(folder / "canonical.duckdb", read_only=True)
        b = Workspace(folder / "preset.duckdb", read_only=True)
        query = "SELECT event_id, customer_id, type, occurred_at, score, text FROM events ORDER BY event_id"
        same = a.db.cursor().execute(query).fetchall() == b.db.cursor().execute(query).fetchall()
        a.close()
        b.close()
        if not same:
            raise SystemExit("the two imports stored different events")
    print(f"{args.rows:,} Qualtrics respondents -> {n_base:,} events (the same events both ways)")
    print(f"canonical CSV import  {base:7.2f} s  {n_base / base:10,.0f} events/s  (baseline)")
    print(f"--preset qualtrics    {mapped:7.2f} s  {n_mapped / mapped:10,.0f} events/s  {mapped / base:5.1f}x the baseline")


if __name__ == "__main__":
    main()
