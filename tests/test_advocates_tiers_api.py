"""GET /v1/advocates/tiers, /v1/advocates/movements and the segment filter of GET /v1/advocates, on a real
`advokit serve` over the hand-worked case of tests/test_advocates.py.

As of 2025-07-01: A (Enterprise) 87.0 Champion, C (SMB) 54.0 Potential, B (SMB) 16.3 At risk. As of 2025-06-01
(worked in tests/reports/test_advocates_section.py): A 75.6 Advocate, C 55.9 Potential, B 39.4 Passive. So over
June nobody became an advocate (A was one already) and B became at risk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .api_support import Server, new_keys
from .test_advocates import AS_OF, build


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    db = build(tmp_path_factory.mktemp("advocates-tiers"))
    key = new_keys(db, "read")["read"]
    with Server(db, rate=0) as server:
        with httpx.Client(base_url=server.url + "/v1", timeout=60,
                          headers={"Authorization": f"Bearer {key}"}) as client:
            yield client


def _counts(body: dict[str, Any]) -> dict[str, int]:
    return {t["key"]: t["customers"] for t in body["tiers"]}


def test_tier_distribution(api: httpx.Client) -> None:
    r = api.get("/advocates/tiers", params={"as_of": AS_OF})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["as_of"], body["filters"], body["customers"]) == (AS_OF, {}, 3)
    assert _counts(body) == {"champion": 1, "advocate": 0, "potential": 1, "passive": 0, "at_risk": 1}
    assert body["tiers"][0] == {"tier": "Champion", "key": "champion", "customers": 1, "share": pytest.approx(1 / 3)}
    smb = api.get("/advocates/tiers", params={"as_of": AS_OF, "filter": "segment:SMB"}).json()
    assert (smb["customers"], smb["filters"]) == (2, {"segment": "SMB"})
    assert _counts(smb) == {"champion": 0, "advocate": 0, "potential": 1, "passive": 0, "at_risk": 1}
    bad = api.get("/advocates/tiers", params={"filter": "charisma:high"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_dimension"


def test_the_list_takes_a_segment_filter(api: httpx.Client) -> None:
    rows = api.get("/advocates", params={"as_of": AS_OF, "filter": "segment:SMB"}).json()
    assert [r["customer_id"] for r in rows] == ["C", "B"]
    rows = api.get("/advocates", params={"as_of": AS_OF, "filter": "segment:SMB", "limit": 1}).json()
    assert [r["customer_id"] for r in rows] == ["C"]


def test_movements_over_june(api: httpx.Client) -> None:
    r = api.get("/advocates/movements", params={"from": "2025-06-01", "to": AS_OF})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"], body["new_advocates"]) == ("2025-06-01", AS_OF, {"count": 0, "examples": []})
    assert body["new_at_risk"] == {"count": 1, "examples": [
        {"customer_id": "B", "score": 16.3, "tier": "At risk", "tier_before": "Passive",
         "reason": "at risk: NPS 4 with 1 open follow-up"}]}
    assert api.get("/advocates/movements", params={"from": AS_OF, "to": "2025-06-01"}).status_code == 422
