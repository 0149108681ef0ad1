""" "Checked before?" on real-world-shaped material: noisy posts, transcripts and tips in six languages.

``bench/data/retrieval/`` (see its README): 400 fact-checked claims and 3,200 distractor claims
are stored as claims in a fresh PostgreSQL database and indexed by the real service; each of the
780 posts that restate a fact-check is asked through ``find_similar`` (the service behind
``GET /api/v1/claims/similar/``, ``limit=5``), in-process, one at a time, its text embedded for
real every time. Figures per split
(``dev`` may be used to choose thresholds, ``test`` never is), for English and per language, next to
two baselines computed in the same run over the same 3,600 claims: BM25 (``bm25s``) and the plain
dense cosine of the same model over every claim (its own vectors: no cleaning, no language
directions taken out, no sentences, no re-ranking).
Query time is reported overall and per kind of post (tweet, Facebook, Telegram, transcript…):
a long post whose whole finds no claim also embeds each of its sentences, so it costs more.

The same posts are then asked as an API consumer asks: ``GET /api/v1/claims/similar/?text=…&limit=5``
with a read-scoped key, no ``language``, the default ``MATCH_SIMILAR_THRESHOLD`` (a claim scoring below
it is not listed), through Django's full request path (middleware, key check, throttle,
serialisation), in-process. Its MAP@5 and time per request are reported beside the service's.

Duplicate decisions: each of the 600 labelled pairs is stored as a one-claim-plus-distractors desk
question: does ``find_similar(b)`` call ``a`` a duplicate, similar, or neither? Reported per split
as the share of duplicate pairs called duplicate or similar (a restatement must be at least
similar), of duplicate pairs called duplicate, and of ``different`` pairs wrongly called duplicate.

    .venv/bin/python bench/eval_retrieval.py [--json var/bench/eval_retrieval.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/factcheck_bench_eval_retrieval")

from common import DATABASE_URL, ROOT, bench_database, log, percentile, print_table, write_results

DATA = ROOT / "bench" / "data" / "retrieval"
K = 5


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def map_at_5(ranks: list[int | None]) -> float:
    return round(sum(1 / r for r in ranks if r and r <= K) / len(ranks), 3) if ranks else 0.0


def recall_at_1(ranks: list[int | None]) -> float:
    return round(sum(r == 1 for r in ranks) / len(ranks), 3) if ranks else 0.0


def percentile_ms(seconds: list[float], percent: int) -> float:
    return round(percentile(seconds, percent) * 1000, 1)


def rank_of(target: int, ranked: list[int]) -> int | None:
    return ranked.index(target) + 1 if target in ranked[:K] else None


def bm25_ranker(corpus: list[str]):
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False)

    def ranked(query: str) -> list[int]:
        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = retriever.retrieve(tokens, k=K, show_progress=False)
        return [int(d) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    return ranked


def setup_django() -> None:
    import django

    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://localhost/")
    sys.path.insert(0, str(ROOT))
    django.setup()


def ms_by_kind(by_kind: dict[str, list[float]]) -> dict[str, dict]:
    return {
        kind: {"queries": len(times), "p50": percentile_ms(times, 50), "p95": percentile_ms(times, 95)}
        for kind, times in sorted(by_kind.items())
    }


def kind_rows(figures: dict[str, dict]) -> list[tuple[str, str]]:
    return [(f"  {kind}", f"p50 {t['p50']} ms, p95 {t['p95']} ms (n={t['queries']})") for kind, t in figures.items()]


def api_client():
    """``get(path, params)`` as a partner's program asks: a read-scoped bearer key, the whole request path."""
    from django.test import Client

    from claims.intake.keys import api_key_create

    _, raw = api_key_create(name="eval_retrieval", scopes=["read"])
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client.get


def groups_of(post: dict) -> list[str]:
    split = post["split"]
    english = "en" if post["language"] == "en" else post["language"]
    return [f"{split} all", f"{split} {english}"] + ([f"{split} other languages"] if english != "en" else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    factchecks = load_jsonl(DATA / "factchecks.jsonl")
    distractors = load_jsonl(DATA / "distractors.jsonl")
    posts = [post for post in load_jsonl(DATA / "posts.jsonl") if post["factcheck_id"]]
    pairs = load_jsonl(DATA / "pairs.jsonl")
    stored = factchecks + distractors
    corpus = [row["text"] for row in stored]
    log(f"{len(stored)} claims, {len(posts)} posts with a fact-check, {len(pairs)} pairs")

    bm25 = bm25_ranker(corpus)
    with bench_database():
        setup_django()
        import numpy as np

        from claims.choices import MatchKind
        from claims.matching import embeddings
        from claims.matching import services as matching
        from claims.models import Claim
        from claims.normalize import claim_text_key

        claims = Claim.objects.bulk_create(
            [Claim(text=row["text"], text_key=claim_text_key(row["text"]), language=row["language"]) for row in stored]
        )
        id_of = {row["id"]: claim.pk for row, claim in zip(stored, claims, strict=True)}
        started = time.perf_counter()
        matching.claims_index(list(id_of.values()))
        index_seconds = time.perf_counter() - started
        # The plain baseline: the model's own vectors of the texts as they are, no cleaning, nothing projected out.
        matrix = embeddings.model_vectors(corpus)

        ranks: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        latencies = []
        by_kind: dict[str, list[float]] = defaultdict(list)
        for post in posts:
            target = id_of[post["factcheck_id"]]
            began = time.perf_counter()
            found = matching.find_similar(post["text"], limit=K, min_score=0, language=post["language"])
            latencies.append(time.perf_counter() - began)
            by_kind[post["kind"]].append(latencies[-1])
            ours = rank_of(target, [match.claim_id for match in found])
            dense_scores = matrix @ embeddings.model_vectors([post["text"]])[0]
            dense = rank_of(target, [claims[i].pk for i in np.argsort(-dense_scores)[:K]])
            lexical = rank_of(target, [claims[i].pk for i in bm25(post["text"])])
            for group in groups_of(post):
                ranks[group]["ours"].append(ours)
                ranks[group]["dense"].append(dense)
                ranks[group]["bm25"].append(lexical)

        api_get = api_client()
        api_ranks: dict[str, list] = defaultdict(list)
        api_latencies: list[float] = []
        api_by_kind: dict[str, list[float]] = defaultdict(list)
        for post in posts:
            began = time.perf_counter()
            response = api_get("/api/v1/claims/similar/", {"text": post["text"], "limit": K})
            api_latencies.append(time.perf_counter() - began)
            api_by_kind[post["kind"]].append(api_latencies[-1])
            if response.status_code != 200:
                raise SystemExit(f"the API answered {response.status_code}: {response.content[:300]!r}")
            ranked = [match["claim_id"] for match in response.json()]
            for group in groups_of(post):
                api_ranks[group].append(rank_of(id_of[post["factcheck_id"]], ranked))

        decisions: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        by_text = {row["text"]: id_of[row["id"]] for row in stored}
        for pair in pairs:
            target = by_text.get(pair["a"])
            if target is None:
                continue
            found = {m.claim_id: m.kind for m in matching.find_similar(pair["b"], limit=20, min_score=0)}
            kind = found.get(target, "")
            bucket = decisions[f"{pair['split']} {pair['label']}"]
            bucket["pairs"] += 1
            bucket["duplicate"] += kind == MatchKind.DUPLICATE
            bucket["similar or duplicate"] += kind in (MatchKind.DUPLICATE, MatchKind.SIMILAR)

    results = {
        "claims": len(stored),
        "index_seconds": round(index_seconds, 1),
        "query_p50_ms": percentile_ms(latencies, 50),
        "query_p95_ms": percentile_ms(latencies, 95),
        "query_ms_by_kind": ms_by_kind(by_kind),
        "api_p50_ms": percentile_ms(api_latencies, 50),
        "api_p95_ms": percentile_ms(api_latencies, 95),
        "api_ms_by_kind": ms_by_kind(api_by_kind),
        "retrieval": {
            group: {
                "queries": len(r["ours"]),
                "MAP@5": map_at_5(r["ours"]),
                "recall@1": recall_at_1(r["ours"]),
                "API MAP@5": map_at_5(api_ranks[group]),
                "API recall@1": recall_at_1(api_ranks[group]),
                "dense-only MAP@5": map_at_5(r["dense"]),
                "BM25 MAP@5": map_at_5(r["bm25"]),
            }
            for group, r in sorted(ranks.items())
        },
        "decisions": {group: dict(counts) for group, counts in sorted(decisions.items())},
    }
    print_table(
        "Retrieval (MAP@5 through find_similar | dense-only | BM25, recall@1)",
        [
            (
                group,
                f"{r['MAP@5']}  |  {r['dense-only MAP@5']}  |  {r['BM25 MAP@5']}   R@1 {r['recall@1']}  (n={r['queries']})",
            )
            for group, r in results["retrieval"].items()
        ],
    )
    print_table(
        "Through GET /api/v1/claims/similar/ (limit=5, default threshold, no language given)",
        [
            (group, f"MAP@5 {r['API MAP@5']}   R@1 {r['API recall@1']}  (n={r['queries']})")
            for group, r in results["retrieval"].items()
        ],
    )
    print_table(
        "Duplicate decisions (pairs called duplicate / at least similar)",
        [
            (
                group,
                f"{c['duplicate']}/{c['pairs']} duplicate, {c['similar or duplicate']}/{c['pairs']} at least similar",
            )
            for group, c in results["decisions"].items()
        ],
    )
    print_table(
        "Time",
        [
            ("indexing", f"{len(stored)} claims in {results['index_seconds']} s"),
            ("query", f"p50 {results['query_p50_ms']} ms, p95 {results['query_p95_ms']} ms"),
            *kind_rows(results["query_ms_by_kind"]),
            ("API request", f"p50 {results['api_p50_ms']} ms, p95 {results['api_p95_ms']} ms"),
            *kind_rows(results["api_ms_by_kind"]),
        ],
    )
    path = write_results("eval_retrieval", results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    log(f"figures written to {path}")


if __name__ == "__main__":
    main()
