"""Closed-loop tracking as a service: the queue of answers that need a follow-up (``ws.loops``).

The loop itself (which answers need one, what closes it, its SLA) is defined once in
:mod:`advokit.engine.loops`; the closed-loop KPIs read the same definition. May import:
``engine``, ``store``, ``catalogue``, ``errors``.
"""

from .service import Loops

__all__ = ["Loops"]
