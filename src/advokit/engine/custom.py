"""Registry of custom KPI computations (for KPIs too rich for the declarative forms).

A custom computation is a function ``(params, ctx) -> ibis Table`` returning one
row per ``period_start`` (and dimension values) with the columns ``value``,
``numerator``, ``denominator`` and ``n``. It is declared in the catalogue as
``compute: {kind: custom, function: NAME, params: {...}}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir

from ..errors import CatalogueError

if TYPE_CHECKING:
    from ..catalogue.model import CustomCompute
    from .compiler import Context

CustomFn = Callable[[dict[str, Any], "Context"], ir.Table]
_REGISTRY: dict[str, CustomFn] = {}


_ADDITIVE: dict[str, float] = {}
_BY_TEXT: set[str] = set()


def register(name: str, *, additive_scale: float | None = None,
             by_theme: bool = False) -> Callable[[CustomFn], CustomFn]:
    """Register a custom computation.

    ``additive_scale``: declare that the computation's ``numerator``, ``denominator``, ``n`` (and any
    extra column) add up over disjoint groups of customers and that ``value`` is
    ``numerator × additive_scale / denominator`` (None when the denominator is 0). Such a KPI can be
    answered from the per-customer-group rollups (``advokit.rollup``); others are always computed.

    ``by_theme``: the computation's rows are texts and it breaks down by ``theme`` (``ctx.by_theme``, see
    :mod:`.text_groups`) as well as by customer attributes.
    """
    def deco(fn: CustomFn) -> CustomFn:
        _REGISTRY[name] = fn
        if by_theme:
            _BY_TEXT.add(name)
        else:
            _BY_TEXT.discard(name)
        if additive_scale is not None:
            _ADDITIVE[name] = additive_scale
        else:
            _ADDITIVE.pop(name, None)
        return fn
    return deco


def additive_scale(spec: "CustomCompute") -> float | None:
    """The declared ``additive_scale`` of a custom computation (None: not additive)."""
    _load()
    return _ADDITIVE.get(spec.function)


def by_theme(spec: "CustomCompute") -> bool:
    """Whether a custom computation breaks down by ``theme`` (its rows are texts)."""
    _load()
    return spec.function in _BY_TEXT


def names() -> list[str]:
    _load()
    return sorted(_REGISTRY)


def function(name: str) -> CustomFn | None:
    """The registered computation ``name`` (None when there is none)."""
    _load()
    return _REGISTRY.get(name)


def _load() -> None:
    from . import custom_kpis, loop_kpis  # noqa: F401  (register the built-in functions)


def build(spec: "CustomCompute", ctx: "Context") -> ir.Table:
    _load()
    try:
        fn = _REGISTRY[spec.function]
    except KeyError:
        raise CatalogueError(f"no custom computation named {spec.function!r}",
                             hint="registered: " + ", ".join(sorted(_REGISTRY))) from None
    return fn(spec.params, ctx)
