"""Social listening: figures of ``mention`` events per period (``ws.listening``).

Volume, reach, the sentiment of mentions (the labels ``advokit.text`` stored), influencer mentions, top
authors by reach, share of voice against competitors (``properties.brand``) and spikes of volume (a day or
week significantly above its trailing 28 days, Poisson upper-tail test) flagged as alerts. May import:
``store``, ``settings``, ``engine`` (period labels), ``stats``, ``errors``.
"""

from .service import Listening
from .spikes import MIN_COUNT, SPIKE_ALPHA, Spike, find_spikes

__all__ = ["MIN_COUNT", "SPIKE_ALPHA", "Listening", "Spike", "find_spikes"]
