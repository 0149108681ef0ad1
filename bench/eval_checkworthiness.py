"""Evaluate check-worthiness on the labelled sets, the held-out test split reported on its own.

Reads every set of ``bench/checkworthiness_sets.py`` (the ``split`` of each document says whether
the model was trained on it). For the learned scorer (``claims.articles.checkworthiness``), the
hand-weighted cues alone (``claims.articles.cues.rule_score``, the scorer before the model) and the
plain baseline "has a digit or a capitalised word other than its first" it prints, per split and per
kind of input (social posts, transcripts, prose):

- AP: average precision of one ranking of all texts of that kind, as a desk sorting a feed sees it;
- MAP: mean over passages (prose, transcripts) of the AP of the passage's sentences;
- top 10: for each passage with 10 check-worthy sentences or more (a whole article), how many of its 10
  best-scored sentences are labelled check-worthy (mean over passages), as the article view lists them;
- F1 at the candidate threshold (0.5);

then the throughput of the learned scorer (sentences per second, batches of 100).

    .venv/bin/python bench/eval_checkworthiness.py [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

import django  # noqa: E402
from sklearn.metrics import average_precision_score  # noqa: E402

django.setup()

from checkworthiness_sets import Document, group, load  # noqa: E402

from claims.articles.checkworthiness import CHECKWORTHY_THRESHOLD, score_sentences  # noqa: E402
from claims.articles.cues import rule_score  # noqa: E402

_WORD = re.compile(r"[^\W\d_][\w'’-]*")
ARTICLE_POSITIVES = 10  # a passage with this many check-worthy sentences can fill a top 10
GROUPS = ("social", "transcript", "prose")


def baseline_score(text: str) -> float:
    """1 if the text has a digit or a capitalised word other than its first, else 0."""
    if any(ch.isdigit() for ch in text):
        return 1.0
    words = _WORD.findall(text)
    return 1.0 if any(word[0].isupper() for word in words[1:]) else 0.0


def average_precision(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """AP of one ranking (scikit-learn's: tied scores form one step, as a fair tie-break averages out)."""
    if not any(labels):
        return None
    return float(average_precision_score(list(labels), list(scores)))


def f1(scores: Sequence[float], labels: Sequence[int], threshold: float) -> float:
    tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and y)
    fp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and not y)
    fn = sum(1 for s, y in zip(scores, labels, strict=True) if s < threshold and y)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def evaluate(documents: list[Document], scores: dict[str, list[float]], threshold: float) -> dict:
    figures: dict = {}
    for kind in GROUPS:
        chosen = [d for d in documents if group(d) == kind]
        if not chosen:
            continue
        flat_scores = [s for d in chosen for s in scores[d.id]]
        flat_labels = [y for d in chosen for y in d.labels]
        passages = [d for d in chosen if not d.is_post]
        aps = [ap for d in passages if (ap := average_precision(scores[d.id], d.labels)) is not None]
        articles = [d for d in passages if sum(d.labels) >= ARTICLE_POSITIVES]
        top10 = []
        for d in articles:
            best = sorted(range(len(d.texts)), key=lambda i: (-scores[d.id][i], d.labels[i]))[:10]
            top10.append(sum(d.labels[i] for i in best))
        figures[kind] = {
            "texts": len(flat_labels),
            "positives": sum(flat_labels),
            "ap": average_precision(flat_scores, flat_labels),
            "map": sum(aps) / len(aps) if aps else None,
            "articles": len(articles),
            "top10_checkworthy": sum(top10) / len(top10) if top10 else None,
            "f1": f1(flat_scores, flat_labels, threshold),
        }
    return figures


def throughput(texts: list[str], seconds: float = 3.0) -> float:
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for start in range(0, len(texts), 100):
            score_sentences(texts[start : start + 100])
            count += len(texts[start : start + 100])
    return count / (time.perf_counter() - started)


def _score_all(documents: list[Document], scorer: Callable[[Document], list[float]]) -> dict[str, list[float]]:
    return {d.id: scorer(d) for d in documents}


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "bench" / "eval_checkworthiness.json")
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to measure throughput")
    args = parser.parse_args(argv)

    documents = load()
    scorers = {
        "learned": lambda d: [w.score for w in score_sentences(list(d.texts), d.language)],
        "cues only": lambda d: [rule_score(text, d.language) for text in d.texts],
        "digit/capital": lambda d: [baseline_score(text) for text in d.texts],
    }
    scores = {name: _score_all(documents, scorer) for name, scorer in scorers.items()}
    report: dict = {"threshold": CHECKWORTHY_THRESHOLD, "splits": {}}
    for split in ("test", "train"):
        chosen = [d for d in documents if d.split == split]
        texts = sum(len(d.texts) for d in chosen)
        note = "held out: never seen by the model or its penalty" if split == "test" else "the model was fitted here"
        print(f"\n{split} split ({note}): {len(chosen)} documents, {texts} texts")
        print(f"{'':14} {'kind':10} {'texts':>5} {'pos':>4} {'AP':>6} {'MAP':>6} {'top10':>6} {'F1':>6}")
        report["splits"][split] = {}
        for name in scorers:
            figures = evaluate(chosen, scores[name], CHECKWORTHY_THRESHOLD if name != "digit/capital" else 0.5)
            report["splits"][split][name] = figures
            for kind, row in figures.items():
                print(
                    f"{name:14} {kind:10} {row['texts']:5} {row['positives']:4} {_fmt(row['ap'])} "
                    f"{_fmt(row['map'])} {_fmt(row['top10_checkworthy'])} {_fmt(row['f1'])}"
                )
    sample = [t for d in documents for t in d.texts][:500]
    rate = throughput(sample, args.seconds)
    report["sentences_per_second"] = rate
    print(f"\nthroughput of the learned scorer: {rate:,.0f} texts/s (batches of 100, this machine)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
