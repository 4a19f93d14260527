"""Segment filters as people write them: one parser for every surface.

The command line writes a filter ``DIM=VALUE`` (``--filter segment=SMB``, repeatable); an address
(the REST API, the dashboard) writes it ``DIM:VALUE`` (``?filter=segment:SMB``, repeatable), so it
needs no escaping in a query string. Both keep only customers whose attribute equals the value; an
empty value (``segment=`` / ``segment:``) keeps those whose attribute is empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from ..errors import InvalidArgumentError

#: The separator of each surface: ``=`` on the command line, ``:`` in addresses.
CLI_SEP: Literal["="] = "="
ADDRESS_SEP: Literal[":"] = ":"


def parse_filter_items(items: Iterable[str], *, sep: Literal["=", ":"]) -> dict[str, str | None]:
    """``["segment=SMB", "region=EMEA"]`` (``sep="="``) or ``["segment:SMB"]`` (``sep=":"``) →
    ``{"segment": "SMB", ...}``; a later filter on the same attribute wins. Blank items are skipped."""
    out: dict[str, str | None] = {}
    example = f"segment{sep}SMB"
    form = f"--filter DIM={'VALUE'}" if sep == CLI_SEP else "filter=DIM:VALUE"
    for item in items:
        if not item.strip():
            continue
        name, found, value = item.partition(sep)
        if not found or not name.strip():
            raise InvalidArgumentError(f"invalid filter {item!r}", hint=f"use {form}, e.g. {example}")
        out[name.strip()] = value if value != "" else None
    return out


__all__ = ["ADDRESS_SEP", "CLI_SEP", "parse_filter_items"]
