"""The advocacy funnel, influencers and the next best ask (issue 18), ``ws.funnel``.

* :mod:`.stages` — the five funnel stages, each stage's rule defined once (the Ibis expression and its words);
* :mod:`.funnel` — counts per period and segment, conversions between consecutive stages with Wilson intervals;
* :mod:`.influencers` — authors of mentions ranked by reach, influencer flags and sentiment;
* :mod:`.next_ask` — the ask ladder and contact fatigue;
* :mod:`.service` — :class:`Funnel`, the service behind the CLI and the API.

May import: ``advocates`` (scores and tiers), ``listening`` (periods of mentions, our brand), ``engine``
(periods, the KPI service's backend and dimensions), ``settings``, ``store``, ``stats``, ``catalogue``, ``errors``.
"""

from .influencers import ROW_KEYS as INFLUENCER_KEYS
from .next_ask import LADDER, ROW_KEYS as NEXT_ASK_KEYS
from .service import MAX_LIMIT, Funnel
from .stages import STAGE_KEYS, STAGES, Stage

__all__ = ["INFLUENCER_KEYS", "LADDER", "MAX_LIMIT", "NEXT_ASK_KEYS", "STAGES", "STAGE_KEYS", "Funnel", "Stage"]
