"""Claim matching quality on our own labelled pairs, next to a BM25 baseline computed in the same run.

``bench/data/matching_pairs.jsonl`` holds pairs (a: a claim already in the desk, b: a new text)
labelled same or different; ``matching_distractors.jsonl`` holds more claims on the same topics.
The desk is every distinct ``a``, every ``b`` of a *different* pair (the near misses a real desk
holds: the negated claim, the one with another figure or country) and the distractors, stored
as claims in a fresh PostgreSQL database and indexed by the real service (``claims.matching.services``).

Retrieval: for each ``same`` pair, ``b`` is matched against the whole desk
(``find_similar``, the service behind ``/api/v1/claims/similar/``) and the rank of ``a`` gives
recall@1, recall@5, MAP@5 and MAP (one relevant claim per query, so AP = 1/rank).

Decision: for every pair, ours says "same" when the service calls ``a`` a *duplicate* of ``b``;
precision, recall and F1 are over the 401 labelled pairs, and again over the odd-numbered half
alone: the default thresholds were chosen on the even-numbered half, so that half is held out. The baseline ranks the desk by BM25
(``bm25s``, English stop words) and says "same" when ``a`` is its top result. A near miss
queried as ``b`` never counts itself.

    .venv/bin/python bench/eval_matching.py [--json var/bench/eval_matching.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/factcheck_bench_eval_matching")

from common import DATABASE_URL, ROOT, bench_database, log, print_table, write_results

DATA = ROOT / "bench" / "data"


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def ranking_metrics(ranks: list[int | None]) -> dict[str, float]:
    """ranks: the 1-based rank of the relevant claim per query, None when it was not returned."""
    n = len(ranks)
    return {
        "queries": n,
        "recall@1": round(sum(r == 1 for r in ranks if r) / n, 3),
        "recall@5": round(sum(r <= 5 for r in ranks if r) / n, 3),
        "MAP@5": round(sum(1 / r for r in ranks if r and r <= 5) / n, 3),
        "MAP": round(sum(1 / r for r in ranks if r) / n, 3),
    }


def decision_metrics(pairs: list[dict], said_same: list[bool]) -> dict[str, float]:
    tp = sum(p["label"] == "same" and s for p, s in zip(pairs, said_same, strict=True))
    fp = sum(p["label"] != "same" and s for p, s in zip(pairs, said_same, strict=True))
    fn = sum(p["label"] == "same" and not s for p, s in zip(pairs, said_same, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "F1": round(f1, 3)}


def by_kind(pairs: list[dict], said_same: list[bool]) -> dict[str, str]:
    """Per kind of pair: how often the decision was right."""
    right, total = Counter(), Counter()
    for pair, same in zip(pairs, said_same, strict=True):
        total[pair["kind"]] += 1
        right[pair["kind"]] += same == (pair["label"] == "same")
    return {kind: f"{right[kind]}/{total[kind]}" for kind in sorted(total)}


def bm25_baseline(corpus: list[str], pairs: list[dict], k: int) -> tuple[list[int | None], list[bool]]:
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False)
    position = {text: i for i, text in enumerate(corpus)}

    def ranked(query: str) -> list[int]:
        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = retriever.retrieve(tokens, k=min(k, len(corpus)), show_progress=False)
        return [int(d) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    ranks, said_same = [], []
    for pair in pairs:
        results = [i for i in ranked(pair["b"]) if i != position.get(pair["b"])]  # a near miss is not its own match
        target = position[pair["a"]]
        if pair["label"] == "same":
            ranks.append(results.index(target) + 1 if target in results else None)
        said_same.append(bool(results) and results[0] == target)
    return ranks, said_same


def ours(corpus: list[str], pairs: list[dict], k: int) -> tuple[list[int | None], list[bool], dict]:
    import django

    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://localhost/")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from claims.choices import MatchKind
    from claims.matching import services as matching
    from claims.models import Claim
    from claims.normalize import claim_text_key

    claims = Claim.objects.bulk_create([Claim(text=text, text_key=claim_text_key(text)) for text in corpus])
    ids = {claim.text: claim.pk for claim in claims}
    started = time.perf_counter()
    matching.claims_index(ids.values())
    index_seconds = time.perf_counter() - started
    ranks, said_same, latencies = [], [], []
    for pair in pairs:
        began = time.perf_counter()
        found = matching.find_similar(pair["b"], limit=k, min_score=0, exclude_claim_id=ids.get(pair["b"]))
        latencies.append(time.perf_counter() - began)
        result_ids = [match.claim_id for match in found]
        target = ids[pair["a"]]
        if pair["label"] == "same":
            ranks.append(result_ids.index(target) + 1 if target in result_ids else None)
        kinds = {match.claim_id: match.kind for match in found}
        said_same.append(kinds.get(target) == MatchKind.DUPLICATE)
    latencies.sort()
    timing = {
        "claims_indexed": len(ids),
        "index_seconds": round(index_seconds, 2),
        "query_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "query_p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
    }
    return ranks, said_same, timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--k", type=int, default=100, help="results asked for per query (MAP counts them all)")
    args = parser.parse_args()

    pairs = load_jsonl(DATA / "matching_pairs.jsonl")
    distractors = [row["text"] for row in load_jsonl(DATA / "matching_distractors.jsonl")]
    near_misses = [pair["b"] for pair in pairs if pair["label"] != "same"]
    corpus = list(dict.fromkeys([pair["a"] for pair in pairs] + near_misses + distractors))
    same = [pair for pair in pairs if pair["label"] == "same"]
    log(f"{len(pairs)} pairs ({len(same)} same), a desk of {len(corpus)} claims")

    base_ranks, base_same = bm25_baseline(corpus, pairs, args.k)
    with bench_database():
        our_ranks, our_same, timing = ours(corpus, pairs, args.k)

    results = {
        "pairs": len(pairs),
        "desk_claims": len(corpus),
        "ours": {**ranking_metrics(our_ranks), **decision_metrics(pairs, our_same), **timing},
        "bm25": {**ranking_metrics(base_ranks), **decision_metrics(pairs, base_same)},
        "ours_by_kind": by_kind(pairs, our_same),
        "bm25_by_kind": by_kind(pairs, base_same),
    }
    held_out = [i for i in range(len(pairs)) if i % 2 == 1]
    results["ours_held_out"] = decision_metrics([pairs[i] for i in held_out], [our_same[i] for i in held_out])
    results["bm25_held_out"] = decision_metrics([pairs[i] for i in held_out], [base_same[i] for i in held_out])
    results["ratio_MAP@5"] = round(results["ours"]["MAP@5"] / results["bm25"]["MAP@5"], 3)
    rows = [
        (name, f"{results['ours'][name]}  |  BM25 {results['bm25'][name]}")
        for name in ("recall@1", "recall@5", "MAP@5", "MAP", "precision", "recall", "F1")
    ]
    for name in ("precision", "recall", "F1"):
        rows.append(
            (f"{name}, held-out half", f"{results['ours_held_out'][name]}  |  BM25 {results['bm25_held_out'][name]}")
        )
    rows.append(("MAP@5 ours / BM25", f"{results['ratio_MAP@5']} (target >= 1.1; MAP@5 target >= 0.85)"))
    rows.append(("indexing", f"{timing['claims_indexed']} claims in {timing['index_seconds']} s"))
    rows.append(
        ("query latency (this small desk)", f"p50 {timing['query_p50_ms']} ms, p95 {timing['query_p95_ms']} ms")
    )
    print_table("Claim matching: ours | BM25 baseline", rows)
    print_table(
        "Duplicate decisions right, by kind of pair: ours | BM25",
        [
            (kind, f"{results['ours_by_kind'][kind]}  |  {results['bm25_by_kind'][kind]}")
            for kind in results["ours_by_kind"]
        ],
    )
    path = write_results("eval_matching", results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    log(f"figures written to {path}")


if __name__ == "__main__":
    main()
