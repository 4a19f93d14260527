"""Train the sentiment model that ships in advokit (src/advokit/text/weights/sentiment.npz).

    .venv/bin/python scripts/train_sentiment.py [--data ../shared/data]

Training data: tweet-sentiment-train (27,480 labelled tweets, CC BY 4.0; see its PROVENANCE.md), all rows.
The class-prior shift (one number, added to the neutral intercept) is chosen on the two development sets the
data README allows for tuning: the NPS verbatims (category as label) and the Amazon Alexa reviews (stars as
label), by their mean macro-F1. The airline-tweets hold-out is never read here. Deterministic: the same data
gives the same weights. The tests never run this; benchmarks/bench_sentiment.py measures the result.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from advokit.text.model import LABELS, SHIPPED, fit, with_bias  # noqa: E402
from advokit.text import corpora  # noqa: E402

VERSION = "advokit-sentiment-1"
BIASES = [round(b, 2) for b in np.arange(0.0, -1.51, -0.1)]


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
    dev = {name: corpora.load(name, args.data) for name in ("nps-verbatim-telecom", "reviews-amazon-alexa")}
    logits = {name: model.logits(t) for name, (t, _) in dev.items()}
    best, best_f1 = 0.0, -1.0
    for b in BIASES:
        f1s = []
        for name, (_, y) in dev.items():
            z = logits[name].copy()
            z[:, 1] += b
            f1s.append(f1_score(y, [LABELS[i] for i in z.argmax(axis=1)], average="macro"))
        print(f"neutral shift {b:+.1f}: " + ", ".join(f"{n} {f:.3f}" for n, f in zip(dev, f1s)), file=sys.stderr)
        if np.mean(f1s) > best_f1 + 1e-9:
            best, best_f1 = b, float(np.mean(f1s))
    model = with_bias(model, [0.0, best, 0.0])
    model.info["neutral_shift"] = best
    args.out.write_bytes(model.to_bytes())
    print(json.dumps({"version": VERSION, "neutral_shift": best, "dev_macro_f1": round(best_f1, 3),
                      "bytes": args.out.stat().st_size}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
