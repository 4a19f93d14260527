"""Placeholder until the ingest helper's module lands (replaced at merge)."""

from __future__ import annotations

import difflib
import re


def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def suggest(field: str, columns: list[str], limit: int = 3) -> list[str]:
    by_norm = {_norm(c): c for c in columns}
    hits = difflib.get_close_matches(_norm(field), list(by_norm), n=limit, cutoff=0.6)
    return [by_norm[h] for h in hits]
