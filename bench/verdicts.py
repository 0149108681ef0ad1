"""Benchmark: the read API over 100,000 published verdicts, next to the cheapest authenticated endpoint.

A fresh PostgreSQL database gets 100,000 published claims (70 % English), each with a
verdict published once over the last three years: one version rated on the default scale,
written by one of 10 fact-checkers and approved by one of 2 editors, with a summary, a
Markdown analysis and two evidence links; each claim also cites one source (half of them
archived) and carries one of 12 tags. Everything is inserted with SQL (COPY and
INSERT ... SELECT), then vacuumed.

gunicorn runs as the Procfile's ``web`` line (2 workers x 4 threads) with
``API_KEY_RATE``/``API_ANON_RATE`` at 1,000,000/minute and the cache (the rate limit
counters) in Redis db 13, as deployed. Every call carries one API key with the ``read``
scope. 16 clients, each with a keep-alive connection, send requests back to back for
``--duration`` seconds after a warm-up, one scenario after the other:

* ``list``: ``GET /api/v1/verdicts/`` (page 1, 50 verdicts);
* ``deep``: the page after 50,000 verdicts (page 1,001 at the default 50): its cursor comes
  from walking the ``next`` chain with ``limit=200`` before the timed part (that walk is
  timed too, and checked: 50,000 distinct verdicts in order);
* ``detail``: ``GET /api/v1/verdicts/{id}/``, a random verdict each time;
* ``304``: page 1 again with ``If-None-Match`` set to its ETag;
* ``search``: ``GET /api/v1/claims:search?query=hospital`` (a word in about 1 claim in 6);
* ``search-miss``: ``claims:search?query=zeppelin`` (no verdict matches: the worst case);
* ``trivial``: ``GET /api/v1/me/`` with the same key.

Targets: list throughput >= 0.3 x trivial; deep page p50 <= 1.5 x page 1 p50; 304 throughput
>= 0.8 x trivial; search p95 <= 3 x trivial p95. An endpoint that does not answer as
expected before its scenario is reported (status and body) and skipped.

The database is ``factcheck_bench_verdicts`` (not the shared ``factcheck_bench``, so that this
benchmark and another one can run at once) unless ``BENCH_DATABASE_URL`` says otherwise.

    .venv/bin/python bench/verdicts.py [--duration 10] [--clients 16] [--verdicts 100000]
    BENCH_PY_SPY=/tmp/pyspy/bin/py-spy .venv/bin/python bench/verdicts.py   # + where gunicorn's GIL time goes
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
# A database of its own: benchmarks run at the same time must not drop each other's.
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/factcheck_bench_verdicts")

from common import (
    REDIS_URL,
    Call,
    Children,
    CpuWatch,
    bench_database,
    child_env,
    db_connect,
    desk_users,
    free_port,
    http_get,
    http_load,
    insert_claims,
    interference_rows,
    log,
    manage,
    other_load,
    print_profile,
    print_query_profile,
    print_table,
    profile_summary,
    py_spy,
    query_profile,
    raise_on_sigterm,
    redis_flush,
    start_gunicorn,
    write_results,
)

TARGET_LIST_THROUGHPUT = 0.3  # list req/s / trivial req/s, at least
TARGET_DEEP_LATENCY = 1.5  # deep page p50 / page 1 p50, at most
TARGET_304_THROUGHPUT = 0.8  # 304 req/s / trivial req/s, at least
TARGET_SEARCH_P95 = 3.0  # search p95 / trivial p95, at most
DEEP_ROWS = 50_000
WALK_LIMIT = 200
SEARCH_WORD = "hospital"
MISSING_WORD = "zeppelin"
LANGUAGES = [("en", 0.6), ("en-GB", 0.1), ("fr", 0.2), ("de", 0.1)]
TAGS_TEXT = "health economy climate crime education elections housing energy migration transport budget covid"
TAGS = TAGS_TEXT.split()
RATE = "1000000/minute"

WEB_STAGES = [
    ("verdict_payload (incl. Markdown)", "verdict_payload ("),
    ("cached page or 304 (published-set version)", "page_response ("),
    ("claims:search rows + ClaimReview", "fact_checked_claim ("),
    ("API key authentication", "api_key_authenticate ("),
    ("rate limit (cache)", "allow_request ("),
]
WEB_LAYERS = [
    ("database (queries, prefetch)", "django/db/"),
    ("database (queries, prefetch)", "psycopg"),
    ("DRF (parsing, rendering, views)", "rest_framework/"),
    ("Django (handlers, middleware)", "django/"),
    ("gunicorn (HTTP, worker loop)", "gunicorn/"),
]

# "{n}" becomes the verdict's id.
ANALYSIS = """## What was said

The claim was shared widely on social media in the week of the debate. It cites figures from the
national statistics office.

## What the data show

* The [statistics office](https://stats.example.org/series/{n}) reports a different rate.
* Regional figures vary: the highest was *{n} per 100,000*, the lowest far less.

We asked the claimant's office for its source; it pointed to a **2019 survey** with a different
definition. Comparing the two is misleading."""


def load_verdicts(conn, count: int, authors: list[int], editors: list[int]) -> dict[str, float]:
    """Published claims, verdicts, versions, sources, citations and tags, with SQL; seconds per step."""
    timings = {}
    started = time.monotonic()
    insert_claims(conn, count, status="published", languages=LANGUAGES)
    timings["claims (COPY)"] = time.monotonic() - started
    step = time.monotonic()
    ratings = [row[0] for row in conn.execute("SELECT id FROM reviews_rating ORDER BY position, id")]
    if not ratings:
        raise RuntimeError("no rating scale: the post_migrate hook (reviews.ratings.ratings_ensure) did not run")
    with conn.transaction():
        # Published over the last ~3 years, in claim order with jitter (so id order != time order).
        conn.execute(
            """
            INSERT INTO reviews_verdict (claim_id, slug, published_at, draft_summary, draft_analysis, draft_evidence)
            SELECT c.id, 'verdict-' || c.id,
                   now() - interval '1100 days' * (1 - c.id::float / %(count)s) - random() * interval '3 hours',
                   '', '', '[]'::jsonb
            FROM claims_claim c WHERE c.status = 'published'
            """,
            {"count": count},
        )
        conn.execute(
            """
            INSERT INTO reviews_verdictversion (verdict_id, number, kind, rating_id, summary, analysis, evidence,
                                                author_id, created_at, approved_by_id, approved_at, note)
            SELECT v.id, 1, 'submitted', (%(ratings)s::bigint[])[1 + v.id %% %(nratings)s],
                   'Official figures do not support the claim: the rate was ' || (v.id %% 60 + 5)
                     || ' percent, not what was said.',
                   replace(%(analysis)s, '{n}', v.id::text),
                   jsonb_build_array(
                     jsonb_build_object('url', 'https://stats.example.org/series/' || v.id, 'note', 'Official series'),
                     jsonb_build_object('url', 'https://archive.example.org/report-' || v.id, 'note', 'The report')),
                   (%(authors)s::bigint[])[1 + v.id %% %(nauthors)s], v.published_at - interval '1 day',
                   (%(editors)s::bigint[])[1 + v.id %% %(neditors)s], v.published_at, ''
            FROM reviews_verdict v JOIN claims_claim c ON c.id = v.claim_id
            """,
            {
                "analysis": ANALYSIS,
                "ratings": ratings,
                "nratings": len(ratings),
                "authors": authors,
                "nauthors": len(authors),
                "editors": editors,
                "neditors": len(editors),
            },
        )
        conn.execute(
            "UPDATE reviews_verdict v SET published_version_id = vv.id FROM reviews_verdictversion vv"
            " WHERE vv.verdict_id = v.id"
        )
    timings["verdicts + versions (INSERT ... SELECT)"] = time.monotonic() - step
    step = time.monotonic()
    with conn.transaction():
        conn.execute(
            """
            INSERT INTO claims_source (url, canonical_url, canonical_hash, fetch_status, error, http_status, final_url,
                                       content_type, title, author, text, sha256, fetched_at, attempts,
                                       created_at, updated_at)
            SELECT u.url, u.url, encode(sha256(convert_to(u.url, 'UTF8')), 'hex'),
                   CASE WHEN c.id % 2 = 0 THEN 'fetched' ELSE 'failed' END, '',
                   CASE WHEN c.id % 2 = 0 THEN 200 END, u.url, 'text/html', 'Report on claim ' || c.id, '', '', '',
                   CASE WHEN c.id % 2 = 0 THEN c.created_at END, 1, c.created_at, c.created_at
            FROM claims_claim c, LATERAL (SELECT 'https://news.example.org/2024/story-' || c.id || '.html' AS url) u
            """
        )
        conn.execute(
            """
            INSERT INTO claims_citation (claim_id, source_id, context, added_at)
            SELECT c.id, s.id, '', c.created_at FROM claims_claim c
            JOIN claims_source s ON s.url = 'https://news.example.org/2024/story-' || c.id || '.html'
            """
        )
        conn.execute(
            "INSERT INTO claims_tag (name) SELECT unnest(%(tags)s::text[]) ON CONFLICT DO NOTHING", {"tags": TAGS}
        )
        conn.execute(
            """
            INSERT INTO claims_claim_tags (claim_id, tag_id)
            SELECT c.id, t.id FROM claims_claim c
            JOIN claims_tag t ON t.name = (%(tags)s::text[])[1 + c.id %% %(ntags)s]
            """,
            {"tags": TAGS, "ntags": len(TAGS)},
        )
    timings["sources, citations, tags"] = time.monotonic() - step
    step = time.monotonic()
    conn.execute("VACUUM ANALYZE")
    timings["VACUUM ANALYZE"] = time.monotonic() - step
    return {name: round(seconds, 1) for name, seconds in timings.items()}


def walk(port: int, headers: dict[str, str], rows: int, budget: float) -> dict:
    """Follow ``next`` from page 1 with ``limit=WALK_LIMIT`` until ``rows`` verdicts (or ``budget`` seconds).

    Checks that the chain never repeats a verdict and keeps (published_at, id) order.
    """
    path = f"/api/v1/verdicts/?limit={WALK_LIMIT}"
    seen: list[tuple[str, int]] = []
    page_ms = []
    started = time.monotonic()
    out: dict = {"limit": WALK_LIMIT}
    while len(seen) < rows:
        if time.monotonic() - started > budget:
            out["stopped"] = f"walk budget of {budget:g} s spent after {len(seen):,} verdicts"
            break
        began = time.perf_counter()
        status, _, body = http_get(port, path, headers)
        page_ms.append((time.perf_counter() - began) * 1000)
        if status != 200:
            out["error"] = f"GET {path} -> {status}: {body[:300]!r}"
            break
        data = json.loads(body)
        seen += [(item["published_at"], item["id"]) for item in data["results"]]
        if not data.get("next"):
            out["error"] = f"the chain ended after {len(page_ms)} pages ({len(seen)} verdicts)"
            break
        parts = urlsplit(data["next"])
        path = f"{parts.path}?{parts.query}"
    page_ms.sort()
    ids = [pk for _, pk in seen]
    # The cursor reached, asked for with the default page size.
    query = [(name, value) for name, value in parse_qsl(urlsplit(path).query) if name != "limit"]
    out |= {
        "pages": len(page_ms),
        "verdicts": len(seen),
        "seconds": round(time.monotonic() - started, 1),
        "page_p50_ms": round(page_ms[len(page_ms) // 2], 1) if page_ms else None,
        "distinct": len(set(ids)),
        "in_order": all(_key(a) < _key(b) for a, b in pairwise(seen)),
        "last": seen[-1] if seen else None,
        "cursor_path": f"/api/v1/verdicts/?{urlencode(query)}",
    }
    return out


def cursor_after(conn, offset: int, walked: dict) -> str:
    """The list URL after ``offset`` verdicts, built from the database when the walk fell short.

    The cursor format (base64url of ``[published_at ISO, id]``, unpadded) is checked first
    against the cursor the API itself gave at the end of the walk.
    """
    raw = dict(parse_qsl(urlsplit(walked["cursor_path"]).query))["cursor"]
    decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    if [decoded[0], decoded[1]] != list(walked["last"]):
        raise RuntimeError(f"cursor format changed: {decoded} is not the last verdict walked {walked['last']}")
    published_at, pk = conn.execute(
        "SELECT v.published_at, v.id FROM reviews_verdict v JOIN claims_claim c ON c.id = v.claim_id"
        " WHERE v.published_version_id IS NOT NULL AND c.status IN ('published', 'retracted')"
        " ORDER BY v.published_at, v.id OFFSET %s LIMIT 1",
        (offset - 1,),
    ).fetchone()
    when = datetime.fromisoformat(decoded[0])
    position = [published_at.astimezone(when.tzinfo).isoformat(), pk]
    cursor = base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")
    return f"/api/v1/verdicts/?{urlencode({'cursor': cursor})}"


def _key(item: tuple[str, int]) -> tuple:
    return (datetime.fromisoformat(item[0]), item[1])


def scenario_calls(name: str, headers: dict[str, str], paths: dict, ids: list[int]) -> tuple[Callable, int]:
    """(calls for ``http_load``, expected status) of a scenario."""
    if name == "detail":

        def detail(client: int) -> Callable[[int], Call]:
            rng = random.Random(client)
            return lambda n: Call("GET", f"/api/v1/verdicts/{rng.choice(ids)}/", headers)

        return detail, 200
    if name == "304":
        conditional = {**headers, "If-None-Match": paths["etag"]}
        return (lambda client: lambda n: Call("GET", paths["list"], conditional, expect=304)), 304
    return (lambda client: lambda n: Call("GET", paths[name], headers)), 200


def preflight(port: int, path: str, headers: dict[str, str], expect: int) -> str | None:
    """None if the endpoint answers ``expect``; else what it said."""
    try:
        status, _, body = http_get(port, path, headers)
    except OSError as exc:
        return f"GET {path} -> {type(exc).__name__}: {exc}"
    if status != expect:
        return f"GET {path} -> HTTP {status} (expected {expect}): {body[:500].decode(errors='replace')}"
    return None


def run_scenario(name: str, args, children: Children, gunicorn, port: int, calls, expect_path: str | None) -> dict:
    log(f"{name}: {args.clients} clients, {args.warmup:g} s warm-up + {args.duration:g} s measured")
    cpu = CpuWatch(gunicorn=gunicorn.pid)
    with py_spy(args.py_spy, children, f"verdicts-{name}", gunicorn.pid, subprocesses=True) as profile:
        result = http_load(port, args.clients, args.warmup, args.duration, calls)
    summary = result.summary()
    summary["path"] = expect_path
    summary["cpu"] = cpu.stop()
    done = max(result.sent_including_warmup, 1)
    summary["cpu_ms_per_request"] = {
        part: round(summary["cpu"][f"{part}_cpu_s"] * 1000 / done, 2) for part in ("gunicorn", "postgres", "redis")
    }
    summary["profile"] = profile_summary(profile, WEB_STAGES, WEB_LAYERS)
    return summary


SCENARIOS = ("list", "deep", "detail", "304", "search", "search-miss", "trivial")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per scenario (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per scenario, not counted (2)")
    parser.add_argument("--verdicts", type=int, default=100_000, help="published verdicts (100,000)")
    parser.add_argument(
        "--deep-rows",
        type=int,
        default=DEEP_ROWS,
        help=f"verdicts before the deep page ({DEEP_ROWS:,}: page 1,001); less for quick runs on fewer verdicts",
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn --workers (2)")
    parser.add_argument("--web-threads", type=int, default=4, help="gunicorn --threads (Procfile: 4)")
    parser.add_argument(
        "--walk-budget",
        type=float,
        default=60.0,
        help="seconds for walking the cursor chain; past it the deep cursor is built from the database (60)",
    )
    parser.add_argument(
        "--extra-sql",
        default=os.environ.get("BENCH_EXTRA_SQL", ""),
        help="SQL run after the data load, e.g. an index, to measure it before writing its migration",
    )
    parser.add_argument("--only", default="", help=f"comma-separated scenarios to run, from {', '.join(SCENARIOS)}")
    parser.add_argument(
        "--py-spy",
        default=os.environ.get("BENCH_PY_SPY") or None,
        help="py-spy binary: profile gunicorn during each scenario (default: $BENCH_PY_SPY; off)",
    )
    args = parser.parse_args(argv)
    wanted = [name.strip() for name in args.only.split(",") if name.strip()] or list(SCENARIOS)
    if unknown := set(wanted) - set(SCENARIOS):
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.verdicts <= args.deep_rows + 50:
        parser.error(f"--verdicts must exceed {args.deep_rows + 50} for the deep page")

    raise_on_sigterm()
    load_before = other_load()
    redis_flush()
    started = time.monotonic()
    env = child_env(API_KEY_RATE=RATE, API_ANON_RATE=RATE, CACHE_URL=REDIS_URL)
    results: dict = {"settings": vars(args), "rate_limits": RATE, "cache": REDIS_URL, "scenarios": {}, "skipped": {}}
    with bench_database(), Children("verdicts") as children:
        log("creating 10 fact-checkers, 2 editors and a read key")
        authors = [name for name, _ in desk_users(10, prefix="author", scopes=["read"])]
        editors = [name for name, _ in desk_users(2, prefix="editor", role="editor", scopes=["read"])]
        lines = [line.strip() for line in manage("create_api_key", "--name", "reader", "--scopes", "read").splitlines()]
        key = [line for line in lines if line][-1]
        headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
        log(f"inserting {args.verdicts:,} published verdicts")
        with db_connect() as conn:
            user_ids = dict(conn.execute("SELECT username, id FROM auth_user").fetchall())
            results["load_seconds"] = load_verdicts(
                conn, args.verdicts, [user_ids[n] for n in authors], [user_ids[n] for n in editors]
            )
            ids = [row[0] for row in conn.execute("SELECT id FROM reviews_verdict")]
            if args.extra_sql:
                log(f"running --extra-sql: {args.extra_sql}")
                conn.execute(args.extra_sql)
                conn.execute("ANALYZE")
        log(f"data loaded: {results['load_seconds']}")
        port = free_port()
        gunicorn = start_gunicorn(children, port, workers=args.web_workers, threads=args.web_threads, env=env)

        paths = {
            "list": "/api/v1/verdicts/",
            "search": f"/api/v1/claims:search?query={SEARCH_WORD}",
            "search-miss": f"/api/v1/claims:search?query={MISSING_WORD}",
            "trivial": "/api/v1/me/",
            "detail": f"/api/v1/verdicts/{ids[len(ids) // 2]}/",
        }
        status, page_headers, _ = http_get(port, paths["list"], headers)
        paths["etag"] = page_headers.get("ETag") if status == 200 else None
        if "deep" in wanted:
            log(
                f"walking the cursor chain to verdict {args.deep_rows:,} (limit={WALK_LIMIT}, at most {args.walk_budget:g} s)"
            )
            walked = results["walk"] = walk(port, headers, args.deep_rows, args.walk_budget)
            log(f"walk: {walked['pages']} pages, {walked['verdicts']:,} verdicts in {walked['seconds']} s")
            if "error" not in walked and walked["verdicts"] >= args.deep_rows:
                paths["deep"] = walked["cursor_path"]
            elif "error" not in walked and walked["verdicts"]:
                with db_connect() as conn:
                    paths["deep"] = cursor_after(conn, args.deep_rows, walked)
                walked["deep_cursor_from"] = "database (format checked against the walk's last cursor)"
        for name in wanted:
            expect = 304 if name == "304" else 200
            path = paths["list"] if name == "304" else paths.get(name)
            if path is None or (name == "304" and not paths["etag"]):
                why = results.get("walk", {}).get("error") if name == "deep" else "page 1 gave no ETag"
                results["skipped"][name] = why or "not available"
                continue
            conditional = {"If-None-Match": paths["etag"]} if name == "304" else {}
            problem = preflight(port, path, {**headers, **conditional}, expect)
            if problem:
                log(f"{name}: skipped: {problem}")
                results["skipped"][name] = problem
                continue
            calls, _ = scenario_calls(name, headers, paths, ids)
            results["scenarios"][name] = run_scenario(name, args, children, gunicorn, port, calls, path)
        auth = {"Authorization": headers["Authorization"]}
        profiled = [
            {"name": name, "method": "GET", "path": paths[name], "headers": auth}
            for name in ("list", "deep", "detail", "search", "search-miss", "trivial")
            if name in paths
        ]
        if paths["etag"]:
            conditional = {**auth, "If-None-Match": paths["etag"]}
            profiled.append({"name": "304", "method": "GET", "path": paths["list"], "headers": conditional})
        results["queries_per_request"] = query_profile(profiled, env=env)
    redis_flush()
    results["machine_load"] = {"before": load_before, "after": other_load()}
    results["total_seconds"] = round(time.monotonic() - started, 1)
    results["targets"] = targets(results["scenarios"])
    path = write_results("verdicts", results)
    report(args, results)
    print(f"results: {path}")
    return results


def targets(scenarios: dict) -> dict:
    """Each target whose scenarios ran: value, target, met."""
    out = {}

    def check(name: str, numerator: float, denominator: float, at_least: float | None, at_most: float | None):
        value = round(numerator / denominator, 2) if denominator else None
        ok = value is not None and (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
        out[name] = {"value": value, "target": f">= {at_least}" if at_least is not None else f"<= {at_most}", "ok": ok}

    trivial = scenarios.get("trivial")
    if trivial and "list" in scenarios:
        check(
            "list_over_trivial_throughput",
            scenarios["list"]["requests_per_s"],
            trivial["requests_per_s"],
            TARGET_LIST_THROUGHPUT,
            None,
        )
    if "list" in scenarios and "deep" in scenarios:
        check(
            "deep_over_page1_p50", scenarios["deep"]["p50_ms"], scenarios["list"]["p50_ms"], None, TARGET_DEEP_LATENCY
        )
    if trivial and "304" in scenarios:
        check(
            "304_over_trivial_throughput",
            scenarios["304"]["requests_per_s"],
            trivial["requests_per_s"],
            TARGET_304_THROUGHPUT,
            None,
        )
    for name in ("search", "search-miss"):
        if trivial and name in scenarios:
            check(f"{name}_over_trivial_p95", scenarios[name]["p95_ms"], trivial["p95_ms"], None, TARGET_SEARCH_P95)
    return out


def report(args, results: dict) -> None:
    scenarios = results["scenarios"]
    names = [name for name in SCENARIOS if name in scenarios]
    rows = [("", " ".join(f"{name:>11}" for name in names))]
    for label, key in (
        ("requests/s", "requests_per_s"),
        ("p50 (ms)", "p50_ms"),
        ("p95 (ms)", "p95_ms"),
        ("p99 (ms)", "p99_ms"),
        ("errors", "errors"),
        ("requests measured", "requests_ok"),
    ):
        rows.append((label, " ".join(f"{scenarios[name][key]:>11}" for name in names)))
    for part in ("gunicorn", "postgres", "redis"):
        rows.append(
            (
                f"{part} CPU ms/request",
                " ".join(f"{scenarios[name]['cpu_ms_per_request'][part]:>11}" for name in names),
            )
        )
    for name, target in results["targets"].items():
        rows.append((name, f"{target['value']}  (target {target['target']}: {'OK' if target['ok'] else 'MISSED'})"))
    walk = results.get("walk")
    if walk:
        if "error" in walk:
            rows.append(("cursor walk", f"FAILED: {walk['error']}"))
        else:
            rows.append(
                (
                    "cursor walk to the deep page",
                    f"{walk['pages']} pages of {walk['limit']} in {walk['seconds']} s (p50 {walk['page_p50_ms']} ms/page);"
                    f" {walk['verdicts']:,} verdicts, {walk['distinct']:,} distinct, in order: {walk['in_order']}",
                )
            )
            if walk.get("deep_cursor_from"):
                rows.append(("deep cursor", f"{walk['stopped']}: built from the {walk['deep_cursor_from']}"))
    for name, problem in results["skipped"].items():
        rows.append((f"SKIPPED {name}", problem[:300]))
    for name in names:
        if scenarios[name]["error_samples"]:
            rows.append((f"{name} error samples", "; ".join(scenarios[name]["error_samples"][:2])[:300]))
    rows.append(("data load (s)", ", ".join(f"{step} {seconds}" for step, seconds in results["load_seconds"].items())))
    rows.append(("whole benchmark took", f"{results['total_seconds']} s"))
    rows += interference_rows(results["machine_load"], *(scenarios[name]["cpu"] for name in names))
    print_table(
        f"Read API over {args.verdicts:,} verdicts (gunicorn {args.web_workers} workers x {args.web_threads} threads, "
        f"{args.clients} clients, {args.duration:g} s each; trivial = GET /api/v1/me/ with the read key)",
        rows,
    )
    print("paths: " + ", ".join(f"{name} {scenarios[name]['path']}" for name in names))
    print()
    print_query_profile(results.get("queries_per_request") or [])
    for name in names:
        print_profile(f"gunicorn profile during {name} (py-spy)", scenarios[name].get("profile") or {})


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; child processes stopped")
        sys.exit(130)
