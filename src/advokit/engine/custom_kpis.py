"""Built-in custom KPI computations (registered by name)."""

from __future__ import annotations
