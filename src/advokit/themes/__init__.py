"""Themes of the workspace's texts (``ws.themes``): discovered with TF-IDF and NMF, named, merged and pinned
by the user, and reported per period and segment (share, sentiment, promoter and detractor themes, rising
and falling themes, quotes). May import: ``text``, ``engine`` (periods, text_groups), ``store``, ``stats``, ``errors``."""

from .discover import choose_k, discover, label_of, match
from .service import MAX_TEXTS, Themes

__all__ = ["MAX_TEXTS", "Themes", "choose_k", "discover", "label_of", "match"]
