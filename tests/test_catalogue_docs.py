"""The catalogue loads strictly, and the docs are generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from advokit.catalogue import ATTRIBUTE_KEYS, load_catalogue
from advokit.catalogue.loader import load_definitions
from advokit.catalogue.reference import render_reference
from advokit.errors import CatalogueError

ROOT = Path(__file__).resolve().parents[1]


def test_reference_doc_is_up_to_date():
    doc = ROOT / "docs" / "kpi-reference.md"
    assert doc.read_text(encoding="utf-8") == render_reference(load_catalogue()), \
        "docs/kpi-reference.md is stale: run `advokit kpi reference --out docs/kpi-reference.md`"


def test_every_kpi_has_its_twelve_attributes():
    for kpi in load_catalogue():
        for key in ATTRIBUTE_KEYS:
            assert getattr(kpi.attributes, key), (kpi.id, key)


def test_loader_reports_every_problem_with_file_and_line(tmp_path):
    (tmp_path / "bad_one.yaml").write_text("id: bad_one\nname: Bad\nunit: furlongs\nsurprise: 1\n")
    (tmp_path / "bad_two.yaml").write_text("id: other\n")
    with pytest.raises(CatalogueError) as err:
        load_definitions(tmp_path)
    text = err.value.message
    assert "bad_one.yaml:3: unit" in text and "bad_one.yaml:4: surprise" in text and "bad_two.yaml" in text
