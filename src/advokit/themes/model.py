"""A stored theme."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .discover import Terms


@dataclass
class Theme:
    theme_id: str
    label: str
    name: str | None
    terms: Terms
    pinned: bool
    merged_into: str | None
    created_at: dt.datetime | None
    refreshed_at: dt.datetime | None

    def to_dict(self, texts: int = 0) -> dict[str, Any]:
        return {"theme_id": self.theme_id, "name": self.name or self.label, "label": self.label,
                "custom_name": self.name, "terms": [{"term": t, "weight": w} for t, w in self.terms],
                "pinned": self.pinned, "merged_into": self.merged_into, "texts": texts,
                "refreshed_at": self.refreshed_at.isoformat() if self.refreshed_at else None}
