"""Customer texts: the sentiment model, language detection and the stored sentiment of every text (``ws.text``)."""

from .model import LABELS, SentimentModel
from .service import TEXT_TYPES, UNSUPPORTED, TextService, score_texts

__all__ = ["LABELS", "TEXT_TYPES", "UNSUPPORTED", "SentimentModel", "TextService", "score_texts"]
