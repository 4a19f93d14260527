"""Workspace settings (`ws.settings`, `advokit config`, `advokit report config`), the catalogue's scale and
headline fields, and schema version 7 (the settings table, comments.due) on fresh and migrated files."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from advokit import Workspace
from advokit.catalogue import Catalogue, load_catalogue
from advokit.catalogue.loader import load_definitions
from advokit.errors import CatalogueError, InvalidArgumentError
from advokit.settings import KEYS
from advokit.store import database as storage

from .api_support import cli

DEFAULT_HEADLINE = ["nps", "csat", "customer_retention_rate", "active_advocates_rate", "referral_conversion_rate",
                    "referral_revenue", "expansion_revenue", "advocacy_actions_per_customer"]


# ------------------------------------------------------------------------------ the service
def test_settings_round_trip_and_normalise(tmp_path: Path) -> None:
    with Workspace(tmp_path / "s.duckdb") as ws:
        assert (ws.settings.all(), ws.settings.currency(), ws.settings.report_headline()) == ({}, None, None)
        assert ws.settings.set("currency", " eur ") == {"key": "currency", "value": "EUR"}
        assert ws.settings.set("report.headline", "NPS, csat ,customer_retention_rate") == \
            {"key": "report.headline", "value": "nps,csat,customer_retention_rate"}
        assert ws.settings.get("currency") == "EUR" and ws.settings.currency() == "EUR"
        assert ws.settings.report_headline() == ["nps", "csat", "customer_retention_rate"]
        assert ws.settings.headline() == {"kpis": ["nps", "csat", "customer_retention_rate"], "source": "workspace"}
        ws.settings.set("currency", "chf")
        assert ws.settings.all() == {"currency": "CHF", "report.headline": "nps,csat,customer_retention_rate"}
        assert ws.settings.unset("report.headline") == {"key": "report.headline", "removed": True}
        assert ws.settings.unset("report.headline") == {"key": "report.headline", "removed": False}
        assert ws.settings.headline() == {"kpis": DEFAULT_HEADLINE, "source": "catalogue"}
    with Workspace(tmp_path / "s.duckdb", read_only=True) as ws:  # stored in the file
        assert ws.settings.all() == {"currency": "CHF"}


@pytest.mark.parametrize(("key", "value", "message"), [
    ("colour", "red", "unknown setting 'colour'"),
    ("currency", "EURO", "unknown currency 'EURO'"),
    ("currency", "XAU", "unknown currency 'XAU'"),  # gold is an ISO code, not a currency of revenue
    ("currency", "", "unknown currency ''"),
    ("report.headline", " , ", "no KPI given for report.headline"),
    ("report.headline", "nps,csat,NPS", "report.headline names nps twice"),
    ("report.headline", "nps,no_such_kpi", "report.headline: unknown KPI 'no_such_kpi'"),
    ("report.headline", ",".join(load_catalogue().ids[:9]), "report.headline names 9 KPIs, more than 8"),
])
def test_bad_settings_are_refused_and_nothing_is_stored(tmp_path: Path, key: str, value: str, message: str) -> None:
    with Workspace(tmp_path / "s.duckdb") as ws:
        with pytest.raises(InvalidArgumentError) as err:
            ws.settings.set(key, value)
        assert err.value.message == message and err.value.hint
        assert ws.settings.all() == {}


def test_a_headline_kpi_the_catalogue_lost_is_left_out(tmp_path: Path) -> None:
    with Workspace(tmp_path / "s.duckdb") as ws:
        ws.settings.set("report.headline", "ces,nps")
    small = Catalogue([k for k in load_catalogue() if k.id != "ces"])
    with Workspace(tmp_path / "s.duckdb", catalogue=small) as ws:
        assert ws.settings.report_headline() == ["nps"]
        ws.settings.set("report.headline", "nps")
    only_other = Catalogue([k for k in load_catalogue() if k.id != "nps"])
    with Workspace(tmp_path / "s.duckdb", catalogue=only_other) as ws:
        assert ws.settings.report_headline() is None and ws.settings.headline()["source"] == "catalogue"


# ------------------------------------------------------------------------------ schema 7
def test_a_version_6_workspace_gets_settings_and_due_dates_and_keeps_its_comments(tmp_path: Path) -> None:
    path = tmp_path / "v6.duckdb"
    con = duckdb.connect(str(path))
    for step in storage.MIGRATIONS[:6]:
        for statement in step:
            con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', '6')")
    con.execute("INSERT INTO comments (comment_id, kpi, period, body, kind) VALUES ('c', 'nps', '2025-01', 'kept', 'action')")
    con.close()
    with Workspace(path) as ws:
        assert ws.db.schema_version() == storage.SCHEMA_VERSION == 10
        assert [(c["body"], c["due"]) for c in ws.commentary.list()] == [("kept", None)]
        ws.settings.set("currency", "GBP")
        added = ws.commentary.add("nps", "2025-01", "call them", kind="action", due="2025-02-14")
        assert added["due"] == "2025-02-14"
    with Workspace(path, read_only=True) as ws:
        assert ws.settings.currency() == "GBP"
        assert sorted((c["body"], c["due"] or "") for c in ws.commentary.list()) == [("call them", "2025-02-14"),
                                                                                      ("kept", "")]
        kinds = dict(ws.db.cursor().execute("SELECT column_name, data_type FROM duckdb_columns() "
                                             "WHERE table_name = 'comments'").fetchall())
        assert kinds["due"] == "DATE"


def test_a_fresh_workspace_has_a_keyed_settings_table(tmp_path: Path) -> None:
    with Workspace(tmp_path / "f.duckdb") as ws:
        cur = ws.db.cursor()
        assert cur.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'settings' "
                           "ORDER BY column_index").fetchall() == [("key", "VARCHAR"), ("value", "VARCHAR")]
        cur.execute("INSERT INTO settings VALUES ('x', '1')")
        with pytest.raises(duckdb.ConstraintException):
            cur.execute("INSERT INTO settings VALUES ('x', '2')")


# ------------------------------------------------------------------------------ the catalogue
def test_catalogue_scales_and_default_headline() -> None:
    cat = load_catalogue()
    assert cat.get("ces").scale == (1.0, 7.0) and cat.get("average_review_rating").scale == (1.0, 5.0)
    assert [k.id for k in cat if k.scale is not None] == ["average_review_rating", "ces"]
    assert cat.headline_ids() == DEFAULT_HEADLINE and cat.headline_ids(limit=3) == DEFAULT_HEADLINE[:3]
    assert cat.get("nps").headline == 1 and cat.get("ces").headline is None
    assert cat.get("ces").to_dict()["scale"] == [1.0, 7.0]


def test_headline_without_ranks_goes_round_robin_over_the_focus_areas() -> None:
    cat = load_catalogue()
    bare = Catalogue([k.model_copy(update={"headline": None}) for k in cat])
    by_area = {area: [k.id for k in kpis if k.core] for area, kpis in bare.by_focus_area().items()}
    firsts = list(dict.fromkeys(ids[0] for ids in by_area.values() if ids))
    picked = bare.headline_ids()
    assert len(picked) == 8 and len(set(picked)) == 8 and picked[:len(firsts)] == firsts
    assert all(bare.get(i).core for i in picked)
    one = Catalogue([k.model_copy(update={"headline": 1 if k.id == "ces" else None}) for k in cat])
    assert one.headline_ids(limit=2) == ["ces", firsts[0]]  # a lone rank first, then round-robin
    tiny = Catalogue([k.model_copy(update={"headline": None, "core": False}) for k in cat][:2])
    assert tiny.headline_ids() == tiny.ids


def test_a_scale_must_run_upwards(tmp_path: Path) -> None:
    from advokit.catalogue.loader import KPI_DIR

    text = (KPI_DIR / "ces.yaml").read_text(encoding="utf-8").replace("scale: [1, 7]", "scale: [7, 1]")
    (tmp_path / "ces.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        load_definitions(tmp_path)
    assert "the low end must be below the high end" in err.value.message


# ------------------------------------------------------------------------------ the CLI
def test_config_commands(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    assert cli(db, "config", "set", "currency", "eur").stdout == "currency = EUR\n"
    assert cli(db, "config", "get", "currency").stdout == "EUR\n"
    assert cli(db, "config", "get", "report.headline").stdout == "\n"
    listed = json.loads(cli(db, "config", "list", "--format", "json").stdout)
    assert [(r["key"], r["value"]) for r in listed][:3] == [("currency", "EUR"), ("report.headline", None),
                                                           ("listening.brand", None)]
    # then the advocate score's weights and tier cut-offs (docs/advocates.md), all unset
    assert {r["key"] for r in listed[3:]} == {k for k in KEYS if k.startswith("advocates.")}
    assert all(r["value"] is None for r in listed[3:])
    assert cli(db, "config", "unset", "currency").stdout == "unset currency\n"
    assert cli(db, "config", "unset", "currency").stdout == "currency was not set\n"
    for args, said in ((("config", "set", "currency", "EURO"), "error: unknown currency 'EURO'"),
                       (("config", "get", "colour"), "error: unknown setting 'colour'"),
                       (("report", "config", "--headline", "nps,nope"), "error: report.headline: unknown KPI 'nope'")):
        bad = cli(db, *args, check=False)
        assert bad.returncode == 2 and bad.stderr.startswith(said) and "Traceback" not in bad.stderr, bad.stderr


def test_report_config_sets_shows_and_resets_the_headline(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    shown = cli(db, "report", "config").stdout.splitlines()
    assert shown[0] == "headline KPIs (the catalogue's default):"
    assert shown[1:] == [f"  {i}. {k}  {load_catalogue().get(k).name}" for i, k in enumerate(DEFAULT_HEADLINE, 1)]
    said = cli(db, "report", "config", "--headline", "csat,nps").stdout.splitlines()
    assert said == ["headline KPIs (chosen for this workspace):", "  1. csat  Customer Satisfaction (CSAT)",
                    "  2. nps  Net Promoter Score"]
    assert json.loads(cli(db, "report", "config", "--format", "json").stdout) == \
        {"kpis": ["csat", "nps"], "source": "workspace"}
    assert cli(db, "config", "get", "report.headline").stdout == "csat,nps\n"
    back = json.loads(cli(db, "report", "config", "--reset", "--format", "json").stdout)
    assert back == {"kpis": DEFAULT_HEADLINE, "source": "catalogue"}
    both = cli(db, "report", "config", "--headline", "nps", "--reset", check=False)
    assert both.returncode == 2 and "give --headline or --reset, not both" in both.stderr


def test_comment_due_dates_on_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    said = cli(db, "comment", "add", "nps", "--period", "2025-09", "--kind", "action", "--owner", "Dana",
               "--due", "2025-10-15", "--body", "Call detractors").stdout
    assert said.endswith(" on nps 2025-09 (owner Dana, due 2025-10-15)\n")
    rows = json.loads(cli(db, "comment", "list", "--format", "json").stdout)
    assert [(r["owner"], r["due"]) for r in rows] == [("Dana", "2025-10-15")]
    table = cli(db, "comment", "list").stdout.splitlines()
    assert table[0].split()[:6] == ["id", "kpi", "period", "kind", "owner", "due"] and "2025-10-15" in table[2]
    bad = cli(db, "comment", "add", "nps", "--period", "2025-09", "--due", "15/10/2025", "--body", "x", check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("error: the due date '15/10/2025' is not a date")
    assert "Traceback" not in bad.stderr and len(json.loads(cli(db, "comment", "list", "--format", "json").stdout)) == 1
