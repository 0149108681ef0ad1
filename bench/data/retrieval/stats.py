"""Validate the retrieval evaluation files and print their counts; with --bm25, a BM25 baseline.

Run: python bench/data/retrieval/stats.py [--bm25]
Exits non-zero when an id repeats, a foreign key dangles, a field is missing or the split rule is broken.
The BM25 baseline (bm25s, English stopwords, the same tokenizer for every language) ranks the fact-checks
and distractors together for every post that restates a fact-check and reports MAP@5 and recall@1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGUAGES = {"en", "es", "fr", "de", "pt", "ar"}
POST_KINDS = {"tweet", "facebook", "whatsapp", "telegram", "transcript", "headline", "tip"}
LABELS = {"duplicate", "similar", "different"}


def load(name: str) -> list[dict]:
    """Rows of a JSONL file next to this script."""
    with (HERE / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def validate(fcs: list[dict], ds: list[dict], ps: list[dict], prs: list[dict]) -> list[str]:
    """Every broken rule, as a message (empty when the files are consistent)."""
    errors: list[str] = []
    for name, rows in (("factchecks", fcs), ("distractors", ds), ("posts", ps), ("pairs", prs)):
        ids = Counter(row["id"] for row in rows)
        errors += [f"{name}: id {i} repeated" for i, n in ids.items() if n > 1]
    fc_ids = {fc["id"] for fc in fcs}
    stored = Counter(row["text"].strip().lower() for row in fcs + ds)
    errors += [f"stored claim repeated: {t!r}" for t, n in stored.items() if n > 1]
    for row in fcs + ds + ps:
        if row["language"] not in LANGUAGES or not row["text"].strip():
            errors.append(f"{row['id']}: bad language or empty text")
    for fc in fcs:
        if fc.get("sibling_of") and fc["sibling_of"] not in fc_ids:
            errors.append(f"{fc['id']}: sibling_of {fc['sibling_of']} unknown")
    split_of: dict[str, set[str]] = defaultdict(set)
    for p in ps:
        if p["kind"] not in POST_KINDS or p["split"] not in {"dev", "test"}:
            errors.append(f"{p['id']}: bad kind or split")
        ref = p["factcheck_id"] or p.get("near_factcheck_id")
        if ref and ref not in fc_ids:
            errors.append(f"{p['id']}: fact-check {ref} unknown")
        if ref:
            split_of[ref].add(p["split"])
    errors += [f"{fc}: posts in both splits" for fc, splits in split_of.items() if len(splits) > 1]
    for pr in prs:
        if pr["label"] not in LABELS or pr["a_id"] not in fc_ids or pr["split"] not in {"dev", "test"}:
            errors.append(f"{pr['id']}: bad label, a_id or split")
        elif pr["a_id"] in split_of and pr["split"] not in split_of[pr["a_id"]]:
            errors.append(f"{pr['id']}: split differs from its fact-check's posts")
    return errors


def table(title: str, counter: Counter) -> None:
    print(f"\n{title}")
    for key, n in sorted(counter.items(), key=lambda kv: str(kv[0])):
        print(f"  {key!s:<40} {n}")


def bm25_baseline(fcs: list[dict], ds: list[dict], ps: list[dict]) -> None:
    """MAP@5 and recall@1 of BM25 over fact-checks + distractors, per split and language."""
    import bm25s  # a development tool, only needed for the baseline

    corpus = fcs + ds
    tokenize = lambda texts: bm25s.tokenize(texts, stopwords="en", show_progress=False)  # noqa: E731
    retriever = bm25s.BM25()
    retriever.index(tokenize([row["text"] for row in corpus]), show_progress=False)
    queries = [p for p in ps if p["factcheck_id"]]
    hits, _ = retriever.retrieve(tokenize([p["text"] for p in queries]), k=5, show_progress=False)
    fc_language = {fc["id"]: fc["language"] for fc in fcs}
    groups: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    for post, row in zip(queries, hits, strict=True):
        ranked = [corpus[i]["id"] for i in row]
        gold = post["factcheck_id"]
        ap = 1 / (ranked.index(gold) + 1) if gold in ranked else 0.0
        pair = f"{post['language']}->{fc_language[gold]}"
        for key in ((post["split"], "all"), (post["split"], post["language"]), (post["split"], pair)):
            groups[key].append((ap, int(ranked[0] == gold)))
    print(f"\nBM25 over {len(corpus)} stored claims (MAP@5, recall@1, queries)")
    for key in sorted(groups):
        scores = groups[key]
        mean_ap = sum(s[0] for s in scores) / len(scores)
        recall1 = sum(s[1] for s in scores) / len(scores)
        print(f"  {key[0]:<5} {key[1]:<8} MAP@5 {mean_ap:.3f}  R@1 {recall1:.3f}  n={len(scores)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bm25", action="store_true", help="also run the BM25 baseline")
    args = parser.parse_args()
    fcs, ds = load("factchecks.jsonl"), load("distractors.jsonl")
    ps, prs = load("posts.jsonl"), load("pairs.jsonl")
    errors = validate(fcs, ds, ps, prs)
    for error in errors:
        print("ERROR", error, file=sys.stderr)
    print(f"factchecks {len(fcs)}, distractors {len(ds)}, posts {len(ps)}, pairs {len(prs)}")
    table("factchecks by language", Counter(fc["language"] for fc in fcs))
    table("factchecks by topic", Counter(fc["topic"] for fc in fcs))
    print(f"  siblings: {sum('sibling_of' in fc for fc in fcs)}")
    table("distractors by language", Counter(d["language"] for d in ds))
    table("distractors by source", Counter(d["source"] for d in ds))
    table("posts by kind", Counter(p["kind"] for p in ps))
    table("posts by language", Counter(p["language"] for p in ps))
    table("posts by split", Counter(p["split"] for p in ps))
    table(
        "posts restating nothing (null_kind, split)",
        Counter((p["null_kind"], p["split"]) for p in ps if not p["factcheck_id"]),
    )
    restated = Counter(p["factcheck_id"] for p in ps if p["factcheck_id"])
    print(
        f"  fact-checks restated: {len(restated)}, by number of posts: {dict(sorted(Counter(restated.values()).items()))}"
    )
    words = [len(p["text"].split()) for p in ps]
    print(f"  words per post: min {min(words)}, max {max(words)}, longer than 40: {sum(w > 40 for w in words)}")
    table("pairs by label and split", Counter((pr["label"], pr["split"]) for pr in prs))
    table("pairs by kind", Counter(pr["kind"] for pr in prs))
    print(f"  cross-language pairs: {Counter(pr['label'] for pr in prs if pr['a_language'] != pr['b_language'])}")
    if args.bm25:
        bm25_baseline(fcs, ds, ps)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
