"""The RavenStack SaaS tables (../shared/data/saas-ravenstack) converted into the data contract.

Used by tests/test_ravenstack_coverage.py and by the measured figures of docs/models.md
(``python -m tests.ravenstack_support`` prints the churn backtests at the documented cutoffs).

* accounts → customers: ``signup_at``, ``churned_at`` (the latest churn event of an account flagged as
  churned, never before its signup), ``plan``, ``industry``, ``country``; no ``arr`` (the account's current
  revenue is known only as of the data's end, which would leak a churn into earlier cutoffs);
* support tickets with a satisfaction answer (1–5) → ``csat_response`` on the day the ticket closed, with the
  ticket's priority, escalation, first-response and resolution times in ``properties`` (a ticket without an
  answer has no type in the contract and is left out);
* each account's first feature use → its ``activation``;
* each paid (non-trial) subscription → an ``expansion`` on its start day (amount: its ARR, the recurring revenue
  it added) and, when it ended, a ``contraction`` on its end day (amount: the same ARR, the revenue lost); the
  plan, seats, billing frequency and the upgrade / downgrade flags go in ``properties``. Trials carry no revenue.

Feature usage after activation has no event type in the contract (v1) and is not imported.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def convert_ravenstack(folder: Path, out: Path) -> tuple[Path, Path]:
    """customers.csv and events.csv (data contract) from the RavenStack tables in ``folder``."""
    accounts = _rows(folder / "ravenstack_accounts.csv")
    last_churn: dict[str, str] = {}
    for e in _rows(folder / "ravenstack_churn_events.csv"):
        last_churn[e["account_id"]] = max(last_churn.get(e["account_id"], ""), e["churn_date"])
    customers = out / "customers.csv"
    with open(customers, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "signup_at", "churned_at", "plan", "industry", "country"])
        for a in accounts:
            churned = last_churn.get(a["account_id"], "") if a["churn_flag"] == "True" else ""
            churned = churned if churned and churned >= a["signup_date"] else ""
            w.writerow([a["account_id"], a["signup_date"], churned, a["plan_tier"], a["industry"], a["country"]])
    subscriptions = _rows(folder / "ravenstack_subscriptions.csv")
    owner = {s["subscription_id"]: s["account_id"] for s in subscriptions}
    first_use: dict[str, tuple[str, str]] = {}
    for u in _rows(folder / "ravenstack_feature_usage.csv"):
        account = owner[u["subscription_id"]]
        if account not in first_use or (u["usage_date"], u["usage_id"]) < first_use[account]:
            first_use[account] = (u["usage_date"], u["usage_id"])
    events = out / "events.csv"
    with open(events, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["event_id", "customer_id", "type", "occurred_at", "score", "amount", "properties"])
        for t in _rows(folder / "ravenstack_support_tickets.csv"):
            if t["satisfaction_score"]:
                when = (t["closed_at"] or t["submitted_at"])[:10]
                props = {"priority": t["priority"], "escalated": t["escalation_flag"] == "True",
                         "resolution_hours": float(t["resolution_time_hours"] or 0),
                         "first_response_minutes": float(t["first_response_time_minutes"] or 0)}
                w.writerow([t["ticket_id"], t["account_id"], "csat_response", when,
                            int(float(t["satisfaction_score"])), "", json.dumps(props)])
        for account, (day, usage_id) in sorted(first_use.items()):
            w.writerow([f"act-{usage_id}", account, "activation", day, "", "", ""])
        for s in subscriptions:
            if s["is_trial"] == "True" or float(s["arr_amount"] or 0) <= 0:
                continue
            props = json.dumps({"subscription_id": s["subscription_id"], "plan": s["plan_tier"],
                                "seats": int(s["seats"]), "billing": s["billing_frequency"],
                                "upgrade": s["upgrade_flag"] == "True", "downgrade": s["downgrade_flag"] == "True"})
            w.writerow([f"start-{s['subscription_id']}", s["account_id"], "expansion", s["start_date"], "",
                        s["arr_amount"], props])
            if s["end_date"]:
                w.writerow([f"end-{s['subscription_id']}", s["account_id"], "contraction", s["end_date"], "",
                            s["arr_amount"], props])
    return customers, events


#: the cutoffs of docs/models.md's RavenStack figures
CUTOFFS = ("2024-03-01", "2024-04-01", "2024-05-01", "2024-06-01", "2024-07-01", "2024-08-01", "2024-09-01",
           "2024-10-01")


def main() -> None:  # pragma: no cover - the measurement of docs/models.md
    import datetime as dt
    import sys
    import tempfile

    from advokit import Workspace

    folder = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / ".." / "shared"
                  / "data" / "saas-ravenstack")
    with tempfile.TemporaryDirectory() as tmp:
        customers, events = convert_ravenstack(folder, Path(tmp))
        with Workspace(Path(tmp) / "ravenstack.duckdb") as ws:
            ws.import_customers(customers)
            ws.import_events(events)
            for day in CUTOFFS:
                r = ws.models.backtest(target="churn", as_of=dt.date.fromisoformat(day))
                print(json.dumps({k: r.get(k) for k in ("as_of", "method", "n", "positives", "model", "auc",
                                                        "lift_top_decile", "brier", "baseline", "features")}),
                      flush=True)


if __name__ == "__main__":
    main()
