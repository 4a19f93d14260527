"""The shipped sentiment model against VADER, in the same run, on the public labelled sets.

    .venv/bin/python benchmarks/bench_sentiment.py [--data ../shared/data] [--skip-tweets] [--skip-tuning]

Prints, per set, 3-class accuracy and macro-F1 of VADER (compound ≥ 0.05 positive, ≤ −0.05 negative) and of
the shipped model, with the issue's targets and whether each is met:

- airline-tweets-sentiment: the evaluation hold-out (never trained, tuned or chosen on);
- tweets (held out): the training set split 80/20 (seeded), a model of the same recipe trained on the 80 %
  (the shipped model saw every row, so it is not measured on them);
- reviews-amazon-alexa (stars) and nps-verbatim-telecom (category): the development sets;
- domain adaptation: ``advokit text tune``'s head, by 5-fold cross-validation on the Alexa reviews and on the
  NPS verbatims, against the shipped model on the same folds;
- speed: texts per second on one core (the NPS verbatims scored again and again), the weights' load time and a
  cold start (a fresh interpreter importing advokit, loading the model and scoring one text).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

os.environ.setdefault("OMP_NUM_THREADS", "1")

from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from advokit.text import corpora  # noqa: E402
from advokit.text.features import vader_scores  # noqa: E402
from advokit.text.model import SentimentModel, fit  # noqa: E402
from advokit.text.service import cross_validate  # noqa: E402

TARGETS = {"airline-tweets-sentiment": (0.65, 0.60), "tweets (held out)": (0.72, None),
           "reviews-amazon-alexa": (None, 0.60), "nps-verbatim-telecom": (None, 0.60)}


def vader(texts: list[str]) -> list[str]:
    c = vader_scores(texts)[:, 3]
    return ["positive" if x >= 0.05 else "negative" if x <= -0.05 else "neutral" for x in c]


def figures(y: list[str], p: list[str]) -> tuple[float, float]:
    return float(accuracy_score(y, p)), float(f1_score(y, p, average="macro"))


def verdict(value: float, target: float | None) -> str:
    return "" if target is None else (" ✓" if value >= target else f" ✗ (target {target:.2f})")


def main() -> int:
    ap = argparse.ArgumentParser(description="sentiment benchmark")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--skip-tweets", action="store_true", help="skip the held-out tweets (a training run)")
    ap.add_argument("--skip-tuning", action="store_true", help="skip the domain-adaptation cross-validation")
    args = ap.parse_args()
    t0 = time.perf_counter()
    model = SentimentModel.shipped()
    load_s = time.perf_counter() - t0
    results: dict[str, object] = {"model": model.version}
    sets = ["airline-tweets-sentiment", "reviews-amazon-alexa", "nps-verbatim-telecom"]
    print(f"{'set':28} {'n':>6}  {'VADER acc/F1':>13}  {'advokit acc/F1':>15}")
    for name in sets:
        texts, y = corpora.load(name, args.data)
        va, vf = figures(y, vader(texts))
        ma, mf = figures(y, model.score(texts).labels)
        ta, tf = TARGETS[name]
        print(f"{name:28} {len(y):6,}  {va:.3f} / {vf:.3f}  {ma:.3f}{verdict(ma, ta)} / {mf:.3f}{verdict(mf, tf)}"
              f"   ratio F1 {mf / vf:.2f}× VADER")
        results[name] = {"n": len(y), "vader": [round(va, 4), round(vf, 4)], "advokit": [round(ma, 4), round(mf, 4)]}
    if not args.skip_tweets:
        texts, y = corpora.tweets(args.data)
        tr, te, ytr, yte = train_test_split(texts, y, test_size=0.2, random_state=0, stratify=y)
        held = fit(tr, ytr, version="bench")
        va, vf = figures(yte, vader(te))
        ma, mf = figures(yte, held.score(te).labels)
        print(f"{'tweets (held out)':28} {len(yte):6,}  {va:.3f} / {vf:.3f}  {ma:.3f}{verdict(ma, 0.72)} / {mf:.3f}")
        results["tweets (held out)"] = {"vader": [round(va, 4), round(vf, 4)], "advokit": [round(ma, 4), round(mf, 4)]}
    if not args.skip_tuning:
        for name in ("reviews-amazon-alexa", "nps-verbatim-telecom"):
            texts, y = corpora.load(name, args.data)
            cv = cross_validate(model, texts, y, folds=5)
            print(f"tuned on {name:19} 5-fold macro-F1 {cv['shipped']['macro_f1']:.3f} shipped → "
                  f"{cv['tuned']['macro_f1']:.3f} tuned{verdict(cv['tuned']['macro_f1'], 0.60)}; accuracy "
                  f"{cv['shipped']['accuracy']:.3f} → {cv['tuned']['accuracy']:.3f}")
            results[f"tuned {name}"] = cv
    texts, _ = corpora.load("nps-verbatim-telecom", args.data)
    batch = (texts * 4)[:8000]
    model.score(batch[:100])
    t = time.perf_counter()
    model.score(batch)
    rate = len(batch) / (time.perf_counter() - t)
    t = time.perf_counter()
    vader(batch)
    vrate = len(batch) / (time.perf_counter() - t)
    cold = subprocess.run([sys.executable, "-c", "import time; t=time.perf_counter(); "
                           "from advokit.text.model import SentimentModel; SentimentModel.shipped().score(['ok']); "
                           "print(time.perf_counter()-t)"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    cold_s = float(cold.stdout.strip() or "nan")
    print(f"speed: {rate:,.0f} texts/s on one core{verdict(rate, 2000)} ({rate / vrate:.2f}× VADER alone, "
          f"{vrate:,.0f}/s); weights load {load_s:.3f} s{' ✓' if load_s < 1 else ' ✗'}; cold start "
          f"(import + load + one text) {cold_s:.2f} s")
    results["speed"] = {"texts_per_s": round(rate), "vader_texts_per_s": round(vrate), "load_s": round(load_s, 3),
                        "cold_start_s": round(cold_s, 3)}
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
