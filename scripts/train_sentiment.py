"""Train the sentiment model that ships in advokit (src/advokit/text/weights/sentiment.npz).

    .venv/bin/python scripts/train_sentiment.py [--data ../shared/data]

Training data: tweet-sentiment-train (27,480 labelled tweets, CC BY 4.0; see its PROVENANCE.md), all rows.
Three decision parameters (a bias added to the negative and to the neutral intercept, and the weight of VADER's
compound added to the positive logit and taken from the negative one) are chosen on the two development sets
the data README allows for tuning: the NPS verbatims (category as label) and the Amazon Alexa reviews (stars
as label), by their mean macro-F1 (the grid of scripts/select_sentiment.py, which chose the recipe). The airline-tweets hold-out is never read here. Deterministic: the same data
gives the same weights. The tests never run this; benchmarks/bench_sentiment.py measures the result.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

sys.path.insert(0, str(ROOT / "scripts"))

from select_sentiment import DEV, tune  # noqa: E402

from advokit.text import corpora  # noqa: E402
from advokit.text.features import vader_scores  # noqa: E402
from advokit.text.model import LABELS, SHIPPED, fit, with_bias, with_compound  # noqa: E402

VERSION = "advokit-sentiment-2"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "advokit" / "text" / "weights" / SHIPPED)
    ap.add_argument("--c", type=float, default=1.0)
    args = ap.parse_args()
    texts, labels = corpora.tweets(args.data)
    print(f"training on {len(texts):,} tweets", file=sys.stderr)
    model = fit(texts, labels, version=VERSION, c=args.c,
                info={"trained_on": "tweet-sentiment-train (CC BY 4.0)", "rows": len(texts), "c": args.c})
    dev = {name: corpora.load(name, args.data) for name in DEV}
    logits = {name: model.logits(t) for name, (t, _) in dev.items()}
    comps = {name: vader_scores(t)[:, 3] for name, (t, _) in dev.items()}
    ys = {name: np.array([LABELS.index(v) for v in y]) for name, (_, y) in dev.items()}
    (neg, neu, alpha), f1s = tune(logits, comps, ys)
    best_f1 = float(np.mean(f1s))
    print("dev macro-F1: " + ", ".join(f"{n} {f:.3f}" for n, f in zip(DEV, f1s)), file=sys.stderr)
    model = with_compound(with_bias(model, [neg, neu, 0.0]), alpha)
    model.info.update({"negative_shift": neg, "neutral_shift": neu, "vader_compound_weight": alpha})
    args.out.write_bytes(model.to_bytes())
    print(json.dumps({"version": VERSION, "negative_shift": neg, "neutral_shift": neu,
                      "vader_compound_weight": alpha, "dev_macro_f1": round(best_f1, 3),
                      "bytes": args.out.stat().st_size}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
