"""The main navigation: its sections, and which section a page's path belongs to.

One table for both the links in the header and the highlighted item, so a new
page cannot be highlighted under the wrong section by a literal passed from
its handler. A KPI page (``/kpis/{id}``) belongs to the scorecard: it is the
detail of a scorecard card, whichever page linked to it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    href: str
    #: path prefixes (after the exact ``href``) whose pages belong to this section
    prefixes: tuple[str, ...] = ()


SECTIONS: tuple[Section, ...] = (
    Section("scorecard", "Scorecard", "/", ("/kpis/",)),
    Section("voice", "Voice", "/voice", ("/voice/",)),
    Section("advocates", "Advocates", "/advocates", ("/advocates/",)),
    Section("customers", "Customers", "/customers", ("/customers/",)),
    Section("catalogue", "Catalogue", "/catalogue", ("/catalogue/",)),
    Section("data", "Data", "/data", ("/data/",)),
)


def section_of(path: str) -> str | None:
    """The key of the section ``path`` (no query string) belongs to; None for sign-in, assets and the like."""
    for s in SECTIONS:
        if path == s.href or any(path.startswith(p) for p in s.prefixes):
            return s.key
    return None
