"""Saved models: rows of the ``prediction_models`` table (schema version 10), no pickle.

A row holds the target, the horizon, the kind, the feature list (JSON) and its fingerprint, the model as text
(logistic: JSON coefficients; lightgbm: its model string) and the metadata (JSON: data span, cutoffs,
categories, figures, library versions). The newest row of a target is the one that scores.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

from ..store import Database
from .frame import NUMERIC
from .learners import Fitted

#: bumped whenever a numeric feature's definition changes (frame.py): older models are then refused
FRAME_VERSION = "models-frame-1"


def fingerprint(features: Sequence[str]) -> str:
    """The feature set's identity: the frame's version and the ordered feature names."""
    text = json.dumps({"frame": FRAME_VERSION, "numeric": list(NUMERIC), "features": list(features)})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save(db: Database, *, target: str, horizon: int, model: Fitted, features: Sequence[str],
         metadata: dict[str, Any], trained_at: dt.datetime) -> str:
    model_id = f"{target}-{trained_at:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    with db.transaction(data=False) as cur:
        cur.execute("INSERT INTO prediction_models VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [model_id, target, horizon, model.variant, fingerprint(features), json.dumps(list(features)),
                     model.body, json.dumps(metadata, default=str), trained_at])
    return model_id


def _row(r: Sequence[Any], *, body: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"model_id": r[0], "target": r[1], "horizon_days": int(r[2]), "model": r[3],
                           "feature_set": r[4], "features": json.loads(r[5]), "trained_at": r[8].isoformat(),
                           **json.loads(r[7])}
    if body:
        out["body"] = r[6]
    return out


_COLUMNS = "model_id, target, horizon_days, kind, feature_set, features, body, metadata, trained_at"


def latest(db: Database, target: str) -> dict[str, Any] | None:
    """The newest model of ``target`` (with its body), or None."""
    r = db.cursor().execute(f"SELECT {_COLUMNS} FROM prediction_models WHERE target = ? "
                            "ORDER BY trained_at DESC, model_id DESC LIMIT 1", [target]).fetchone()
    return None if r is None else _row(r, body=True)


def all_models(db: Database) -> list[dict[str, Any]]:
    """Every saved model (no bodies), newest first."""
    rows = db.cursor().execute(f"SELECT {_COLUMNS} FROM prediction_models "
                               "ORDER BY trained_at DESC, model_id DESC").fetchall()
    return [_row(r, body=False) for r in rows]


def has_any(db: Database) -> bool:
    row = db.cursor().execute("SELECT count(*) FROM prediction_models").fetchone()
    return bool(row and row[0])
