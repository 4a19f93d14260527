"""The workspace's texts and their sentiment (``ws.text``).

Every text event (:data:`TEXT_TYPES` with a non-empty text) is scored once, when it lands, and the label,
score, confidence, language and model version are kept in ``text_sentiment``; KPIs and reports read that
table. A text in a language other than English is stored as ``language_unsupported``, with no score.
``rescore`` scores again what an older model scored; ``tune`` refines the shipped model on the workspace's
own comments that carry a score (NPS 0–10, CSAT 1–5, review stars 1–5) and keeps it in ``text_models``: from
then on the tuned model scores the workspace's texts.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import InvalidArgumentError
from ..store import Database
from .language import language
from .model import LABELS, SentimentModel, fit

#: Event types whose text is scored.
TEXT_TYPES: tuple[str, ...] = ("nps_response", "csat_response", "review", "testimonial", "mention",
                               "community_post", "ugc_post")
UNSUPPORTED = "language_unsupported"
BATCH = 5000
#: Fewest scored comments per class ``tune`` needs.
MIN_PER_CLASS = 20
TUNED_SUFFIX = "+tuned"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def score_texts(model: SentimentModel, texts: Sequence[str]) -> list[dict[str, Any]]:
    """label / score / confidence / language for each text, in order (``language_unsupported`` for a text
    that is not English; an empty text is neutral with score 0)."""
    langs = [language(t) if t.strip() else "en" for t in texts]
    english = [i for i, code in enumerate(langs) if code == "en" and texts[i].strip()]
    scored = model.score([texts[i] for i in english])
    out: list[dict[str, Any]] = [
        {"label": UNSUPPORTED, "score": None, "confidence": None, "language": code} if code != "en"
        else {"label": "neutral", "score": 0.0, "confidence": None, "language": "en"}
        for code in langs]
    for j, i in enumerate(english):
        out[i] = {"label": scored.labels[j], "score": round(float(scored.scores[j]), 4),
                  "confidence": round(float(scored.confidences[j]), 4), "language": "en"}
    return out


class TextService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._shipped: SentimentModel | None = None
        self._model: tuple[str | None, SentimentModel] | None = None

    # -- the model ------------------------------------------------------------
    def shipped(self) -> SentimentModel:
        if self._shipped is None:
            self._shipped = SentimentModel.shipped()
        return self._shipped

    def _tuned_row(self) -> tuple[str, bytes] | None:
        row = self.db.cursor().execute(
            "SELECT model_id, weights FROM text_models WHERE base = ? ORDER BY created_at DESC LIMIT 1",
            [self.shipped().version]).fetchone()
        return (str(row[0]), bytes(row[1])) if row else None

    def model(self) -> SentimentModel:
        """The tuned model of this workspace where there is one, else the shipped model."""
        row = self._tuned_row()
        key = row[0] if row else None
        if self._model is None or self._model[0] != key:
            model = SentimentModel.from_bytes(row[1], base=self.shipped()) if row else self.shipped()
            self._model = (key, model)
        return self._model[1]

    def model_info(self) -> dict[str, Any]:
        m = self.model()
        info: dict[str, Any] = {"version": m.version, "tuned": m.base is not None, "base": self.shipped().version}
        if m.base is not None:
            row = self.db.cursor().execute(
                "SELECT figures, created_at FROM text_models WHERE model_id = ?",
                [self._tuned_row()[0]]).fetchone()  # type: ignore[index]
            info["figures"] = json.loads(row[0]) if row and row[0] else {}
            info["tuned_at"] = row[1].isoformat() if row and row[1] else None
        return info

    def score(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """Score texts that are not stored (``advokit text sentiment``)."""
        return score_texts(self.model(), texts)

    # -- stored texts ---------------------------------------------------------
    def score_pending(self, import_id: str | None = None) -> int:
        """Score the stored texts that have no sentiment yet (of one import, or all); returns how many."""
        where = "AND e.import_id = ?" if import_id is not None else ""
        return self._score(f"""
            SELECT e.event_id, e.text FROM events e ANTI JOIN text_sentiment s ON s.event_id = e.event_id
            WHERE e.type IN ({", ".join("?" * len(TEXT_TYPES))}) AND e.text IS NOT NULL AND trim(e.text) <> ''
            {where} ORDER BY e.event_id""", [*TEXT_TYPES, *([import_id] if import_id is not None else [])])

    def rescore(self, *, everything: bool = False) -> dict[str, Any]:
        """Score again the texts scored by another model than the current one (or all with ``everything``),
        then the ones never scored."""
        version = self.model().version
        with self.db.transaction() as cur:
            if everything:
                cur.execute("DELETE FROM text_sentiment")
            else:
                cur.execute("DELETE FROM text_sentiment WHERE model <> ?", [version])
        return {"model": version, "scored": self.score_pending()}

    def _score(self, sql: str, params: list[Any]) -> int:
        rows = self.db.cursor().execute(sql, params).fetchall()
        if not rows:
            return 0
        model = self.model()
        done = 0
        for start in range(0, len(rows), BATCH):
            part = rows[start:start + BATCH]
            scored = score_texts(model, [str(t) for _, t in part])
            _advokit_scored = pa.table({  # noqa: F841  (read by name below)
                "event_id": pa.array([e for e, _ in part], pa.string()),
                "label": pa.array([s["label"] for s in scored], pa.string()),
                "score": pa.array([s["score"] for s in scored], pa.float64()),
                "confidence": pa.array([s["confidence"] for s in scored], pa.float64()),
                "language": pa.array([s["language"] for s in scored], pa.string()),
            })
            with self.db.transaction() as cur:
                cur.execute("""INSERT OR REPLACE INTO text_sentiment
                               SELECT event_id, label, score, confidence, language, ?, ? FROM _advokit_scored""",
                            [model.version, _now()])
            done += len(part)
        return done

    def summary(self) -> dict[str, Any]:
        """How many stored texts each label has, and which models scored them."""
        cur = self.db.cursor()
        labels = dict(cur.execute("SELECT label, count(*) FROM text_sentiment GROUP BY label").fetchall())
        models = dict(cur.execute("SELECT model, count(*) FROM text_sentiment GROUP BY model").fetchall())
        return {"model": self.model_info(), "labels": {k: int(v) for k, v in sorted(labels.items())},
                "scored_by": {k: int(v) for k, v in sorted(models.items())}}

    # -- tuning ---------------------------------------------------------------
    def weak_labels(self) -> tuple[list[str], list[str]]:
        """The workspace's comments that carry a score, labelled by it: NPS 0–6 / 7–8 / 9–10, CSAT and
        review stars 1–2 / 3 / 4–5. English texts only; texts without a score never count."""
        rows = self.db.cursor().execute("""
            SELECT e.text, e.type, e.score FROM events e LEFT JOIN text_sentiment s ON s.event_id = e.event_id
            WHERE e.type IN ('nps_response', 'csat_response', 'review') AND e.score IS NOT NULL
              AND e.text IS NOT NULL AND trim(e.text) <> '' AND coalesce(s.label, '') <> ?
            ORDER BY e.event_id""", [UNSUPPORTED]).fetchall()
        texts, labels = [], []
        for text, kind, score in rows:
            if kind == "nps_response":
                label = "negative" if score <= 6 else "neutral" if score <= 8 else "positive"
            else:
                label = "negative" if score <= 2 else "neutral" if score < 4 else "positive"
            texts.append(str(text))
            labels.append(label)
        return texts, labels

    def tune(self, *, folds: int = 5, c: float = 1.0) -> dict[str, Any]:
        """Refine the shipped model on the workspace's scored comments; keep it with its cross-validated
        figures (macro-F1 and accuracy of the shipped and of the tuned model on the same folds), then rescore."""
        texts, labels = self.weak_labels()
        counts = {label: labels.count(label) for label in LABELS}
        short = [f"{label} {n}" for label, n in counts.items() if n < MIN_PER_CLASS]
        if short:
            raise InvalidArgumentError(
                f"too few scored comments to tune on: {', '.join(short)} (at least {MIN_PER_CLASS} of each class)",
                hint="import more survey answers or reviews that carry a comment")
        figures = cross_validate(self.shipped(), texts, labels, folds=folds, c=c)
        base = self.shipped()
        tuned = fit(texts, labels, version=base.version + TUNED_SUFFIX + "-" + uuid.uuid4().hex[:8], c=c,
                    base=base, info={"texts": len(texts), "classes": counts})
        with self.db.transaction() as cur:
            cur.execute("INSERT INTO text_models VALUES (?, ?, ?, ?, ?)",
                        [tuned.version, base.version, _now(), json.dumps(figures), tuned.to_bytes()])
        self._model = None
        rescored = self.rescore()
        return {"model": tuned.version, "texts": len(texts), "classes": counts, "figures": figures,
                "rescored": rescored["scored"]}

    def untune(self) -> int:
        """Drop the workspace's tuned models (the shipped model scores again); rescore. Returns texts rescored."""
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM text_models")
        self._model = None
        return int(self.rescore()["scored"])


def cross_validate(base: SentimentModel, texts: Sequence[str], labels: Sequence[str], *, folds: int = 5,
                   c: float = 1.0, seed: int = 0) -> dict[str, Any]:
    """Stratified k-fold figures of the base model and of a head tuned on the other folds."""
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    y = np.array(labels)
    base_pred = np.array(base.score(list(texts)).labels)
    tuned_pred = np.empty(len(y), dtype=object)
    for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y):
        head = fit([texts[i] for i in train], y[train].tolist(), version="cv", c=c, base=base)
        tuned_pred[test] = head.score([texts[i] for i in test]).labels
    tuned_list = tuned_pred.tolist()
    return {"folds": folds, "texts": len(y),
            "shipped": {"accuracy": round(float(accuracy_score(y, base_pred)), 4),
                        "macro_f1": round(float(f1_score(y, base_pred, average="macro")), 4)},
            "tuned": {"accuracy": round(float(accuracy_score(y, tuned_list)), 4),
                      "macro_f1": round(float(f1_score(y, tuned_list, average="macro")), 4)}}
