"""Is a text English? The sentiment model reads English only; other texts are marked, not guessed.

A text counts as English unless the evidence says otherwise, since short English texts ("ok", "love it!!")
carry too little for any identifier:

- most of its letters are outside the Latin script (Cyrillic, CJK, Arabic, ...): not English;
- otherwise, when it has at least ``MIN_WORDS`` words and under ``MIN_COMMON`` of them are common English
  words (a few, like "me" or "no", are words of other languages too), the
  ``py3langid`` identifier (a model carried by its PyPI package, loaded on first need) decides, and a language
  other than English with probability at least ``MIN_PROBABILITY`` marks it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

MIN_WORDS = 4
MIN_PROBABILITY = 0.9
MIN_COMMON = 0.2

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_COMMON = frozenset("""
a about after all also am an and any are as at be because been but by can could did do does don't for from get
got had has have he her him his how i i'm if in into is it it's its just like me more my no not now of on one or
our out so some than that the their them then there they this to too up us very was we well were what when
which who will with would you your
""".split())


def script_share(text: str) -> float:
    """The share of the text's letters that are Latin."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 1.0
    latin = sum(1 for c in letters if "LATIN" in unicodedata.name(c, ""))
    return latin / len(letters)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def language(text: str) -> str | None:
    """'en' for a text read as English, an ISO 639-1 code for one that is not, None when unknown
    (then a script outside Latin)."""
    if script_share(text) < 0.5:
        return None
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < MIN_WORDS or sum(w in _COMMON for w in words) >= MIN_COMMON * len(words):
        return "en"
    code, probability = _identifier().classify(text)
    return str(code) if code != "en" and probability >= MIN_PROBABILITY else "en"


def is_english(text: str) -> bool:
    return language(text) == "en"
