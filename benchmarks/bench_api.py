"""Load benchmark of the REST API on loopback (not a test).

    .venv/bin/python benchmarks/bench_api.py [--customers 1000000] [--months 24] [--batches 300]

1. Builds (or reuses) a demo workspace with ``advokit demo --customers N``
   (the default, 1M customers, is the ~10M-event demo).
2. Starts ``advokit serve`` on 127.0.0.1 (one process, rate limit off) and
   waits until its start-up work (the dashboard's warm-up) is done.
3. Ingest: one first batch (timed alone: it builds the server's in-memory id
   index), then ``--batches`` batches of 1,000 new events through
   ``POST /v1/events`` from ``--writers`` client threads (bodies encoded
   ahead with orjson, so that the load generator, on the same cores, stays
   light); prints events/s and the CPU per batch of server and client.
4. Queries while ingesting: ``--readers`` client threads send a mix of KPI
   value queries (``GET /v1/kpis/{id}/values``, month and quarter, with and
   without ``by=segment``, with and without a range) while one writer keeps
   appending batches of 1,000 events (as fast as it can, or at
   ``--mixed-rate`` events/s); prints p50 / p95 / p99 latency.
   Also prints the cold latency of each query (first request, nothing cached).

Targets (issue 4): ≥ 50,000 events/s ingested; KPI query p95 < 100 ms.
Prints a JSON object with every figure; ``--markdown`` adds a table row.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.api_support import Server, cli, new_key  # noqa: E402

TYPES = ["nps_response", "csat_response", "review", "social_share", "referral_sent", "community_post"]
QUERIES = [
    "/v1/kpis/nps/values?period=month",
    "/v1/kpis/nps/values?period=month&by=segment",
    "/v1/kpis/active_advocates_rate/values?period=month",
    "/v1/kpis/customer_churn_rate/values?period=quarter&by=segment",
    "/v1/kpis/referral_conversion_rate/values?period=month&from={from_}&to={to}",
    "/v1/kpis/csat/values?period=quarter",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far (Linux /proc), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pid: int, limit: float = 600, busy: float = 0.15) -> float | None:
    """Wait until the server uses under ``busy`` of a core for a second; the seconds waited."""
    t0 = time.monotonic()
    last = cpu_seconds(pid)
    while last is not None and time.monotonic() - t0 < limit:
        time.sleep(1)
        now = cpu_seconds(pid)
        if now is None or now - last < busy:
            return round(time.monotonic() - t0, 1)
        last = now
    return None


def build(db: Path, customers: int, months: int, seed: int) -> dict[str, Any]:
    if db.exists():
        return {"built_s": None}
    t0 = time.perf_counter()
    cli(db, "demo", "--customers", str(customers), "--months", str(months), "--seed", str(seed), timeout=36000)
    return {"built_s": round(time.perf_counter() - t0, 1)}


def facts(db: Path) -> dict[str, Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        n_customers, = con.execute("SELECT count(*) FROM customers").fetchone()  # type: ignore[misc]
        n_events, last = con.execute("SELECT count(*), max(occurred_at) FROM events").fetchone()  # type: ignore[misc]
        ids = [r[0] for r in con.execute("SELECT customer_id FROM customers USING SAMPLE 20000 ROWS").fetchall()]
    finally:
        con.close()
    return {"customers": n_customers, "events": n_events, "last": last, "ids": ids}


class Batches:
    """Fresh batches of canonical events in the workspace's last month."""

    def __init__(self, ids: list[str], last: dt.datetime, size: int, seed: int) -> None:
        self.ids, self.size = ids, size
        self.month_start = dt.datetime(last.year, last.month, 1)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.n = 0
        self.tag = f"bench{int(time.time())}"

    def next(self) -> list[dict[str, Any]]:
        with self.lock:
            start, self.n = self.n, self.n + self.size
            rng = self.rng
            out = []
            for i in range(start, start + self.size):
                typ = rng.choice(TYPES)
                when = self.month_start + dt.timedelta(seconds=rng.randrange(0, 27 * 86400))
                ev: dict[str, Any] = {"event_id": f"{self.tag}-{i}", "customer_id": rng.choice(self.ids),
                                      "type": typ, "occurred_at": when.isoformat() + "Z", "channel": "api"}
                if typ == "nps_response":
                    ev["score"] = rng.randint(0, 10)
                elif typ == "csat_response":
                    ev["score"] = rng.randint(1, 5)
                out.append(ev)
            return out


def encoded(batch: list[dict[str, Any]]) -> tuple[bytes, int]:
    """A request body and its number of events (encoded ahead, so that the load generator stays light)."""
    return orjson.dumps({"events": batch}), len(batch)


def post(client: httpx.Client, batch: list[dict[str, Any]] | tuple[bytes, int]) -> None:
    body, n = batch if isinstance(batch, tuple) else encoded(batch)
    r = client.post("/v1/events", content=body, headers={"content-type": "application/json"})
    if r.status_code != 200:
        raise SystemExit(f"ingest failed: {r.status_code} {r.text[:500]}")
    out = orjson.loads(r.content)
    if out["accepted"] != n or len(out["items"]) != n:
        raise SystemExit(f"ingest: only {out['accepted']} of {n} accepted: {out['items'][:3]}")


def first_batch(server: Server, key: str, batches: Batches) -> float:
    """The first batch alone (ms): the server builds its in-memory id index then."""
    batch = batches.next()
    with server.client(key, timeout=600) as client:
        t0 = time.perf_counter()
        post(client, batch)
        return round((time.perf_counter() - t0) * 1000, 1)


def ingest(server: Server, key: str, batches: Batches, n: int, writers: int) -> dict[str, Any]:
    todo = [encoded(batches.next()) for _ in range(n)]
    cpu0 = cpu_seconds(server.proc.pid) if server.proc else None
    client0 = time.process_time()
    lock = threading.Lock()
    latencies: list[float] = []

    def work() -> None:
        with server.client(key, timeout=600) as client:
            while True:
                with lock:
                    if not todo:
                        return
                    batch = todo.pop()
                t0 = time.perf_counter()
                post(client, batch)
                with lock:
                    latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    cpu1 = cpu_seconds(server.proc.pid) if server.proc else None
    client_cpu = round((time.process_time() - client0) * 1000 / n, 1)
    server_cpu = None if cpu0 is None or cpu1 is None else round((cpu1 - cpu0) * 1000 / n, 1)
    return {"batches": n, "batch_size": batches.size, "writers": writers, "seconds": round(elapsed, 2),
            "server_cpu_ms_per_batch": server_cpu, "client_cpu_ms_per_batch": client_cpu,
            "events_per_s": round(n * batches.size / elapsed), "batch_p50_ms": round(pct(latencies, 50) * 1000, 1),
            "batch_p95_ms": round(pct(latencies, 95) * 1000, 1)}


def queries(fmt: dict[str, str]) -> list[str]:
    return [q.format(**fmt) for q in QUERIES]


def cold(server: Server, key: str, urls: list[str]) -> dict[str, float]:
    out = {}
    with server.client(key, timeout=600) as client:
        for url in urls:
            t0 = time.perf_counter()
            r = client.get(url)
            r.raise_for_status()
            out[url] = round((time.perf_counter() - t0) * 1000, 1)
    return out


def mixed(server: Server, wkey: str, rkey: str, batches: Batches, urls: list[str], seconds: float,
          readers: int, rate: float = 0) -> dict[str, Any]:
    stop = threading.Event()
    latencies: list[float] = []
    lock = threading.Lock()
    ingested = [0]

    def writer() -> None:
        start = time.perf_counter()
        with server.client(wkey, timeout=600) as client:
            while not stop.is_set():
                if rate:  # paced: at most `rate` events/s
                    wait = start + ingested[0] / rate - time.perf_counter()
                    if wait > 0 and stop.wait(wait):
                        break
                batch = batches.next()
                post(client, batch)
                ingested[0] += len(batch)

    def reader(i: int) -> None:
        rng = random.Random(i)
        with server.client(rkey, timeout=600) as client:
            while not stop.is_set():
                url = rng.choice(urls)
                t0 = time.perf_counter()
                r = client.get(url)
                took = time.perf_counter() - t0
                r.raise_for_status()
                with lock:
                    latencies.append(took)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader, args=(i,)) for i in range(readers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    ms = [x * 1000 for x in latencies]
    return {"seconds": round(elapsed, 1), "readers": readers, "writer_rate_limit": rate or None, "queries": len(ms),
            "events_ingested_meanwhile": ingested[0], "ingest_events_per_s": round(ingested[0] / elapsed),
            "p50_ms": round(pct(ms, 50), 1), "p95_ms": round(pct(ms, 95), 1), "p99_ms": round(pct(ms, 99), 1),
            "max_ms": round(max(ms), 1), "mean_ms": round(statistics.fmean(ms), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", type=Path, default=None, help="Workspace to use (built when missing).")
    ap.add_argument("--batches", type=int, default=300, help="Batches of the ingest-only phase.")
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--writers", type=int, default=2)
    ap.add_argument("--readers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=30, help="Length of the queries-while-ingesting phase.")
    ap.add_argument("--mixed-rate", type=float, default=0,
                    help="Events/s the writer of the queries-while-ingesting phase keeps to (0: as fast as it can).")
    ap.add_argument("--markdown", action="store_true", help="Also print a markdown table row.")
    args = ap.parse_args()

    db = args.db or ROOT / "benchmarks" / "out" / f"api-{args.customers}-{args.months}.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    built = build(db, args.customers, args.months, args.seed)
    wkey, rkey = new_key(db, "write", "bench-write"), new_key(db, "read", "bench-read")
    info = facts(db)
    last: dt.datetime = info["last"]
    month = dt.date(last.year, last.month, 1)
    urls = queries({"from_": f"{month.year - 1}-{month.month:02d}-01", "to": month.isoformat()})
    batches = Batches(info["ids"], last, args.batch_size, args.seed)

    result: dict[str, Any] = {"customers": info["customers"], "events_before": info["events"], **built,
                              "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"}
    with Server(db, rate=0) as server:
        assert server.proc is not None
        result["server_idle_after_s"] = wait_idle(server.proc.pid)
        result["cold_ms"] = cold(server, rkey, urls)
        result["warm_ms"] = cold(server, rkey, urls)
        result["first_batch_ms"] = first_batch(server, wkey, batches)
        result["ingest"] = ingest(server, wkey, batches, args.batches, args.writers)
        result["while_ingesting"] = mixed(server, wkey, rkey, batches, urls, args.seconds, args.readers,
                                          args.mixed_rate)
    print(json.dumps(result, indent=2, default=str))
    if args.markdown:
        i, m = result["ingest"], result["while_ingesting"]
        print(f"| {info['customers']:,} | {info['events']:,} | {i['events_per_s']:,} | {m['p50_ms']} | "
              f"{m['p95_ms']} | {m['p99_ms']} | {m['ingest_events_per_s']:,} |")


if __name__ == "__main__":
    main()
