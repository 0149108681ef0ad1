"""Evaluate the check-worthiness scorer against a labelled set, next to a naive baseline.

Reads ``bench/data/checkworthiness.jsonl`` (or ``--data PATH``): one passage per line,
``{"id", "genre", "language", "source", "sentences": [{"text", "label": 0|1, "paragraph": N}]}``.

Prints, for our scorer (candidate when score >= CHECKWORTHY_THRESHOLD) and for the baseline
("has a digit or a capitalised word not at sentence start" scores 1, else 0):
precision, recall and F1 micro-averaged over all sentences; MAP, the mean over passages
with at least one positive of the average precision of the passage's sentences ranked by
score (ties broken by sentence order); the ratios ours/baseline; F1 per genre; then the
scoring throughput on one core (all sentences scored repeatedly for at least 2 s).
``--json PATH`` also writes the figures.

Run: ``.venv/bin/python bench/eval_checkworthiness.py``. Needs no database and no Django.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from claims.articles.checkworthiness import CHECKWORTHY_THRESHOLD, score_sentence  # noqa: E402

DEFAULT_DATA = ROOT / "bench" / "data" / "checkworthiness.jsonl"
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def baseline_score(text: str) -> float:
    """1 if the sentence has a digit or a capitalised word other than its first, else 0."""
    if any(ch.isdigit() for ch in text):
        return 1.0
    words = _WORD.findall(text)
    return 1.0 if any(word[0].isupper() for word in words[1:]) else 0.0


def load(path: Path) -> list[dict]:
    passages = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            passage = json.loads(line)
            if not isinstance(passage.get("sentences"), list):
                raise SystemExit(f"{path}:{number}: no 'sentences' list")
            passages.append(passage)
    return passages


def average_precision(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """AP of one passage ranked by score, ties in sentence order; None without positives."""
    if not any(labels):
        return None
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    hits, total = 0, 0.0
    for rank, index in enumerate(order, 1):
        if labels[index]:
            hits += 1
            total += hits / rank
    return total / hits


def prf(pairs: Sequence[tuple[int, int]]) -> dict[str, float]:
    tp = sum(1 for predicted, gold in pairs if predicted and gold)
    fp = sum(1 for predicted, gold in pairs if predicted and not gold)
    fn = sum(1 for predicted, gold in pairs if not predicted and gold)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def evaluate(passages: list[dict], scorer: Callable[[str, str], float], threshold: float) -> dict:
    pairs: list[tuple[int, int]] = []
    by_genre: dict[str, list[tuple[int, int]]] = defaultdict(list)
    aps: list[float] = []
    for passage in passages:
        language = passage.get("language") or "en"
        texts = [sentence["text"] for sentence in passage["sentences"]]
        labels = [int(sentence["label"]) for sentence in passage["sentences"]]
        scores = [scorer(text, language) for text in texts]
        for score, label in zip(scores, labels, strict=True):
            pair = (int(score >= threshold), label)
            pairs.append(pair)
            by_genre[passage.get("genre") or "?"].append(pair)
        ap = average_precision(scores, labels)
        if ap is not None:
            aps.append(ap)
    figures = prf(pairs)
    figures["map"] = sum(aps) / len(aps) if aps else 0.0
    figures["passages_ranked"] = len(aps)
    figures["genres"] = {genre: prf(genre_pairs)["f1"] for genre, genre_pairs in sorted(by_genre.items())}
    return figures


def throughput(texts_by_language: list[tuple[str, str]], seconds: float = 2.0) -> float:
    """Sentences per second scoring the whole set over and over on this one core."""
    count, started = 0, time.perf_counter()
    while True:
        for text, language in texts_by_language:
            score_sentence(text, language)
        count += len(texts_by_language)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return count / elapsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--json",
        type=Path,
        default=ROOT / "var" / "bench" / "eval_checkworthiness.json",
        help="where to write the figures (default: var/bench/eval_checkworthiness.json)",
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="how long to measure throughput")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says

    passages = load(args.data)
    sentences = [(s["text"], p.get("language") or "en") for p in passages for s in p["sentences"]]
    positives = sum(int(s["label"]) for p in passages for s in p["sentences"])
    print(f"{args.data}: {len(passages)} passages, {len(sentences)} sentences, {positives} check-worthy")

    ours = evaluate(passages, lambda text, language: score_sentence(text, language).score, CHECKWORTHY_THRESHOLD)
    base = evaluate(passages, lambda text, language: baseline_score(text), 0.5)
    print(f"{'':10} {'precision':>9} {'recall':>7} {'F1':>6} {'MAP':>6}")
    for name, figures in (("ours", ours), ("baseline", base)):
        print(
            f"{name:10} {figures['precision']:9.3f} {figures['recall']:7.3f} {figures['f1']:6.3f} {figures['map']:6.3f}"
        )
    ratios = {
        key: (ours[key] / base[key] if base[key] else float("inf")) for key in ("precision", "recall", "f1", "map")
    }
    print(f"{'ratio':10} {ratios['precision']:9.2f} {ratios['recall']:7.2f} {ratios['f1']:6.2f} {ratios['map']:6.2f}")
    print("F1 per genre (ours / baseline):")
    for genre in ours["genres"]:
        print(f"  {genre:20} {ours['genres'][genre]:.3f} / {base['genres'][genre]:.3f}")
    rate = throughput(sentences, args.seconds) if sentences else 0.0
    print(f"throughput: {rate:,.0f} sentences/s on one core")
    targets = {"f1 >= 0.75": ours["f1"] >= 0.75, "map >= 1.2 x baseline": ratios["map"] >= 1.2}
    print("targets: " + ", ".join(f"{name}: {'met' if met else 'NOT met'}" for name, met in targets.items()))
    if args.json:
        report = {
            "data": str(args.data),
            "passages": len(passages),
            "sentences": len(sentences),
            "positives": positives,
            "threshold": CHECKWORTHY_THRESHOLD,
            "ours": ours,
            "baseline": base,
            "ratios": ratios,
            "sentences_per_second": rate,
            "targets": targets,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
