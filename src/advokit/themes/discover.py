"""Theme discovery on a list of texts: TF-IDF (English stop words, 1–3-grams) and NMF, seeded.

Pure: texts in, themes and their assignments out; nothing here reads the store. The same texts in the same
order give the same themes (``init='nndsvd'`` is deterministic and ``random_state`` is fixed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..errors import InvalidArgumentError

#: Most themes discovered when none is asked for.
MAX_THEMES = 12
#: Fewest texts a discovery runs on.
MIN_TEXTS = 10
#: Texts per theme when the number of themes is chosen (2,400 texts → 12 themes, 150 → 3).
TEXTS_PER_THEME = 50
#: Terms kept per theme.
TOP_TERMS = 10
#: A text takes at most this many themes ...
MAX_PER_TEXT = 3
#: ... each with at least this share of the text's theme weight.
MIN_WEIGHT = 0.2
SEED = 0

Terms = list[tuple[str, float]]


@dataclass
class Found:
    """The themes of one run: each one's terms (weight 1 for the top term) and label, and per text its
    themes as ``(theme index, weight)`` with the weights summing to 1 (an empty list: no theme)."""
    terms: list[Terms] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    assigned: list[list[tuple[int, float]]] = field(default_factory=list)


def choose_k(n_texts: int) -> int:
    """The number of themes for ``n_texts`` texts: one per :data:`TEXTS_PER_THEME`, 2 to :data:`MAX_THEMES`."""
    return max(2, min(MAX_THEMES, n_texts // TEXTS_PER_THEME))


def label_of(terms: Sequence[str]) -> str:
    """A readable label from a theme's terms, best first: its first phrase of two or more words (or a longer
    phrase among the terms that contains it: "helpful friendly staff" over "friendly staff"), else its first
    word."""
    if not terms:
        return ""
    phrases = [t for t in terms if " " in t and len(set(t.split())) == len(t.split())]  # not "broadband broadband"
    phrase = phrases[0] if phrases else None
    if phrase is None:
        return terms[0]
    longer = [t for t in phrases if t != phrase and f" {phrase} " in f" {t} "]
    return longer[0] if longer else phrase


def _vectorizer(n_texts: int) -> object:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(stop_words="english", ngram_range=(1, 3), min_df=2 if n_texts < 200 else 3,
                           max_df=0.5, max_features=20_000, sublinear_tf=True, dtype=np.float64)


def _assign(w: npt.NDArray[np.float64]) -> list[list[tuple[int, float]]]:
    out: list[list[tuple[int, float]]] = []
    for row in w:
        total = float(row.sum())
        if total <= 1e-9:
            out.append([])
            continue
        share = row / total
        top = [int(j) for j in np.argsort(-share, kind="stable")[:MAX_PER_TEXT] if share[j] >= MIN_WEIGHT]
        kept = float(share[top].sum()) if top else 0.0
        out.append([(j, round(float(share[j]) / kept, 4)) for j in top])
    return out


def _top_terms(h: npt.NDArray[np.float64], vocabulary: npt.NDArray[np.str_]) -> Terms:
    order = np.argsort(-h, kind="stable")[:TOP_TERMS]
    top = float(h[order[0]]) if len(order) else 0.0
    return [(str(vocabulary[j]), round(float(h[j]) / top, 3)) for j in order if h[j] > 0 and top > 0]


def discover(texts: Sequence[str], *, k: int | None = None,
             keep: Callable[[list[Terms]], Sequence[Terms]] | None = None) -> Found:
    """Themes of ``texts`` (``k`` of them, or :func:`choose_k`). ``keep`` is given the discovered themes' terms
    and returns themes to add as they are, by their terms (pinned ones not rediscovered): they are appended
    after the discovered ones and take their texts alongside them."""
    from sklearn.decomposition import NMF, non_negative_factorization

    if len(texts) < MIN_TEXTS:
        return Found()
    if k is not None and k < 1:
        raise InvalidArgumentError(f"invalid number of themes {k}", hint="ask for at least 1 theme, or none")
    vec = _vectorizer(len(texts))
    try:
        x = vec.fit_transform(texts)  # type: ignore[attr-defined]
    except ValueError:  # nothing left after the stop words and min_df
        return Found()
    vocabulary = np.asarray(vec.get_feature_names_out())  # type: ignore[attr-defined]
    k = min(k or choose_k(len(texts)), x.shape[0], x.shape[1])
    nmf = NMF(n_components=k, init="nndsvd", random_state=SEED, max_iter=400)
    w = nmf.fit_transform(x)
    h = nmf.components_
    live = [i for i in range(k) if h[i].max() > 0 and w[:, i].max() > 0]
    h, w = h[live], w[:, live]
    # biggest first: the order (and so new theme ids) does not depend on NMF's component order
    order = np.argsort(-w.sum(axis=0), kind="stable")
    h, w = h[order], w[:, order]
    found = Found(terms=[_top_terms(row, vocabulary) for row in h])
    index = {t: j for j, t in enumerate(vocabulary)}
    kept = list(keep(found.terms)) if keep is not None else []
    if kept:
        scale = float(h.max(axis=1).mean()) if len(h) else 1.0
        extra = np.zeros((len(kept), h.shape[1]))
        for i, terms in enumerate(kept):
            for term, weight in terms:
                if term in index:
                    extra[i, index[term]] = weight * scale
        h = np.vstack([h, extra])
        w, _, _ = non_negative_factorization(x, H=h, n_components=h.shape[0], init="custom", update_H=False,
                                             random_state=SEED, max_iter=400)
        found.terms += [list(terms) for terms in kept]
    found.labels = [label_of([t for t, _ in terms]) for terms in found.terms]
    found.assigned = _assign(np.asarray(w, dtype=np.float64))
    return found


def jaccard(a: Terms, b: Terms) -> float:
    sa, sb = {t for t, _ in a[:TOP_TERMS]}, {t for t, _ in b[:TOP_TERMS]}
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def match(new: Sequence[Terms], old: Sequence[Terms], *, threshold: float = 0.3) -> dict[int, int]:
    """Greedy best match of new themes to old ones by the Jaccard overlap of their top terms (at least
    ``threshold``): ``{new index: old index}``, each used once, the best pairs first."""
    pairs = sorted(((jaccard(n, o), i, j) for i, n in enumerate(new) for j, o in enumerate(old)),
                   key=lambda p: (-p[0], p[1], p[2]))
    out: dict[int, int] = {}
    used: set[int] = set()
    for score, i, j in pairs:
        if score < threshold:
            break
        if i not in out and j not in used:
            out[i] = j
            used.add(j)
    return out
