"""Claim matching latency with 10,000 and with 1,000,000 stored claims on PostgreSQL.

Synthetic claims come from 36 templates filled from large slot vocabularies (places,
organisations, people, subjects, figures, years), so that, as in a real desk, a few words
are in many claims and most are rare. Half the queries restate a stored claim as a social
media post would (casing, figures written out, attribution dropped), half are new claims of
the same kinds worded another way, as claims arriving at the desk are: each is answered by the
service behind ``/api/v1/claims/similar/`` (``claims.matching.services.find_similar``: full-text
candidates from the GIN index, then embedding re-ranking), called in-process one at a time,
with its query embedded for real every time.

Stored vectors: embedding a million texts takes hours on this machine, so the claims the queries
restate store their own embeddings, and every other synthetic claim stores a random blend of two
of ``--prototypes`` really embedded prototype texts plus a little noise, normalised (as
``bench/index.py`` builds them): distinct vectors crowded around real ones (as ``embeddings.embed``
gives them, centred), each with near neighbours that differ only a little, so the dense index
(HNSW past ``MATCH_INDEX_EXACT_MAX``) is as hard to search as with real ones. The full-text stage, which depends on the texts, runs on the real texts. The dense index is
built from the database before the queries (its build time and the process's peak memory are
reported), as a matcher process does when it starts.

The claims are loaded with COPY, the matching and trigram indexes rebuilt afterwards, and the
tables analysed, as after a bulk import. Targets: p95 at 1,000,000 at most 100 ms, and at most 3 x
p95 at 10,000.

    .venv/bin/python bench/matching.py [--small 10000] [--large 1000000] [--queries 300]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/factcheck_bench_matching")

from common import (
    DATABASE_URL,
    ROOT,
    bench_database,
    copy_rows,
    db_connect,
    latency_summary,
    log,
    print_table,
    write_results,
)


def _split(text: str, separator: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(separator))


PLACES = _split(
    "France Germany Italy Spain Portugal Poland Sweden Norway Finland Denmark Ireland Scotland Wales England Greece "
    "Turkey Egypt Nigeria Kenya Ghana Ethiopia Morocco Brazil Argentina Chile Peru Colombia Mexico Canada Australia "
    "India Pakistan Bangladesh Indonesia Vietnam Thailand Japan Korea China Russia Ukraine Romania Hungary Austria "
    "Belgium Netherlands Switzerland Croatia Serbia Bulgaria Lithuania Latvia Estonia Iceland Cyprus Malta Tunisia "
    "Algeria Senegal Uganda Tanzania Zambia Zimbabwe Angola Mozambique Namibia Botswana Ecuador Bolivia Paraguay "
    "Uruguay Venezuela Cuba Jamaica Haiti Panama Honduras Guatemala Nicaragua Iran Iraq Jordan Lebanon Israel "
    "Georgia Armenia Azerbaijan Kazakhstan Uzbekistan Mongolia Nepal Bhutan Myanmar Cambodia Laos Malaysia Singapore "
    "Philippines Taiwan Fiji Samoa Tonga London Paris Berlin Madrid Rome Lisbon Warsaw Vienna Prague Budapest Dublin "
    "Glasgow Manchester Birmingham Liverpool Leeds Bristol Marseille Lyon Toulouse Nice Hamburg Munich Cologne "
    "Frankfurt Stuttgart Milan Naples Turin Barcelona Valencia Seville Porto Krakow Gdansk Lagos Nairobi Accra Cairo "
    "Toronto Vancouver Montreal Sydney Melbourne Brisbane Perth Mumbai Delhi Chennai Kolkata Jakarta Hanoi Bangkok "
    "Tokyo Osaka Seoul Beijing Shanghai Moscow Kyiv Istanbul Athens Oslo Stockholm Helsinki Copenhagen Amsterdam "
    "Brussels Zurich Geneva Zagreb Belgrade Sofia Vilnius Riga Tallinn Reykjavik"
)
ORGS = _split(
    "Ministry of Health|Ministry of Finance|Office for National Statistics|central bank|World Bank|IMF|WHO|UNICEF|"
    "Red Cross|police|fire service|national rail operator|city council|regional government|parliament|supreme court|"
    "electoral commission|energy regulator|water company|post office|public broadcaster|teachers' union|"
    "farmers' union|chamber of commerce|airport authority|port authority|housing agency|environment agency|"
    "food standards agency|tax office|border agency|army|navy|coast guard|university hospital|state railway|"
    "national lottery|football association|Olympic committee|medicines agency",
    "|",
)
PEOPLE = _split(
    "Amara Okafor|Lukas Becker|Sofia Rossi|Mateo Garcia|Ines Silva|Piotr Nowak|Elin Larsson|Aoife Byrne|"
    "Yannis Papadakis|Emre Yilmaz|Nadia Haddad|Kwame Mensah|Wanjiru Kamau|Camila Torres|Diego Fernandez|"
    "Aarav Sharma|Siti Rahman|Minh Nguyen|Hiroshi Tanaka|Ji-woo Park|Wei Zhang|Olga Ivanova|Taras Kovalenko|"
    "Andrei Popescu|Zsofia Kovacs|Jan de Vries|Marie Dubois|Hans Muller|Giulia Conti|Carmen Lopez|Joao Santos|"
    "Anna Kowalska|Lars Hansen|Sean Murphy|Fatima Zahra|Chidi Eze|Grace Njoroge|Lucia Mendez|Rahul Gupta|Mei Lin",
    "|",
)
SUBJECTS = _split(
    "unemployment|inflation|child poverty|knife crime|burglary|road deaths|hospital waiting times|measles cases|"
    "obesity|smoking|teen pregnancy|house prices|rents|homelessness|energy bills|petrol prices|food prices|"
    "carbon emissions|air pollution|plastic waste|recycling|deforestation|rainfall|heatwave deaths|flood damage|"
    "wildfires|tourism|exports|imports|public debt|the budget deficit|defence spending|foreign aid|immigration|"
    "asylum applications|birth rates|life expectancy|suicide rates|drug deaths|prison population|school absences|"
    "university fees|teacher vacancies|nurse shortages|bus journeys|train delays|broadband coverage|cyber attacks|"
    "fraud|tax evasion|minimum wage|pension age|voter turnout|gun ownership|alcohol deaths|dementia cases|"
    "cancer survival|vaccination rates|antibiotic resistance|bee populations|fish stocks|water leaks|power cuts",
    "|",
)
UP = ("rose", "increased", "jumped", "climbed", "grew", "soared")
DOWN = ("fell", "dropped", "declined", "decreased", "slumped")
TEMPLATES = (
    "{subject} in {place} {moved} by {pct}% in {year}, according to the {org}.",
    "The {org} says {subject} in {place} {moved} {pct} percent last year.",
    "{person} claimed that {subject} in {place} has {moved} every year since {year}.",
    "{place} spent {money} million on tackling {subject} in {year}.",
    "{subject} cost {place} {money} million in {year}, the {org} said.",
    "{person} said {place} has the highest rate of {subject} in Europe.",
    "According to {person}, {num} people in {place} were affected by {subject} in {year}.",
    "The {org} recorded {num} cases of {subject} in {place} in {year}.",
    "{subject} in {place} is at its lowest level since {year}, {person} said.",
    "{place} has cut funding for the {org} by {pct}% since {year}.",
    "{person} says the {org} in {place} wasted {money} million in {year}.",
    "Since {year}, {subject} in {place} has doubled, says the {org}.",
    "{num} jobs were lost at the {org} in {place} in {year}.",
    "{place} now has more {subject} than {place2}, {person} claimed.",
    "The {org} in {place} employs {num} staff, {person} told parliament.",
    "{subject} in {place} {moved} to {pct}% in {year}, the {org} reported.",
    "{person}: {subject} {moved} by {pct}% in {place} since {year}.",
    "In {year}, {place} recorded {num} deaths linked to {subject}.",
    "{place} will never meet its target on {subject}, {person} said in {year}.",
    "The {org} found that {pct}% of adults in {place} are affected by {subject}.",
    "{person} claims {place} spends less on {subject} than any country in Europe.",
    "A report by the {org} says {subject} in {place} {moved} for the {ordinal} year running.",
    "{place} imported {num} tonnes of goods linked to {subject} in {year}.",
    "{subject} has {moved} under the current government in {place}, {person} said.",
    "More than {num} people in {place} signed a petition about {subject} in {year}.",
    "The {org} of {place} paid {money} million in fines over {subject} in {year}.",
    "{person} said {subject} in {place} is {pct}% higher than in {place2}.",
    "Only {pct}% of schools in {place} report problems with {subject}, says the {org}.",
    "{place} has {num} fewer police officers than in {year}, {person} claimed.",
    "{subject} in {place} has not {moved} since {year}, the {org} said.",
    "The {org} blamed {subject} for {num} hospital admissions in {place} in {year}.",
    "{person} posted that {subject} in {place} {moved} {pct}% after the new law of {year}.",
    "{place} ranks {ordinal} in the world for {subject}, according to the {org}.",
    "Half of all {subject} cases in {place} happen in the capital, {person} said.",
    "The {org} in {place} received {money} million to fight {subject} in {year}.",
    "{num} households in {place} were hit by {subject} in {year}, the {org} estimates.",
)
REWORDINGS = (
    "{place}: {subject} {moved} {pct} per cent in {year} says {org}",
    "{org} figures show {subject} {moved} by {pct} percent in {place} during {year}",
    "is it true that {subject} in {place} {moved} {pct}% in {year}?",
    "{person} says {place} spent {money}m on {subject} in {year}",
    "{subject} in {place} cost {money} million pounds in {year} according to {org}",
    "{person}: {place} has Europe's worst {subject} rate",
    "{num} people in {place} hit by {subject} in {year}, {person} says",
    "{subject} in {place} lowest since {year} - {person}",
    "{org} budget in {place} cut {pct} percent since {year}",
    "{place} {subject} has doubled since {year} according to {org}",
)
ORDINALS = ("first", "second", "third", "fourth", "fifth", "tenth")


def fill(template: str, rng: random.Random) -> str:
    values = {
        "place": rng.choice(PLACES),
        "place2": rng.choice(PLACES),
        "org": rng.choice(ORGS),
        "person": rng.choice(PEOPLE),
        "subject": rng.choice(SUBJECTS),
        "moved": rng.choice(UP + DOWN),
        "pct": rng.choice([rng.randint(1, 60), round(rng.uniform(0.5, 30), 1)]),
        "year": rng.randint(1990, 2025),
        "money": rng.choice([rng.randint(2, 900), round(rng.uniform(1, 99), 1)]),
        "num": f"{rng.randint(100, 900_000):,}",
        "ordinal": rng.choice(ORDINALS),
    }
    text = template.format(**values)
    return text[0].upper() + text[1:]


def synthetic_texts(count: int, seed: int, seen: set[str]) -> list[str]:
    """``count`` distinct claim texts (by text key) not in ``seen``; ``seen`` is updated."""
    from claims.normalize import claim_text_key

    rng = random.Random(seed)
    texts: list[str] = []
    while len(texts) < count:
        text = fill(rng.choice(TEMPLATES), rng)
        key = claim_text_key(text)
        if key not in seen:
            seen.add(key)
            texts.append(text)
    return texts


def blended_vectors(count: int, prototypes: np.ndarray, seed: int, chunk: int = 10_000) -> Iterator[bytes]:
    """``count`` stored vectors: blends of two prototypes plus noise, normalised, in float16 bytes."""
    rng = np.random.default_rng(seed)
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        first, second = rng.integers(0, len(prototypes), n), rng.integers(0, len(prototypes), n)
        weight = rng.uniform(0.0, 0.5, (n, 1)).astype(np.float32)
        noise = rng.standard_normal((n, prototypes.shape[1])).astype(np.float32) * 0.015
        blend = (1 - weight) * prototypes[first] + weight * prototypes[second] + noise
        blend /= np.linalg.norm(blend, axis=1, keepdims=True)
        yield from (row.tobytes() for row in blend.astype(np.float16))


def load(conn, texts: list[str], first_id: int, prototypes: np.ndarray, real: dict[int, bytes]) -> None:
    """COPY claims and their vectors (``real`` ones by claim id, else a blend) with explicit ids."""
    from claims.matching.embeddings import MODEL_NAME
    from claims.normalize import claim_text_key

    # One claim a second up to now, as a desk's claims arrive (not all at one instant).
    now = datetime.now(UTC)
    stamps = [now - timedelta(seconds=len(texts) - i) for i in range(len(texts))]
    claim_rows = (
        (first_id + i, text, claim_text_key(text), "", "", "en", 1, "api", "new", stamps[i], stamps[i])
        for i, text in enumerate(texts)
    )
    copy_rows(
        conn,
        "claims_claim",
        ("id", "text", "text_key", "claimant", "appeared_at", "language", "priority", "channel", "status",
         "created_at", "updated_at"),
        claim_rows,
    )  # fmt: skip
    blends = blended_vectors(len(texts), prototypes, seed=first_id)
    vector_rows = (
        (first_id + i, claim_text_key(text), MODEL_NAME, real.get(first_id + i) or blend, True, stamps[i])
        for (i, text), blend in zip(enumerate(texts), blends, strict=True)
    )
    columns = ("claim_id", "text_key", "model", "vector", "matched", "updated_at")
    copy_rows(conn, "claims_claimembedding", columns, vector_rows)


INDEXES = {
    "claim_match_vector": "CREATE INDEX claim_match_vector ON claims_claim USING gin (match_vector)",
    "claim_text_trgm": "CREATE INDEX claim_text_trgm ON claims_claim USING gin (UPPER(text) gin_trgm_ops)",
    "claim_claimant_trgm": "CREATE INDEX claim_claimant_trgm ON claims_claim USING gin (UPPER(claimant) gin_trgm_ops)",
}


def bulk_load(conn, texts: list[str], first_id: int, prototypes: np.ndarray, real: dict[int, bytes]) -> float:
    """Drop the GIN indexes, COPY, rebuild them and analyse: a bulk import as an operator would run it."""
    started = time.perf_counter()
    for name in INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    load(conn, texts, first_id, prototypes, real)
    conn.execute("SET maintenance_work_mem = '512MB'")
    for statement in INDEXES.values():
        conn.execute(statement)
    conn.execute("SELECT setval(pg_get_serial_sequence('claims_claim', 'id'), (SELECT max(id) FROM claims_claim))")
    conn.execute("VACUUM ANALYZE claims_claim")
    conn.execute("VACUUM ANALYZE claims_claimembedding")
    return time.perf_counter() - started


def restate(text: str, rng: random.Random) -> str:
    """A stored claim as someone else would post it: other casing, figures written out, attribution dropped."""
    text = text.rstrip(".").replace("%", " percent").replace(" million", "m")
    for verb, other in (("rose", "went up"), ("fell", "went down"), ("increased", "rose"), ("said", "says")):
        text = text.replace(f" {verb} ", f" {other} ")
    if ", according to" in text:
        text = text.split(", according to")[0]
    return rng.choice([text.lower(), text.upper(), f"BREAKING: {text}!!", f"{text} #factcheck"])


def queries(count: int, seed: int, stored: list[str]) -> list[tuple[str, int | None]]:
    """Half restate claims stored at both sizes (with the id of the claim restated), half are new claims."""
    rng = random.Random(seed)
    chosen = []
    for n in range(count):
        if n % 2:
            index = rng.randrange(len(stored))
            chosen.append((restate(stored[index], rng), index + 1))  # ids start at 1
        else:
            chosen.append((fill(rng.choice(REWORDINGS), rng), None))
    return chosen


def remove_saved_indexes() -> None:
    """Delete the index files the matching index saved for the bench database (about 1 GB at 1,000,000)."""
    from django.conf import settings

    for saved in (settings.VAR_DIR / "matching").glob("claim-index-*bench-matching*"):
        saved.unlink()


def build_index() -> dict:
    """Build the dense index from the database, as a matcher process does on its first start."""
    from claims.matching.index import claim_index, claim_index_reset

    claim_index_reset()
    remove_saved_indexes()  # built afresh, not loaded from an earlier run
    started = time.perf_counter()
    index = claim_index()
    index.catch_up()
    return {
        "index_kind": index.kind,
        "index_vectors": len(index),
        "index_build_s": round(time.perf_counter() - started, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def measure(the_queries: list[tuple[str, int | None]], warmup: int) -> dict:
    from django.db import connection

    from claims.matching.services import find_similar

    connection.close()  # a fresh connection: plans and caches see the new data
    built = build_index()
    latencies, restated, first, listed = [], 0, 0, 0
    for i, (text, target) in enumerate(the_queries):
        began = time.perf_counter()
        result = find_similar(text, limit=10)
        elapsed = time.perf_counter() - began
        if i >= warmup:
            latencies.append(elapsed)
            if target is not None:
                ids = [match.claim_id for match in result]
                restated += 1
                first += bool(ids) and ids[0] == target
                listed += target in ids
    summary = latency_summary(latencies, sum(latencies))
    summary["restatements"] = restated
    summary["restated_claim_first"] = first
    summary["restated_claim_listed"] = listed
    return {**summary, **built}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--prototypes", type=int, default=5_000)
    args = parser.parse_args()

    with bench_database():
        os.environ["DATABASE_URL"] = DATABASE_URL
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
        os.environ.setdefault("CELERY_BROKER_URL", "memory://localhost/")
        os.environ.setdefault("DATABASE_POOL", "false")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from claims.matching import embeddings

        seen: set[str] = set()
        log(f"embedding {args.prototypes} prototype claims")
        prototypes = synthetic_texts(args.prototypes, seed=99, seen=set())
        started = time.perf_counter()
        prototype_vectors = embeddings.embed(prototypes)
        embed_rate = args.prototypes / (time.perf_counter() - started)
        conn = db_connect()
        results: dict = {"queries": args.queries, "embedding_texts_per_s": round(embed_rate, 1)}

        log(f"loading {args.small:,} claims")
        small_texts = synthetic_texts(args.small, seed=1, seen=seen)
        the_queries = queries(args.queries + args.warmup, seed=7, stored=small_texts)
        targets = sorted({target for _, target in the_queries if target is not None})
        log(f"embedding the {len(targets)} claims the queries restate")
        target_vectors = embeddings.embed([small_texts[target - 1] for target in targets])
        real = {target: embeddings.to_bytes(v) for target, v in zip(targets, target_vectors, strict=True)}
        results["small_load_s"] = round(bulk_load(conn, small_texts, 1, prototype_vectors, real), 1)
        log("measuring")
        results["small"] = {"claims": args.small, **measure(the_queries, args.warmup)}

        extra = args.large - args.small
        log(f"loading {extra:,} more claims")
        large_texts = synthetic_texts(extra, seed=2, seen=seen)
        results["large_load_s"] = round(bulk_load(conn, large_texts, args.small + 1, prototype_vectors, {}), 1)
        del large_texts
        log("measuring")
        results["large"] = {"claims": args.large, **measure(the_queries, args.warmup)}
        results["p95_ratio"] = round(results["large"]["p95_ms"] / results["small"]["p95_ms"], 2)
        conn.close()
        remove_saved_indexes()  # they go with the bench database

    rows = []
    for size in ("small", "large"):
        r = results[size]
        rows.append(
            (
                f"{r['claims']:,} claims",
                f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms; "
                f"the restated claim first in {r['restated_claim_first']}/{r['restatements']} restatements, "
                f"listed in {r['restated_claim_listed']}; {r['index_kind']} index of {r['index_vectors']:,} vectors "
                f"built in {r['index_build_s']} s, process peak RSS {r['peak_rss_mib']} MiB",
            )
        )
    rows.append(("p95 large / p95 small", f"{results['p95_ratio']} (target <= 3)"))
    rows.append(("bulk loads", f"{results['small_load_s']} s and {results['large_load_s']} s"))
    rows.append(("embedding throughput", f"{results['embedding_texts_per_s']} texts/s (batches, one thread)"))
    print_table("Claim matching latency (find_similar, in-process, one query at a time)", rows)
    path = write_results("matching", results)
    log(f"figures written to {path}")


if __name__ == "__main__":
    main()
