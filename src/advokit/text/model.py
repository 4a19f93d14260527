"""The sentiment model: a multinomial logistic regression over :mod:`.features`.

A model is a :class:`~.features.FeatureSpace` (hashed n-gram idf weights), a coefficient matrix (one row per
class: negative, neutral, positive) and intercepts. It is saved as one compressed ``.npz`` (arrays only, no
pickled code), which is what ships in ``weights/`` and what ``advokit text tune`` stores in the workspace.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import WorkspaceError
from .features import CHAR_BITS, DENSE_WIDTH, VADER_WEIGHT, WORD_BITS, FeatureSpace

#: The classes, in the order of the coefficient rows.
LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
SHIPPED = "sentiment.npz"
#: How strongly a tuned model's head sees the base model's log-probabilities.
STACK_WEIGHT = 1.0


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    out: np.ndarray = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return out


@dataclass(frozen=True)
class Scores:
    """Scores of a list of texts, one entry per text: label, score in [-1, 1] (P(positive) − P(negative))
    and confidence (the probability of the label)."""

    labels: list[str]
    scores: np.ndarray
    confidences: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class SentimentModel:
    space: FeatureSpace
    coef: np.ndarray        # (3, width) float32
    intercept: np.ndarray   # (3,)
    version: str
    info: dict[str, Any] = field(default_factory=dict)
    #: A tuned model is a head over the features and the log-probabilities of the model it refines.
    base: "SentimentModel | None" = None

    # -- scoring --------------------------------------------------------------
    def design(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The rows the coefficients apply to: the features, then (tuned) the base model's log-probabilities."""
        x = self.space.transform(texts)
        if self.base is None:
            return x
        z = np.asarray(x @ self.base.coef.T) + self.base.intercept
        return sp.hstack([x, sp.csr_matrix(_log_softmax(z) * STACK_WEIGHT)], format="csr")

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        z: np.ndarray = np.asarray(self.design(texts) @ self.coef.T) + self.intercept
        return z

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        z = self.logits(texts)
        z -= z.max(axis=1, keepdims=True)
        p: np.ndarray = np.exp(z)
        out: np.ndarray = p / p.sum(axis=1, keepdims=True)
        return out

    def score(self, texts: Sequence[str], *, batch: int = 4096) -> Scores:
        """Score texts in batches (vectorised within a batch)."""
        parts = [self.probabilities(texts[i:i + batch]) for i in range(0, len(texts), batch)]
        p = np.vstack(parts) if parts else np.zeros((0, 3))
        best = p.argmax(axis=1)
        return Scores([LABELS[i] for i in best], np.clip(p[:, 2] - p[:, 0], -1.0, 1.0), p.max(axis=1))

    # -- storage --------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The model as a compressed npz: only the n-grams kept in training (idf > 0) are written."""
        wi = np.flatnonzero(self.space.word_idf)
        ci = np.flatnonzero(self.space.char_idf)
        nw = len(self.space.word_idf)
        extra = DENSE_WIDTH + (3 if self.base is not None else 0)
        cols = np.concatenate([wi, nw + ci, nw + len(self.space.char_idf) + np.arange(extra)])
        buf = io.BytesIO()
        np.savez_compressed(
            buf, word_index=wi.astype(np.int32), word_idf=self.space.word_idf[wi].astype(np.float16),
            char_index=ci.astype(np.int32), char_idf=self.space.char_idf[ci].astype(np.float16),
            coef=self.coef[:, cols].astype(np.float16), intercept=self.intercept.astype(np.float32),
            meta=np.frombuffer(json.dumps({"version": self.version, "info": self.info,
                                           "base": self.base.version if self.base is not None else None,
                                           "word_bits": WORD_BITS, "char_bits": CHAR_BITS,
                                           "dense": DENSE_WIDTH}).encode(), np.uint8))
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, *, base: "SentimentModel | None" = None) -> "SentimentModel":
        """Read a saved model; a tuned one needs the model it refines (``base``, of the version it names)."""
        try:
            z = np.load(io.BytesIO(data), allow_pickle=False)
            meta = json.loads(z["meta"].tobytes().decode())
        except (OSError, ValueError, KeyError) as exc:
            raise WorkspaceError(f"the sentiment model cannot be read: {exc}",
                                 hint="reinstall advokit, or `advokit text tune` again") from exc
        if (meta["word_bits"], meta["char_bits"], meta.get("dense", 4)) != (WORD_BITS, CHAR_BITS, DENSE_WIDTH):
            raise WorkspaceError("the sentiment model was made for other features",
                                 hint="`advokit text tune` again with this advokit")
        stacked = meta.get("base")
        if stacked is not None and (base is None or base.version != stacked):
            raise WorkspaceError(f"the tuned sentiment model refines {stacked}, which this advokit does not ship",
                                 hint="`advokit text tune` again")
        nw, nc = 2 ** WORD_BITS, 2 ** CHAR_BITS
        extra = DENSE_WIDTH + (3 if stacked is not None else 0)
        word_idf = np.zeros(nw, np.float32)
        word_idf[z["word_index"]] = z["word_idf"]
        char_idf = np.zeros(nc, np.float32)
        char_idf[z["char_index"]] = z["char_idf"]
        cols = np.concatenate([z["word_index"], nw + z["char_index"], nw + nc + np.arange(extra)])
        coef = np.zeros((3, nw + nc + extra), np.float32)
        coef[:, cols] = z["coef"]
        return cls(FeatureSpace(word_idf, char_idf), coef, z["intercept"].astype(np.float64), meta["version"],
                   meta.get("info", {}), base if stacked is not None else None)

    @classmethod
    def shipped(cls) -> "SentimentModel":
        """The model that ships in the package (``weights/sentiment.npz``)."""
        return cls.from_bytes(resources.files(__package__).joinpath("weights", SHIPPED).read_bytes())


def fit(texts: Sequence[str], labels: Sequence[str], *, version: str, c: float = 1.0, min_df: int = 2,
        base: SentimentModel | None = None, sample_weight: np.ndarray | None = None,
        info: dict[str, Any] | None = None) -> SentimentModel:
    """Train a model on labelled texts (labels from :data:`LABELS`). With ``base``, a head that refines it:
    the base's features (its learned idf) plus its log-probabilities."""
    from sklearn.linear_model import LogisticRegression

    space = base.space if base is not None else FeatureSpace.fit(texts, min_df=min_df)
    shell = SentimentModel(space, np.zeros((3, 0), np.float32), np.zeros(3), version, {}, base)
    x: sp.csr_matrix = shell.design(texts)
    y = np.array([LABELS.index(label) for label in labels])
    if len(set(y.tolist())) < 3:
        raise WorkspaceError("a sentiment model needs texts of all three classes (negative, neutral, positive)")
    # Only the columns some text uses: the hashed space has millions, nearly all empty, and an empty column's
    # coefficient is 0 at the optimum anyway (no gradient but the penalty's): the same fit, many times faster.
    used = np.unique(x.indices)
    clf = LogisticRegression(C=c, max_iter=3000)
    clf.fit(x[:, used], y, sample_weight=sample_weight)
    coef = np.zeros((3, x.shape[1]), np.float32)
    intercept = np.zeros(3)
    coef[np.ix_(clf.classes_, used)] = clf.coef_
    intercept[clf.classes_] = clf.intercept_
    return SentimentModel(space, coef, intercept, version, dict(info or {}), base)


def with_bias(model: SentimentModel, bias: Sequence[float], *, version: str | None = None) -> SentimentModel:
    """The same model with ``bias`` added to its intercepts (a shift of the class priors)."""
    return SentimentModel(model.space, model.coef, model.intercept + np.asarray(bias, dtype=np.float64),
                          version or model.version, model.info, model.base)


def with_compound(model: SentimentModel, alpha: float) -> SentimentModel:
    """The same model with ``alpha`` × VADER's compound added to the positive logit and taken from the negative
    one (an ensemble with VADER, folded into the coefficient of the compound column)."""
    coef = model.coef.copy()
    col = len(model.space.word_idf) + len(model.space.char_idf) + 3
    coef[2, col] += alpha / VADER_WEIGHT
    coef[0, col] -= alpha / VADER_WEIGHT
    return SentimentModel(model.space, coef, model.intercept, model.version, model.info, model.base)
