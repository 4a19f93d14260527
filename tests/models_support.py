"""A generated workspace with a planted signal for the model tests (tests/test_models*.py).

300 customers sign up between 2024-01-01 and 2024-06-30; each answers NPS every 45 days. A third are unhappy
(NPS 0–5) and churn at about 8 % a month; the rest (NPS 7–10) churn at about 1 % a month and write a review
at about 20 % a month. Other events (a CSAT answer, activation) carry no signal. Data ends 2025-12-31.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from advokit import Workspace

START = dt.datetime(2024, 1, 1)
END = dt.datetime(2025, 12, 31)
N = 300


def records(seed: int = 3, n: int = N) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    rng = np.random.default_rng(seed)
    customers: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    for i in range(n):
        cid = f"K{i:04d}"
        signup = START + dt.timedelta(days=int(rng.integers(0, 180)))
        unhappy = rng.random() < 1 / 3
        churned = None
        day = signup
        k = 0
        while day < END:
            day += dt.timedelta(days=30)
            if rng.random() < (0.08 if unhappy else 0.01):
                churned = day
                break
        alive_until = churned or END
        t = signup + dt.timedelta(days=int(rng.integers(1, 20)))
        while t < alive_until:
            score = int(rng.integers(0, 6)) if unhappy else int(rng.integers(7, 11))
            events.append({"event_id": f"{cid}-n{k}", "customer_id": cid, "type": "nps_response",
                           "occurred_at": t.isoformat(), "score": score})
            k += 1
            t += dt.timedelta(days=45)
        t = signup + dt.timedelta(days=int(rng.integers(1, 30)))
        while t < alive_until:
            if not unhappy and rng.random() < 0.2:
                events.append({"event_id": f"{cid}-r{k}", "customer_id": cid, "type": "review",
                               "occurred_at": t.isoformat(), "score": 5})
                k += 1
            t += dt.timedelta(days=30)
        events.append({"event_id": f"{cid}-act", "customer_id": cid, "type": "activation",
                       "occurred_at": (signup + dt.timedelta(days=3)).isoformat()})
        customers.append({"customer_id": cid, "signup_at": signup.isoformat(),
                          "churned_at": churned.isoformat() if churned else None,
                          "plan": ["Basic", "Pro", "Enterprise"][int(rng.integers(0, 3))],
                          "segment": ["SMB", "Mid-Market"][int(rng.integers(0, 2))], "arr": float(rng.integers(1, 50)) * 1000})
    return customers, events


def build(path: Path, *, seed: int = 3, n: int = N) -> Path:
    customers, events = records(seed, n)
    with Workspace(path) as ws:
        ws.import_customers(customers)
        ws.import_events(events)
    return path
