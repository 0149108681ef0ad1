"""The dense claim index at 1,000,000 vectors: HNSW (usearch) latency and recall@10 against exact search.

Embedding a million texts takes hours on this machine, so the vectors are built from real ones:
the 3,600 stored claims and 900 posts of ``bench/data/retrieval`` are embedded for real
(multilingual-e5-small, as ``embeddings.embed`` gives them: language directions and centre taken
off), and each synthetic vector is a random blend of two of them plus a little noise, normalised:
a million vectors crowded around 3,600 real ones, each with near neighbours that differ only a
little, which is what makes approximate search hard. Queries are
the real post vectors and blends of the same kind not in the index. Recall@10 is the share of the
exact top 10 (a float32 matrix product over all vectors) that the graph returns in its top 10;
latency is one query at a time on one thread, as ``find_similar`` asks (``k`` = 40, what it asks
per compared text).

    .venv/bin/python bench/index.py [--size 1000000] [--queries 400]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, latency_summary, log, print_table, write_results

DATA = ROOT / "bench" / "data" / "retrieval"


def real_vectors() -> tuple[np.ndarray, np.ndarray]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    import django

    django.setup()
    from claims.matching import embeddings
    from claims.matching.posts import prepare

    def texts(name: str) -> list[str]:
        rows = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        return [prepare(row["text"], row.get("language")).text for row in rows]

    stored = texts("factchecks.jsonl") + texts("distractors.jsonl")
    posts = texts("posts.jsonl")
    return embeddings.embed(stored), embeddings.embed(posts)


def blends(base: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((count, base.shape[1]), dtype=np.float32)
    for start in range(0, count, 100_000):
        n = min(100_000, count - start)
        first, second = rng.integers(0, len(base), n), rng.integers(0, len(base), n)
        weight = rng.uniform(0.0, 0.45, (n, 1)).astype(np.float32)
        noise = rng.standard_normal((n, base.shape[1])).astype(np.float32) * 0.015
        chunk = (1 - weight) * base[first] + weight * base[second] + noise
        out[start : start + n] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--expansions", default="1024,2048,4096", help="HNSW search breadths to measure, one build")
    args = parser.parse_args()
    rng = np.random.default_rng(7)

    log("embedding the real claims and posts")
    stored, posts = real_vectors()
    vectors = blends(stored, args.size, rng)
    half = args.queries // 2
    queries = np.vstack([posts[rng.permutation(len(posts))[:half]], blends(stored, args.queries - half, rng)])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    from claims.matching.index import _Graph

    log(f"building the HNSW graph over {args.size:,} vectors")
    began = time.perf_counter()
    expansions = [int(e) for e in args.expansions.split(",")]
    graph = _Graph.from_matrix(vectors, np.arange(args.size), expansions[0])
    build_seconds = time.perf_counter() - began
    graph_mb = graph.graph.memory_usage / 1e6

    log("exact top 10 of every query")
    exact_top = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    exact_times = []
    for query in queries[:50]:
        began = time.perf_counter()
        scores = vectors @ query
        np.argpartition(-scores, 40)[:40]
        exact_times.append(time.perf_counter() - began)

    exact_latency = latency_summary(exact_times, sum(exact_times))
    results = {
        "size": args.size,
        "build_seconds": round(build_seconds, 1),
        "graph_mb": round(graph_mb),
        "float32_matrix_mb": round(vectors.nbytes / 1e6),
        "rss_mb_before_graph": round(rss_before),
        "exact": exact_latency,
        "by_expansion": {},
    }
    rows = [
        (
            "exact search, numpy float32 (baseline)",
            f"p50 {exact_latency['p50_ms']} ms, p95 {exact_latency['p95_ms']} ms",
        )
    ]
    for expansion in expansions:
        graph.graph.expansion_search = expansion
        log(f"graph searches at expansion {expansion}, one at a time")
        times, recalls, rescored = [], [], []
        for query, truth in zip(queries, exact_top, strict=True):
            began = time.perf_counter()
            keys, _ = graph.search(query[None, :], 40)
            times.append(time.perf_counter() - began)
            truth_set = set(truth.tolist())
            recalls.append(len(set(keys[0][:10].tolist()) & truth_set) / 10)
            # find_similar re-scores the 40 candidates it asks for: the top 10 of those, exactly scored
            candidates = keys[0]
            best = candidates[np.argsort(-(vectors[candidates] @ query))[:10]]
            rescored.append(len(set(best.tolist()) & truth_set) / 10)
        latency = latency_summary(times, sum(times))
        figures = {
            "latency": latency,
            "recall@10": round(float(np.mean(recalls)), 4),
            "recall@10_real_posts": round(float(np.mean(recalls[:half])), 4),
            "recall@10_of_40_rescored": round(float(np.mean(rescored)), 4),
        }
        results["by_expansion"][expansion] = figures
        rows += [
            (
                f"HNSW expansion {expansion}: search k=40, one thread",
                f"p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms",
            ),
            (
                f"HNSW expansion {expansion}: recall@10 vs exact",
                f"{figures['recall@10']} (real posts {figures['recall@10_real_posts']}; "
                f"top 10 of the 40 re-scored {figures['recall@10_of_40_rescored']}; target >= 0.98)",
            ),
        ]
    results["rss_mb_peak"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    rows += [
        ("graph build", f"{results['build_seconds']} s (all cores)"),
        ("graph memory", f"{results['graph_mb']} MB (float16 vectors + links)"),
        ("process peak RSS", f"{results['rss_mb_peak']} MB (includes the float32 matrix the bench keeps)"),
    ]
    print_table(f"Dense index, {args.size:,} vectors of 384 dimensions", rows)
    log(f"figures written to {write_results('index', results)}")


if __name__ == "__main__":
    main()
