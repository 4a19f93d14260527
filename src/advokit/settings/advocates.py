"""The workspace settings of the advocate scores (``ws.advocates``): one weight per component, one cut-off per tier.

Keys::

    advocates.weights.<component>   a number from 0 to 100; 0 leaves the component out
    advocates.tiers.<tier>          the lowest score (0 to 100) of the tier; tiers: champion, advocate,
                                    potential, passive (below passive: at risk)
    advocates.fatigue_days          contact fatigue of the next best ask (ws.funnel.next_ask): whole days
                                    after a request_sent before the next ask, 0 to 365 (0: none); default 30

Only the names and the ranges live here (this layer knows no scores); the defaults, what each component
measures and the check that the cut-offs descend are :mod:`advokit.advocates.config`.
"""

from __future__ import annotations

import math
import re

from ..errors import InvalidArgumentError

#: the score's components, in the order they are shown
COMPONENTS: tuple[str, ...] = ("nps", "nps_trend", "csat", "sentiment", "advocacy_recency", "advocacy_frequency",
                               "engagement", "tenure", "revenue", "expansion", "open_loops")
#: the tiers with a cut-off, highest first (below the last one: at risk)
TIERS: tuple[str, ...] = ("champion", "advocate", "potential", "passive")
WEIGHT_PREFIX = "advocates.weights."
TIER_PREFIX = "advocates.tiers."
MAX_WEIGHT = 100.0
FATIGUE_KEY = "advocates.fatigue_days"
MAX_FATIGUE_DAYS = 365

KEYS: dict[str, str] = {
    **{f"{WEIGHT_PREFIX}{c}": f"weight of the advocate score's {c} component (0 to {MAX_WEIGHT:g}; 0 leaves it out)"
       for c in COMPONENTS},
    **{f"{TIER_PREFIX}{t}": f"lowest advocate score (0 to 100) of the {t} tier" for t in TIERS},
    FATIGUE_KEY: f"days after a request_sent before the next best ask (0 to {MAX_FATIGUE_DAYS}; 0: no fatigue; "
                 "default 30)",
}
#: how the unknown-key hint names these keys
FAMILIES: tuple[str, ...] = (WEIGHT_PREFIX + "<component>", TIER_PREFIX + "<tier>", FATIGUE_KEY)


def check(key: str, value: str) -> str:
    """The value of an advocate key, checked: a finite number in the key's range, written back as text
    (``advocates.fatigue_days``: a whole number of days)."""
    if key == FATIGUE_KEY:
        text = value.strip()
        if not re.fullmatch(r"[0-9]{1,4}", text) or not 0 <= int(text) <= MAX_FATIGUE_DAYS:
            raise InvalidArgumentError(f"{key} must be a whole number of days from 0 to {MAX_FATIGUE_DAYS}, "
                                       f"not {text!r}", hint=KEYS[key])
        return str(int(text))
    try:
        number = float(value.strip())
    except ValueError:
        number = math.nan
    top = MAX_WEIGHT if key.startswith(WEIGHT_PREFIX) else 100.0
    if not math.isfinite(number) or not 0 <= number <= top:
        raise InvalidArgumentError(f"{key} must be a number from 0 to {top:g}, not {value.strip()!r}",
                                   hint=KEYS[key])
    return f"{number:g}"
