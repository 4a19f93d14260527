"""IBM Telco (extended) through the example mapping files: Excel snapshots without dates, figures from its PROVENANCE.

The dataset is a model hold-out: it is only imported here (nothing is trained or tuned on it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from advokit import Workspace

from .conftest import shared_path

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


@pytest.mark.slow
def test_telco_snapshots_import_with_their_published_figures(tmp_path: Path) -> None:
    folder = shared_path("data", "telco-churn-ibm-extended")
    ws = Workspace(tmp_path / "telco.duckdb")
    try:
        customers = ws.import_customers(folder / "Telco_customer_churn_services.xlsx",
                                        mapping=EXAMPLES / "telco-customers.yaml", as_of="2022-07-01")
        assert (customers.imported, customers.rejected) == (7043, 0)
        status = ws.import_events(folder / "Telco_customer_churn_status.xlsx", mapping=EXAMPLES / "telco-status.yaml",
                                  as_of="2022-07-01")
        assert (status.imported, status.rejected) == (7043, 0)
        referrals = ws.import_events(folder / "Telco_customer_churn_services.xlsx",
                                     mapping=EXAMPLES / "telco-referrals.yaml", as_of="2022-07-01")
        assert referrals.rejected == 0
        # PROVENANCE: Satisfaction Score 4 or 5 for 1,789 + 1,149 of 7,043 customers; referrals 0-11, mean 1.95
        csat = ws.compute(["csat"], period="month", start="2022-07-01", end="2022-08-01").to_dicts()[0]
        assert (csat["numerator"], csat["denominator"]) == (2938, 7043)
        assert round(referrals.imported / 7043, 2) == 1.95
        again = ws.import_events(folder / "Telco_customer_churn_status.xlsx", mapping=EXAMPLES / "telco-status.yaml",
                                 as_of="2022-07-01")
        assert (again.imported, again.duplicates) == (0, 7043)  # the same snapshot adds nothing
        later = ws.import_events(folder / "Telco_customer_churn_status.xlsx", mapping=EXAMPLES / "telco-status.yaml",
                                 as_of="2022-10-01")
        assert later.imported == 0 and later.skipped == {"unchanged": 7043}  # nothing changed since July
        oldest = ws.db.cursor().execute("SELECT min(signup_at) FROM customers").fetchone()[0]
        assert oldest.year == 2016 and oldest.month == 7  # 72 months of tenure before July 2022
    finally:
        ws.close()
