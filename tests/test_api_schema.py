"""schemathesis against the OpenAPI document served by a live ``advokit serve``: no 5xx, no schema violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from .api_support import Server, new_key, worked_workspace

KEYS: dict[str, str] = {}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = worked_workspace(tmp_path_factory.mktemp("schema") / "s.duckdb")
    KEYS["admin"] = new_key(db, "admin", "schemathesis")
    with Server(db, rate=0) as server:
        yield server


@pytest.fixture(scope="module")
def api_schema(served: Server) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(served.url + "/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_no_schema_violation(case: schemathesis.Case, served: Server) -> None:
    case.call_and_validate(base_url=served.url, headers={"Authorization": f"Bearer {KEYS['admin']}"})


def test_the_schema_documents_the_error_statuses(tmp_path: Path, served: Server) -> None:
    import httpx

    spec = httpx.get(served.url + "/openapi.json").json()
    values = spec["paths"]["/v1/kpis/{kpi_id}/values"]["get"]["responses"]
    assert {"200", "401", "403", "404", "422", "429"} <= set(values)
    events = spec["paths"]["/v1/events"]["post"]["responses"]
    assert {"200", "207", "401", "403", "413", "422", "429"} <= set(events)
