"""Turning texts into the features the sentiment model reads.

Three views of a text, stacked side by side:

- word uni- and bigrams and character 2–5-grams (within word boundaries), hashed into fixed-size spaces
  (no vocabulary to ship), weighted by the inverse document frequency learned in training, sub-linear term
  frequency, each block scaled to unit length;
- VADER's four scores (negative, neutral, positive, compound: a rule-based reading that handles negation,
  intensifiers and emoticons), from the ``vaderSentiment`` package, which carries its lexicon;
- twelve lexicon cues (:func:`lexicon_features`): counts of VADER-lexicon positive and negative words with
  negation, "but"-clauses, punctuation, generic complaint cues; none learnt from any data set's text.

Training (``scripts/train_sentiment.py``) and scoring share this module, so both see the same features.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import HashingVectorizer

WORD_BITS = 18
CHAR_BITS = 18
#: How strongly the VADER block counts beside the two unit-length n-gram blocks.
VADER_WEIGHT = 3.0

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@\w+")
_REPEAT = re.compile(r"(\w)\1{2,}")


def normalise(text: str) -> str:
    """Lower case, links and @handles replaced by placeholders, letters repeated 3+ times cut to two."""
    text = _URL.sub(" urltoken ", text)
    text = _HANDLE.sub(" usertoken ", text)
    return _REPEAT.sub(r"\1\1", text.lower())


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_scores(texts: Sequence[str]) -> np.ndarray:
    """VADER's negative, neutral, positive and compound scores, one row per text."""
    analyse = _vader().polarity_scores
    out = np.empty((len(texts), 4), dtype=np.float64)
    for i, t in enumerate(texts):
        s = analyse(t)
        out[i] = (s["neg"], s["neu"], s["pos"], s["compound"])
    return out


# (scikit-learn is imported on first use: it takes a second, which no command without texts should pay)
@lru_cache(maxsize=1)
def _words() -> "HashingVectorizer":
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=2 ** WORD_BITS, ngram_range=(1, 2), alternate_sign=False, norm=None,
                             preprocessor=normalise, token_pattern=r"(?u)\b\w[\w']*\b", dtype=np.float32)


@lru_cache(maxsize=1)
def _chars() -> "HashingVectorizer":
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=2 ** CHAR_BITS, analyzer="char_wb", ngram_range=(2, 5),
                             alternate_sign=False, norm=None, preprocessor=normalise, dtype=np.float32)


def counts(texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Raw hashed counts of the word and the character n-grams."""
    return _words().transform(texts).tocsr(), _chars().transform(texts).tocsr()


def _weigh(m: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    m = m.copy()
    m.data = (1.0 + np.log(m.data)).astype(np.float32)  # sub-linear term frequency
    m = m.multiply(idf.reshape(1, -1)).tocsr()
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags((1.0 / norms).astype(np.float32)) @ m


@dataclass(frozen=True)
class FeatureSpace:
    """The learned part of the features: each hashed n-gram's idf (0 = dropped, seen too rarely)."""

    word_idf: np.ndarray
    char_idf: np.ndarray

    @classmethod
    def fit(cls, texts: Sequence[str], *, min_df: int = 2) -> "FeatureSpace":
        words, chars = counts(texts)
        return cls(_idf(words, len(texts), min_df), _idf(chars, len(texts), min_df))

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """One row per text: the weighted word block, the character block, VADER's scores, the lexicon cues."""
        words, chars = counts(texts)
        vader = sp.csr_matrix(vader_scores(texts).astype(np.float32) * VADER_WEIGHT)
        lexicon = sp.csr_matrix(lexicon_features(texts).astype(np.float32) * LEXICON_WEIGHT)
        return sp.hstack([_weigh(words, self.word_idf), _weigh(chars, self.char_idf), vader, lexicon],
                         format="csr")

    @property
    def width(self) -> int:
        return len(self.word_idf) + len(self.char_idf) + DENSE_WIDTH


def _idf(m: sp.csr_matrix, n: int, min_df: int) -> np.ndarray:
    df = np.bincount(m.indices, minlength=m.shape[1])
    idf: np.ndarray = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    idf[df < min_df] = 0.0
    return idf

_LEX_TOKEN = re.compile(r"[a-z][a-z']*|[!?]")
COMPLAINT = frozenset("""wait waiting waited hold still never nobody refund refunds cancel cancelled canceled
delay delayed late lost broken stuck again worst fix fixed issue issues problem problems error errors fail failed
failing unable charged fee fees rude ignored unacceptable disappointed disappointing useless waste terrible
horrible awful hours days weeks supposed nothing anymore stopped complaint complain""".split())
NEGATORS_EXTRA = frozenset("no not never none nobody nothing nor without cant dont wont isnt wasnt didnt doesnt".split())


@lru_cache(maxsize=1)
def _lex() -> tuple[dict[str, float], frozenset[str]]:
    from vaderSentiment.vaderSentiment import NEGATE, SentimentIntensityAnalyzer

    lex = {k: float(v) for k, v in SentimentIntensityAnalyzer().lexicon.items() if re.fullmatch(r"[a-z][a-z']*", k)}
    return lex, frozenset(NEGATE) | NEGATORS_EXTRA


#: Columns of :func:`lexicon_features`.
LEXICON_WIDTH = 12
#: Dense columns after the two hashed blocks: VADER's four scores, then the lexicon features.
DENSE_WIDTH = 4 + LEXICON_WIDTH
#: How strongly the lexicon block counts.
LEXICON_WEIGHT = 1.0


def lexicon_features(texts: Sequence[str]) -> np.ndarray:
    """Domain-agnostic cues, one row per text: VADER-lexicon positive and negative words (count, and valence
    summed over the square root of the length; a word within three tokens after a negator flips, as VADER
    does), negators, a \"but\" and the lexicon sum after it, exclamation and question marks, generic complaint
    cues (waiting, refunds, things broken or late: written for customer feedback in general), length and
    words in capitals."""
    lex, neg = _lex()
    out = np.zeros((len(texts), LEXICON_WIDTH), np.float64)
    for i, t in enumerate(texts):
        toks = _LEX_TOKEN.findall(t.lower().replace("’", "'"))
        npos = nneg = 0
        spos = sneg = 0.0
        negs = excl = ques = cues = 0
        after_but = 0.0
        seen_but = False
        since_neg = 99
        for tok in toks:
            if tok == "!":
                excl += 1
                continue
            if tok == "?":
                ques += 1
                continue
            since_neg += 1
            if tok in neg or tok.endswith("n't"):
                negs += 1
                since_neg = 0
                continue
            if tok == "but":
                seen_but = True
                after_but = 0.0
                continue
            if tok in COMPLAINT:
                cues += 1
            v = lex.get(tok)
            if v is None:
                continue
            if since_neg <= 3:
                v = -0.74 * v
            if v > 0:
                npos += 1
                spos += v
            else:
                nneg += 1
                sneg -= v
            if seen_but:
                after_but += v
        n = max(len(toks), 1)
        caps = sum(1 for w in t.split() if len(w) > 2 and w.isupper() and w.isalpha())
        out[i] = (np.log1p(npos), np.log1p(nneg), spos / np.sqrt(n), sneg / np.sqrt(n), np.log1p(negs),
                  float(seen_but), np.tanh(after_but / 4), np.log1p(excl), np.log1p(ques), np.log1p(cues),
                  np.log1p(n) / 3, np.log1p(caps))
    return out
