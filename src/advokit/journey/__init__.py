"""Journey stages and personas of customers as of a date (issue 18), stored as customer attributes.

* :mod:`.stages` — the five journey stages, their signals and precedence, each rule written once; one Ibis
  expression per cutoff (no Python loop over events);
* :mod:`.personas` — behavioural personas: standardised features, a seeded KMeans with k chosen by
  silhouette, names and descriptions from the clusters' distinguishing traits;
* :mod:`.attributes` — storing a value per customer as a customer attribute column (``journey_stage``,
  ``persona``) with the record of the run;
* :mod:`.service` — :class:`Journey` (``ws.journey``); :class:`Personas` (``ws.personas``).

May import: ``advocates`` (the as-of feature frame, ``parse_as_of``), ``engine`` (the loop definition),
``catalogue``, ``store``, ``errors``.
"""

from .personas import TRAITS
from .service import ATTRIBUTE, PERSONA_ATTRIBUTE, ROW_KEYS, Journey, Personas, stage_key
from .stages import JOURNEY, PRECEDENCE, SIGNALS, Stage

__all__ = ["ATTRIBUTE", "JOURNEY", "PERSONA_ATTRIBUTE", "PRECEDENCE", "ROW_KEYS", "SIGNALS", "TRAITS", "Journey",
           "Personas", "Stage", "stage_key"]
