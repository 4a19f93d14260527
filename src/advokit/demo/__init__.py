"""The demo: a realistic, reproducible dataset in the canonical format, and its loading into a workspace.

:mod:`.generate` builds the customers and events with numpy (it imports
nothing of advokit); :mod:`.load` imports them through the ordinary importer
and reports what was built. May import: ``ingest``, ``engine``, ``errors``.
"""

from .generate import DemoData, generate

__all__ = ["DemoData", "generate"]
