"""Bounded JSON: the limits of an event's ``properties`` and a decoder that never recurses without bound.

``properties`` (data contract section 2) is an object of at most
:data:`MAX_PROPERTIES_DEPTH` levels (the object itself is level 1) and at most
:data:`MAX_PROPERTIES_BYTES` bytes as compact JSON (UTF-8). Every way in
(files, ``POST /v1/events``, signed webhooks) refuses more: a file row or an
API item is rejected with field ``properties`` and one of the reasons below,
so nothing stored is too deep to read back, show or export.

Python's decoder recurses once a level: :func:`loads` turns its
``RecursionError`` into the ``ValueError`` every caller already handles, and
:func:`depth_over` measures nesting with a loop, never a recursive call.
"""

from __future__ import annotations

import json
from typing import Any

#: The deepest ``properties`` accepted (``{"a": {"b": 1}}`` is 2 deep).
MAX_PROPERTIES_DEPTH = 16
#: The largest ``properties`` accepted, in bytes of compact JSON.
MAX_PROPERTIES_BYTES = 16 * 1024
DEPTH_REASON = f"properties must not be nested more than {MAX_PROPERTIES_DEPTH} levels deep"
SIZE_REASON = f"properties must not be larger than {MAX_PROPERTIES_BYTES // 1024} KB as JSON"


def depth_over(value: Any, limit: int) -> bool:
    """Whether ``value`` (decoded JSON) nests objects and arrays more than ``limit`` levels deep (a loop)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list, tuple)))
    return False


def properties_problem(value: Any) -> str | None:
    """Why decoded ``properties`` are refused (depth, then size), else None."""
    if depth_over(value, MAX_PROPERTIES_DEPTH):
        return DEPTH_REASON
    try:  # bounded depth: dumping cannot recurse far
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError):
        return None  # not JSON data: the type checks say why
    return SIZE_REASON if size > MAX_PROPERTIES_BYTES else None


def loads(text: str | bytes) -> Any:
    """``json.loads``, with nesting too deep for the decoder a ``ValueError`` like any other bad JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def nesting_regex(limit: int) -> str:
    """An RE2 pattern matching exactly the bracket strings (``[]{}`` only, balanced) at most ``limit`` deep.

    Used on a JSON text with its strings and every other character removed: the text is at
    most ``limit`` deep exactly when the pattern matches it whole.
    """
    pattern = r"[\[{][\]}]"
    for _ in range(limit - 1):
        pattern = r"[\[{](?:" + pattern + r")*[\]}]"
    return pattern
