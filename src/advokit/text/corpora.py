"""Readers of the labelled public text sets (``../shared/data``) the training script and the benchmark use.

Each returns (texts, labels) with labels from negative / neutral / positive:

- ``tweet-sentiment-train``: the training set (CC BY 4.0), its own labels;
- ``nps-verbatim-telecom``: NPS comments, labelled by the answer's category (detractor / passive / promoter);
- ``reviews-amazon-alexa``: reviews, labelled by stars (1–2 / 3 / 4–5);
- ``airline-tweets-sentiment``: the evaluation hold-out, its human labels (read by the benchmark only).
"""

from __future__ import annotations

import csv
from pathlib import Path

_NPS = {"Detractor": "negative", "Passive": "neutral", "Promoter": "positive"}


def _rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def tweets(data: Path) -> tuple[list[str], list[str]]:
    rows = [r for r in _rows(data / "tweet-sentiment-train" / "tweet_sentiment_train.csv") if r["text"].strip()]
    return [r["text"].strip() for r in rows], [r["sentiment"] for r in rows]


def stars(score: int) -> str:
    """A 1–5 star rating as a sentiment label."""
    return "negative" if score <= 2 else "neutral" if score == 3 else "positive"


def nps_label(score: float) -> str:
    """An NPS answer (0–10) as a sentiment label: detractor, passive, promoter."""
    return "negative" if score <= 6 else "neutral" if score <= 8 else "positive"


def load(name: str, data: Path) -> tuple[list[str], list[str]]:
    if name == "tweet-sentiment-train":
        return tweets(data)
    if name == "nps-verbatim-telecom":
        rows = [r for r in _rows(data / name / "nps_verbatim.csv")
                if r["text"].strip() and r["text"] != "NA" and r["NPS_RATING"] in _NPS]
        return [r["text"].strip() for r in rows], [_NPS[r["NPS_RATING"]] for r in rows]
    if name == "reviews-amazon-alexa":
        rows = [r for r in _rows(data / name / "amazon_alexa.tsv", "\t") if r["verified_reviews"].strip()]
        return [r["verified_reviews"].strip() for r in rows], [stars(int(r["rating"])) for r in rows]
    if name == "airline-tweets-sentiment":
        rows = _rows(data / name / "Tweets_airline_sentiment_6col.csv")
        return [r["text"] for r in rows], [r["airline_sentiment"] for r in rows]
    raise KeyError(name)
