"""The workspace's themes (``ws.themes``): discovery on request, the user's names, merges and pins.

``refresh`` discovers the themes of the stored English texts (at most :data:`MAX_TEXTS`, the most recent)
and keeps what the user decided: a new theme whose top terms overlap an old one's (Jaccard of the top ten
terms at least :data:`MATCH`, best pairs first) takes the old theme's id, name, pin and merge; a pinned theme
that is not found again is kept with its stored terms and still takes texts. ``report`` (in
:mod:`.report`) reads the stored assignments per period and segment.

Reads never write: only :meth:`Themes.refresh` computes themes (``advokit text theme refresh``, ``advokit
demo``); a report, a rename, merge or pin before that raises :class:`~advokit.errors.ThemesNotComputedError`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from ..engine.text_groups import REFRESHED, not_computed, roots
from ..errors import InvalidArgumentError, NotFoundError
from ..store import Database
from ..store.rows import first
from ..text import TEXT_TYPES, UNSUPPORTED
from .discover import Terms, discover, match
from .model import Theme
from .report import period_report

#: Most texts a refresh reads (the most recent).
MAX_TEXTS = 50_000
#: Least overlap of top terms for a new theme to inherit an old one's id, name, pin and merge.
MATCH = 0.3
MAX_NAME = 80
NEXT_ID = "themes:next_id"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class Themes:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- reading --------------------------------------------------------------
    def stored(self) -> list[Theme]:
        rows = self.db.cursor().execute(
            "SELECT theme_id, label, name, terms, pinned, merged_into, created_at, refreshed_at FROM themes "
            "ORDER BY theme_id").fetchall()
        return [Theme(str(r[0]), str(r[1]), r[2], [(str(t), float(w)) for t, w in json.loads(r[3])], bool(r[4]),
                      r[5], r[6], r[7]) for r in rows]

    def computed(self) -> bool:
        """Whether themes were ever computed for this workspace."""
        return bool(first(self.db.cursor().execute("SELECT count(*) FROM meta WHERE key = ?", [REFRESHED]))[0])

    def all(self) -> list[dict[str, Any]]:
        """Every stored theme (merged ones too, with ``merged_into``), biggest first: id, name (the user's or
        the label), label, custom_name, terms [{term, weight}], pinned, merged_into, texts. Empty when themes
        were never computed (:meth:`computed` tells that apart from a refresh that found none)."""
        counts = dict(self.db.cursor().execute(
            "SELECT theme_id, count(*) FROM text_themes GROUP BY theme_id").fetchall())
        out = [t.to_dict(int(counts.get(t.theme_id, 0))) for t in self.stored()]
        return sorted(out, key=lambda d: (-d["texts"], _id_order(d["theme_id"])))

    def get(self, theme_id: str) -> dict[str, Any]:
        found = [d for d in self.all() if d["theme_id"] == theme_id]
        if not found:
            raise NotFoundError(f"no theme with id {theme_id!r}", hint="`advokit text theme list` shows the themes")
        return found[0]

    def roots(self) -> dict[str, str]:
        """Each theme's id → the id it reports as (itself, or the theme it was merged into)."""
        return roots({t.theme_id: t.merged_into for t in self.stored()})

    def report(self, period: str, *, by: str | None = None) -> dict[str, Any]:
        """The themes of ``period`` (YYYY-MM, YYYY-Qn, YYYY) against the period before, overall and per value
        of ``by``: see :mod:`advokit.themes.report` for the figures. A read: it computes nothing, and raises
        :class:`~advokit.errors.ThemesNotComputedError` when themes never were (:meth:`refresh` computes them)."""
        self.require()
        return period_report(self.db, self.stored(), self.roots(), period, by=by)

    def of_texts(self, start: dt.datetime, end: dt.datetime) -> dict[str, list[str]]:
        """event_id → the names of its themes (as reported: a merged theme under the one it went into), for
        the texts that occurred in [start, end) and carry a theme; strongest first, each name once."""
        themes = {t.theme_id: t for t in self.stored()}
        roots = self.roots()
        rows = self.db.cursor().execute(
            "SELECT tt.event_id, tt.theme_id FROM text_themes tt JOIN events e ON e.event_id = tt.event_id "
            "WHERE e.occurred_at >= ? AND e.occurred_at < ? ORDER BY tt.event_id, tt.weight DESC, tt.theme_id",
            [start, end]).fetchall()
        out: dict[str, list[str]] = {}
        for event_id, theme_id in rows:
            root = themes.get(roots.get(theme_id, theme_id))
            if root is None:
                continue
            name = root.name or root.label
            names = out.setdefault(str(event_id), [])
            if name not in names:
                names.append(name)
        return out

    def require(self) -> None:
        """Raise :class:`~advokit.errors.ThemesNotComputedError` when themes were never computed: reads and the
        user's decisions (rename, merge, pin) never compute them; only :meth:`refresh` does."""
        if not self.computed():
            raise not_computed()

    # -- discovery ------------------------------------------------------------
    def texts(self) -> list[tuple[str, str]]:
        """(event_id, text) of the English texts themes are found in: the most recent :data:`MAX_TEXTS`."""
        rows = self.db.cursor().execute(f"""
            SELECT e.event_id, e.text FROM events e LEFT JOIN text_sentiment s ON s.event_id = e.event_id
            WHERE e.type IN ({", ".join("?" * len(TEXT_TYPES))}) AND e.text IS NOT NULL AND trim(e.text) <> ''
              AND coalesce(s.label, '') <> ?
            ORDER BY e.occurred_at DESC, e.event_id LIMIT ?""", [*TEXT_TYPES, UNSUPPORTED, MAX_TEXTS]).fetchall()
        return [(str(e), str(t)) for e, t in rows]

    def refresh(self, *, k: int | None = None) -> dict[str, Any]:
        """Discover the themes again (``k`` of them, or chosen by the number of texts) and assign the texts;
        names, pins and merges carry over to the matching new themes. Returns counts."""
        rows = self.texts()
        old = self.stored()
        decided: dict[str, Any] = {"match": {}, "kept": []}

        def keep(new: list[Terms]) -> list[Terms]:
            decided["match"] = match(new, [o.terms for o in old], threshold=MATCH)
            used = set(decided["match"].values())
            decided["kept"] = [o for j, o in enumerate(old) if o.pinned and j not in used]
            return [o.terms for o in decided["kept"]]

        found = discover([t for _, t in rows], k=k, keep=keep)
        if not found.terms:  # too few texts: nothing discovered, the pinned themes stay
            decided["kept"] = [o for o in old if o.pinned]
        now = _now()
        next_id = self._next_id(old)
        kept: list[Theme] = decided["kept"]
        themes: list[Theme] = []
        new = 0
        for i in range(len(found.terms) - len(kept) if found.terms else 0):
            terms, label = found.terms[i], found.labels[i]
            if i in decided["match"]:
                o = old[decided["match"][i]]
                themes.append(Theme(o.theme_id, label, o.name, terms, o.pinned, o.merged_into, o.created_at, now))
            else:
                themes.append(Theme(f"t{next_id}", label, None, terms, False, None, now, now))
                next_id += 1
                new += 1
        themes += [Theme(o.theme_id, o.label, o.name, o.terms, True, o.merged_into, o.created_at, now) for o in kept]
        ids = {t.theme_id for t in themes}
        for t in themes:
            if t.merged_into not in ids:
                t.merged_into = None
        self._write(themes, [(rows[n][0], themes[j].theme_id, w) for n, assigned in enumerate(found.assigned)
                             for j, w in assigned], next_id, now)
        return {"themes": len(themes), "texts": len(rows), "assigned": sum(1 for a in found.assigned if a),
                "matched": len(decided["match"]), "kept_pinned": len(decided["kept"]),
                "new": new}

    def _next_id(self, old: Sequence[Theme]) -> int:
        row = self.db.cursor().execute("SELECT value FROM meta WHERE key = ?", [NEXT_ID]).fetchone()
        stored = int(row[0]) if row else 1
        return max([stored, *(_id_order(o.theme_id)[0] + 1 for o in old)])

    def _write(self, themes: Sequence[Theme], assigned: Sequence[tuple[str, str, float]], next_id: int,
               now: dt.datetime) -> None:
        _advokit_text_themes = pa.table({  # noqa: F841  (read by name below)
            "event_id": pa.array([a[0] for a in assigned], pa.string()),
            "theme_id": pa.array([a[1] for a in assigned], pa.string()),
            "weight": pa.array([a[2] for a in assigned], pa.float64()),
        })
        with self.db.transaction(data=False) as cur:
            cur.execute("DELETE FROM text_themes")
            cur.execute("DELETE FROM themes")
            if themes:
                cur.executemany("INSERT INTO themes VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
                    [t.theme_id, t.label, t.name, json.dumps(t.terms), t.pinned, t.merged_into, t.created_at,
                     t.refreshed_at] for t in themes])
            if assigned:
                cur.execute("INSERT INTO text_themes SELECT event_id, theme_id, weight FROM _advokit_text_themes")
            cur.execute("DELETE FROM meta WHERE key IN (?, ?)", [REFRESHED, NEXT_ID])
            cur.execute("INSERT INTO meta VALUES (?, ?), (?, ?)", [REFRESHED, now.isoformat(), NEXT_ID, str(next_id)])

    # -- the user's decisions -------------------------------------------------
    def _update(self, theme_id: str, sql: str, params: list[Any]) -> dict[str, Any]:
        self.require()
        self.get(theme_id)
        with self.db.transaction(data=False) as cur:
            cur.execute(sql, [*params, theme_id])
        return self.get(theme_id)

    def rename(self, theme_id: str, name: str | None) -> dict[str, Any]:
        """Give a theme a name of the user's (kept by refreshes); ``None`` or an empty name goes back to the label."""
        clean = " ".join((name or "").split())
        if len(clean) > MAX_NAME:
            raise InvalidArgumentError(f"theme name is {len(clean)} characters long",
                                       hint=f"name a theme in at most {MAX_NAME} characters")
        return self._update(theme_id, "UPDATE themes SET name = ? WHERE theme_id = ?", [clean or None])

    def pin(self, theme_id: str, pinned: bool = True) -> dict[str, Any]:
        """Pin a theme (a refresh keeps it even when it is not found again) or unpin it."""
        return self._update(theme_id, "UPDATE themes SET pinned = ? WHERE theme_id = ?", [pinned])

    def merge(self, theme_id: str, into: str) -> dict[str, Any]:
        """Report ``theme_id`` (and the themes merged into it) as ``into`` from now on."""
        self.require()
        self.get(theme_id)
        self.get(into)
        root = self.roots()[into]
        if root == theme_id:
            raise InvalidArgumentError(f"theme {theme_id!r} cannot be merged into {into!r}",
                                       hint="a theme cannot be merged into itself or into a theme merged into it")
        with self.db.transaction(data=False) as cur:
            cur.execute("UPDATE themes SET merged_into = ? WHERE theme_id = ? OR merged_into = ?",
                        [root, theme_id, theme_id])
        return self.get(theme_id)

    def unmerge(self, theme_id: str) -> dict[str, Any]:
        """Report a merged theme on its own again."""
        return self._update(theme_id, "UPDATE themes SET merged_into = NULL WHERE theme_id = ?", [])


def _id_order(theme_id: str) -> tuple[int, str]:
    digits = theme_id[1:]
    return (int(digits), theme_id) if theme_id[:1] == "t" and digits.isdigit() else (0, theme_id)
