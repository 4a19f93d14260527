"""Statistics with no advokit inside: interval and significance formulas, and the special functions they need.

:mod:`.formulas` (NPS, Wilson, t, Poisson intervals and the tests of a
difference) is pure and vectorised; :mod:`._special` holds the normal, t and
gamma quantiles and tails (numpy only, no SciPy). The engine attaches each
row's interval with them and the analyses test changes with them. May import:
nothing of advokit.
"""

from . import formulas
from .formulas import ALPHA

__all__ = ["ALPHA", "formulas"]
