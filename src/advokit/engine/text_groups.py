"""Texts grouped by theme: the ``theme`` breakdown of the KPIs whose rows are texts (``net_sentiment``).

Each text counts once in each of its themes, under the theme's current display name (the user's name, else
its label; a merged theme under the theme it was merged into, so a text in both counts once there). A text
with no theme (not themed at the last refresh, or too short to take one) counts in :data:`NO_THEME`.
The themes are read from the tables ``advokit text theme refresh`` fills (``themes``, ``text_themes``);
nothing here computes them.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ..errors import ThemesNotComputedError

#: The breakdown dimension (``--by theme``).
THEME = "theme"
#: The group of the texts that carry no theme.
NO_THEME = "(no theme)"
#: The ``meta`` key a theme refresh stamps: themes were computed once it is there.
REFRESHED = "themes:refreshed_at"


def roots(merged_into: Mapping[str, str | None]) -> dict[str, str]:
    """Each theme id → the id it reports as: itself, or the end of its chain of merges (a cycle stops)."""
    out: dict[str, str] = {}
    for tid in merged_into:
        seen, cur = {tid}, tid
        while (nxt := merged_into[cur]) in merged_into and nxt not in seen:
            cur = str(nxt)
            seen.add(cur)
        out[tid] = cur
    return out


def computed(backend: ibis.BaseBackend) -> bool:
    """Whether themes were ever computed in this workspace."""
    meta = backend.table("meta")
    return bool(meta.filter(meta.key == REFRESHED).count().to_pyarrow().as_py())


def not_computed() -> ThemesNotComputedError:
    return ThemesNotComputedError("themes not computed yet",
                                  hint="run `advokit text theme refresh` to find the themes of the texts first")


def display_names(backend: ibis.BaseBackend) -> dict[str, str]:
    """Theme id → the display name of the theme it reports as (its root's user name, else label)."""
    rows = backend.table("themes").select("theme_id", "label", "name", "merged_into").to_pyarrow().to_pylist()
    by_id = {str(r["theme_id"]): r for r in rows}
    root = roots({tid: r["merged_into"] for tid, r in by_id.items()})
    return {tid: str(by_id[root[tid]]["name"] or by_id[root[tid]]["label"]) for tid in by_id}


def groups(backend: ibis.BaseBackend) -> tuple[ir.Table, ir.Table]:
    """``(texts, names)``: (event_id, theme) once per text and theme name, and every theme name of the
    breakdown (the stored themes' names and :data:`NO_THEME`), one per row. Raises
    :class:`ThemesNotComputedError` when themes were never computed."""
    if not computed(backend):
        raise not_computed()
    names = display_names(backend)
    mapping = ibis.memtable(pa.table({"m_theme_id": pa.array(list(names), pa.string()),
                                      THEME: pa.array(list(names.values()), pa.string())}))
    tt = backend.table("text_themes")
    texts = tt.join(mapping, tt.theme_id == mapping.m_theme_id).select("event_id", THEME).distinct()
    values = sorted(set(names.values())) + [NO_THEME]
    return texts, ibis.memtable(pa.table({THEME: pa.array(values, pa.string())}))


def with_theme(texts: ir.Table, by_theme: ir.Table) -> ir.Table:
    """``texts`` (with ``event_id``) once per theme of each, with the ``theme`` column (:data:`NO_THEME` for a
    text with none)."""
    g = by_theme.rename(g_event="event_id")
    j = texts.left_join(g, texts.event_id == g.g_event)
    return j.select(texts, **{THEME: j[THEME].fill_null(NO_THEME)})
