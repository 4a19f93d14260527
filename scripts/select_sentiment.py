"""Choose the sentiment model's recipe on the development sets only (never the airline hold-out).

    .venv/bin/python scripts/select_sentiment.py [--data ../shared/data]

Each candidate is trained on 80 % of tweet-sentiment-train (the benchmark's seeded split) and measured on the
other 20 % (accuracy) and on the two development sets the data README allows for tuning (Amazon Alexa reviews
by stars, NPS verbatims by category: macro-F1), before and after the decision parameters (a bias per class and
the weight of VADER's compound added to the logits) chosen on those two sets by their mean macro-F1.
The airline tweets are never read here.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from advokit.text import corpora  # noqa: E402
from advokit.text import features as F  # noqa: E402
from advokit.text.model import LABELS  # noqa: E402

DEV = ("reviews-amazon-alexa", "nps-verbatim-telecom")
NEU = np.arange(-2.5, 0.51, 0.125)
NEG = np.arange(-1.5, 1.51, 0.125)
ALPHA = (0.0, 0.5, 1.0, 2.0)


def lexfeat(texts: list[str]) -> np.ndarray:
    if hasattr(F, "lexicon_features"):
        return F.lexicon_features(texts)  # type: ignore[no-any-return]
    from exp_lex import lexicon_features
    return lexicon_features(texts)


def blocks(texts: list[str]) -> dict[str, object]:
    w, c = F.counts(texts)
    return {"w": w, "c": c, "v": F.vader_scores(texts), "l": lexfeat(texts)}


def design(b: dict[str, object], widf: np.ndarray, cidf: np.ndarray, cfg: dict[str, float]) -> sp.csr_matrix:
    parts = [F._weigh(b["w"], widf) * cfg.get("ww", 1.0)]  # type: ignore[arg-type]
    if cfg["char"]:
        parts.append(F._weigh(b["c"], cidf) * cfg["char"])  # type: ignore[arg-type]
    parts.append(sp.csr_matrix(b["v"] * cfg["vader"]))  # type: ignore[operator]
    if cfg["lex"]:
        parts.append(sp.csr_matrix(b["l"] * cfg["lex"]))  # type: ignore[operator]
    return sp.hstack(parts, format="csr")


def decide(z: np.ndarray, comp: np.ndarray, neg: float, neu: float, alpha: float) -> np.ndarray:
    z = z + np.array([neg, neu, 0.0]) + alpha * comp[:, None] * np.array([-1.0, 0.0, 1.0])
    return z.argmax(axis=1)


def tune(logits: dict[str, np.ndarray], comps: dict[str, np.ndarray], ys: dict[str, np.ndarray],
         alphas: tuple[float, ...] = ALPHA) -> tuple[tuple[float, float, float], list[float]]:
    best: tuple[float, tuple[float, float, float], list[float]] = (-1.0, (0.0, 0.0, 0.0), [])
    for a, ng, nu in itertools.product(alphas, NEG, NEU):
        f1s = [float(f1_score(ys[n], decide(logits[n], comps[n], ng, nu, a), average="macro")) for n in DEV]
        if np.mean(f1s) > best[0] + 1e-9:
            best = (float(np.mean(f1s)), (float(ng), float(nu), float(a)), f1s)
    return best[1], best[2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--only", type=str, default="")
    args = ap.parse_args()
    texts, y = corpora.tweets(args.data)
    tr, te, ytr, yte = train_test_split(texts, y, test_size=0.2, random_state=0, stratify=y)
    t0 = time.time()
    btr, bte = blocks(tr), blocks(te)
    dev = {n: corpora.load(n, args.data) for n in DEV}
    bdev = {n: blocks(t) for n, (t, _) in dev.items()}
    ys = {n: np.array([LABELS.index(v) for v in lab]) for n, (_, lab) in dev.items()}
    comps = {n: bdev[n]["v"][:, 3] for n in DEV}  # type: ignore[index]
    print(f"features in {time.time() - t0:.0f} s", file=sys.stderr)
    widf = F._idf(btr["w"], len(tr), 2)  # type: ignore[arg-type]
    cidf = F._idf(btr["c"], len(tr), 2)  # type: ignore[arg-type]
    ytr_i = np.array([LABELS.index(v) for v in ytr])
    yte_i = np.array([LABELS.index(v) for v in yte])
    cands = {
        "current": dict(char=1.0, vader=3.0, lex=0.0, c=1.0),
        "lex1": dict(char=1.0, vader=3.0, lex=1.0, c=1.0),
        "lex3": dict(char=1.0, vader=3.0, lex=3.0, c=1.0),
        "nochar_lex3": dict(char=0.0, vader=3.0, lex=3.0, c=1.0),
        "lex3_c0.3": dict(char=1.0, vader=3.0, lex=3.0, c=0.3),
        "lex3_c3": dict(char=1.0, vader=3.0, lex=3.0, c=3.0),
        "char0.5_lex3": dict(char=0.5, vader=3.0, lex=3.0, c=1.0),
        "ww0.5_char0.5_lex3": dict(ww=0.5, char=0.5, vader=3.0, lex=3.0, c=1.0),
    }
    only = [s for s in args.only.split(",") if s]
    for name, cfg in cands.items():
        if only and name not in only:
            continue
        t0 = time.time()
        clf = LogisticRegression(C=cfg["c"], max_iter=3000)
        clf.fit(design(btr, widf, cidf, cfg), ytr_i)
        tacc = float(accuracy_score(yte_i, clf.predict(design(bte, widf, cidf, cfg))))
        logits = {n: clf.decision_function(design(bdev[n], widf, cidf, cfg)) for n in DEV}
        raw = [float(f1_score(ys[n], logits[n].argmax(axis=1), average="macro")) for n in DEV]
        (ng, nu, a), f1s = tune(logits, comps, ys)
        (ng0, nu0, _), f1s0 = tune(logits, comps, ys, (0.0,))
        accs = [float(accuracy_score(ys[n], decide(logits[n], comps[n], ng, nu, a))) for n in DEV]
        row = {"cand": name, **cfg, "tweets_acc": round(tacc, 4), "raw_f1": [round(f, 4) for f in raw],
               "bias_only": {"neg": ng0, "neu": nu0, "f1": [round(f, 4) for f in f1s0],
                             "mean": round(float(np.mean(f1s0)), 4)},
               "bias+vader": {"neg": ng, "neu": nu, "alpha": a, "f1": [round(f, 4) for f in f1s],
                              "acc": [round(v, 4) for v in accs], "mean": round(float(np.mean(f1s)), 4)},
               "s": round(time.time() - t0)}
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
