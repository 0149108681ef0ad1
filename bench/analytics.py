"""Benchmark: the desk analytics page and ``GET /api/v1/stats/`` on a large desk, next to ``/healthz``.

A fresh PostgreSQL database is filled by COPY with ``--claims`` claims (default 100,000) received
over the last 120 days and walked through the workflow as a desk would: about a quarter still new,
some assigned or submitted, half published (some sent back first, some retracted later), a tenth
dismissed; with their workflow events, assignments, verdicts and versions, one cited source per two
claims with fetch attempts on 40 hosts, tags on a third and a match on one claim in twenty. 30
fact-checkers and 3 editors come from the real ``user_add``; the editors' keys (``read``) call the
API and one editor's session the page.

gunicorn runs as the Procfile's ``web`` line (2 workers x 4 threads); ``--clients`` clients send
requests back to back for ``--duration`` seconds after a warm-up, one endpoint at a time. First as
deployed, where the figures are cached for a minute per set of filters: ``/healthz``,
``/desk/analytics/`` and ``/api/v1/stats/`` (the default period, 12 weeks). Then a web server whose
settings turn the cache off (``ANALYTICS_CACHE_SECONDS = 0``): every request computes every figure,
the page, the API and the page with filters (a language, four weeks). Printed: p50 / p95 / p99 in ms,
the p95 ratio to ``/healthz``, and the SQL count and slowest query of one cold page view.

The database is ``factcheck_bench_analytics`` unless ``BENCH_DATABASE_URL`` says otherwise.

    .venv/bin/python bench/analytics.py [--claims 100000] [--duration 15] [--clients 4]
    .venv/bin/python bench/analytics.py --claims 10000 --duration 8   # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/factcheck_bench_analytics")

from common import (
    ROOT,
    Call,
    Children,
    CpuWatch,
    bench_database,
    child_env,
    copy_rows,
    cpu_line,
    db_connect,
    desk_users,
    free_port,
    http_get,
    http_load,
    interference_rows,
    log,
    manage,
    other_load,
    print_query_profile,
    print_table,
    query_profile,
    raise_on_sigterm,
    start_gunicorn,
    write_results,
)

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DAYS = 120
FACTCHECKERS = 30
EDITORS = 3
HOSTS = [f"news{n:02d}.example.org" for n in range(36)] + [
    "slow.example.com",
    "gov.example",
    "blog.example.net",
    "x.example",
]
LANGUAGES = (("en", 60), ("fr", 15), ("es", 10), ("de", 10), ("pt", 5))
CHANNELS = (("api", 50), ("form", 20), ("import", 20), ("article", 10))
STATES = (("new", 25), ("assigned", 8), ("submitted", 4), ("published", 50), ("dismissed", 10), ("retracted", 3))
TAGS = ("budget", "health", "economy", "crime", "energy", "transport", "elections", "housing")
FETCH = (("fetched", 70), ("failed", 10), ("blocked", 5), ("gone", 5), ("pending", 10))
ATTEMPT_FOR = {"fetched": "fetched", "failed": "failed", "blocked": "blocked", "gone": "gone", "pending": "retry"}

_SESSION_CODE = """
from django.contrib.auth import get_user_model
from django.test import Client
client = Client()
client.force_login(get_user_model().objects.get(username="benched000"))
print("SESSION " + client.cookies["sessionid"].value)
"""


def pick(rng: random.Random, weighted) -> str:
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights=weights)[0]


def user_ids(conn, prefix: str) -> list[int]:
    rows = conn.execute("SELECT id FROM auth_user WHERE username LIKE %s ORDER BY username", [f"{prefix}%"]).fetchall()
    return [row[0] for row in rows]


def fill(conn, count: int, seed: int = 7) -> dict[str, int]:
    """Claims and everything the workflow leaves behind them, by COPY with explicit ids."""
    from claims.normalize import claim_text_key

    rng = random.Random(seed)
    now = datetime.now(UTC)
    checkers, editors = user_ids(conn, "benchfc"), user_ids(conn, "benched")
    ratings = [row[0] for row in conn.execute("SELECT id FROM reviews_rating ORDER BY position").fetchall()]
    tag_ids = [
        conn.execute("INSERT INTO claims_tag (name) VALUES (%s) RETURNING id", [name]).fetchone()[0] for name in TAGS
    ]
    claims, claim_tags, events, assignments, verdicts, versions = [], [], [], [], [], []
    sources, citations, attempts, matches = [], [], [], []
    event_id = assignment_id = version_id = source_id = attempt_id = 0

    def event(claim_id, actor, action, source, target, when, public=False):
        nonlocal event_id
        event_id += 1
        events.append((event_id, claim_id, actor, action, source, target, "", public, "{}", min(when, now)))

    for claim_id in range(1, count + 1):
        created = now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
        state = pick(rng, STATES)
        text = f"Bench claim {claim_id}: {rng.randint(2, 98)} percent of {rng.choice(TAGS)} spending went missing."
        claims.append(
            (
                claim_id,
                text,
                claim_text_key(text),
                "Someone",
                "",
                pick(rng, LANGUAGES),
                rng.choice((0, 1, 1, 1, 2, 3)),
                pick(rng, CHANNELS),
                state,
                created,
                created,
            )
        )
        if rng.random() < 0.33:
            claim_tags.append((claim_id, rng.choice(tag_ids)))
        if state == "dismissed":
            event(
                claim_id,
                rng.choice(editors),
                "dismiss",
                "new",
                "dismissed",
                created + timedelta(hours=rng.expovariate(1 / 20)),
            )
        elif state != "new":
            checker = rng.choice(checkers)
            taken = created + timedelta(hours=rng.expovariate(1 / 12))
            action = "take" if rng.random() < 0.7 else "assign"
            event(claim_id, checker if action == "take" else rng.choice(editors), action, "new", "assigned", taken)
            assignment_id += 1
            released = None
            if state in ("published", "retracted"):
                submitted = taken + timedelta(hours=rng.expovariate(1 / 30))
                approved = submitted + timedelta(hours=rng.expovariate(1 / 18))
                released = min(approved, now)
            elif state == "submitted":
                submitted = taken + timedelta(hours=rng.expovariate(1 / 30))
            assignments.append(
                (
                    assignment_id,
                    claim_id,
                    checker,
                    None,
                    taken,
                    taken + timedelta(hours=72),
                    taken,
                    released,
                    "published" if released else "",
                )
            )
            if state in ("submitted", "published", "retracted"):
                event(claim_id, checker, "submit", "assigned", "submitted", submitted)
                number = 1
                if state != "submitted" and rng.random() < 0.15:
                    event(
                        claim_id,
                        rng.choice(editors),
                        "send_back",
                        "submitted",
                        "assigned",
                        submitted + timedelta(hours=2),
                    )
                    event(claim_id, checker, "submit", "assigned", "submitted", submitted + timedelta(hours=6))
                    number = 2
                rating = rng.choice(ratings)
                published_version = None
                for n in range(1, number + 1):
                    version_id += 1
                    approved_here = state != "submitted" and n == number
                    versions.append(
                        (
                            version_id,
                            claim_id,  # verdict id = claim id
                            n,
                            "submitted",
                            rating,
                            "It is not so.",
                            "",
                            "[]",
                            checker,
                            min(submitted, now),
                            rng.choice(editors) if approved_here else None,
                            min(approved, now) if approved_here else None,
                            None,
                            "",
                        )
                    )
                    if approved_here:
                        published_version = version_id
                published_at = None
                retracted_at = None
                if published_version is not None:
                    published_at = min(approved, now)
                    event(claim_id, rng.choice(editors), "approve", "submitted", "published", approved)
                    if state == "retracted":
                        retracted_at = min(approved + timedelta(days=rng.uniform(0, 10)), now)
                        event(
                            claim_id,
                            rng.choice(editors),
                            "retract",
                            "published",
                            "retracted",
                            retracted_at,
                            public=True,
                        )
                    elif rng.random() < 0.05:
                        event(
                            claim_id,
                            rng.choice(editors),
                            "correct",
                            "published",
                            "published",
                            approved + timedelta(days=1),
                            public=True,
                        )
                verdicts.append(
                    (
                        claim_id,
                        claim_id,
                        f"bench-{claim_id}" if published_version else None,
                        None,  # published_version_id: set after the versions exist
                        published_at,
                        retracted_at,
                        retracted_at,
                        "",
                        "",
                        "[]",
                    )
                )
        if claim_id % 2 == 0:
            source_id += 1
            host = rng.choice(HOSTS)
            url = f"https://{host}/story/{source_id}"
            status = pick(rng, FETCH)
            sources.append(
                (source_id, url, url, f"{source_id:064x}", status, "", "", "", "", "", "", "", 1, created, created)
            )
            citations.append((claim_id, source_id, "", created))
            for _ in range(rng.choice((1, 1, 2))):
                attempt_id += 1
                started = created + timedelta(minutes=rng.uniform(0, 30))
                base = 4000 if host == "slow.example.com" else 400
                attempts.append(
                    (attempt_id, source_id, started, started, ATTEMPT_FOR[status], "", int(rng.expovariate(1 / base)))
                )
        if claim_id > 10 and rng.random() < 0.05:
            kind = "duplicate" if rng.random() < 0.4 else "similar"
            matches.append((claim_id, rng.randrange(1, claim_id), 0.9 if kind == "duplicate" else 0.8, kind, created))

    columns = {
        "claims_claim": (
            "id", "text", "text_key", "claimant", "appeared_at", "language", "priority", "channel", "status",
            "created_at", "updated_at",
        ),
        "claims_claim_tags": ("claim_id", "tag_id"),
        "reviews_workflowevent": (
            "id", "claim_id", "actor_id", "action", "from_state", "to_state", "comment", "public", "data", "created_at",
        ),
        "reviews_assignment": (
            "id", "claim_id", "assignee_id", "assigned_by_id", "assigned_at", "due_at", "last_activity_at",
            "released_at", "release_reason",
        ),
        "reviews_verdict": (
            "id", "claim_id", "slug", "published_version_id", "published_at", "updated_at", "retracted_at",
            "draft_summary", "draft_analysis", "draft_evidence",
        ),
        "reviews_verdictversion": (
            "id", "verdict_id", "number", "kind", "rating_id", "summary", "analysis", "evidence", "author_id",
            "created_at", "approved_by_id", "approved_at", "rejected_at", "note",
        ),
        "claims_source": (
            "id", "url", "canonical_url", "canonical_hash", "fetch_status", "error", "final_url", "content_type",
            "title", "author", "text", "sha256", "attempts", "created_at", "updated_at",
        ),
        "claims_citation": ("claim_id", "source_id", "context", "added_at"),
        "claims_fetchattempt": ("id", "source_id", "started_at", "finished_at", "outcome", "error", "duration_ms"),
        "claims_claimmatch": ("claim_id", "matched_id", "score", "kind", "created_at"),
    }  # fmt: skip
    tables = {
        "claims_claim": claims,
        "claims_claim_tags": claim_tags,
        "reviews_workflowevent": events,
        "reviews_assignment": assignments,
        "reviews_verdict": verdicts,
        "reviews_verdictversion": versions,
        "claims_source": sources,
        "claims_citation": citations,
        "claims_fetchattempt": attempts,
        "claims_claimmatch": matches,
    }
    counts = {}
    for table, rows in tables.items():
        counts[table] = copy_rows(conn, table, columns[table], rows)
    conn.execute(
        "UPDATE reviews_verdict v SET published_version_id = vv.id FROM reviews_verdictversion vv "
        "WHERE vv.verdict_id = v.id AND vv.approved_at IS NOT NULL"
    )
    for table in ("claims_claim", "reviews_workflowevent", "reviews_assignment", "reviews_verdict",
                  "reviews_verdictversion", "claims_source", "claims_fetchattempt"):  # fmt: skip
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608 -- our table names
    for table in tables:
        conn.execute(f"VACUUM ANALYZE {table}")
    return counts


def measure(args, port: int, path: str, headers: dict[str, str], gunicorn_pid: int) -> dict:
    def calls(client: int):
        return lambda number: Call("GET", path, headers)

    watch = CpuWatch(gunicorn=gunicorn_pid)
    result = http_load(port, args.clients, args.warmup, args.duration, calls)
    summary = result.summary()
    summary["cpu"] = watch.stop()
    return summary


def main() -> dict:
    raise_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds measured per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    args = parser.parse_args()
    started = time.monotonic()
    load_before = other_load()
    with bench_database(), Children("analytics") as children:
        log(f"creating {FACTCHECKERS} fact-checkers and {EDITORS} editors")
        desk_users(FACTCHECKERS, prefix="benchfc", role="factchecker", languages=("en",))
        editor_keys = [
            key for _, key in desk_users(EDITORS, prefix="benched", role="editor", languages=(), scopes=("read",))
        ]
        session = manage("shell", "-c", _SESSION_CODE).strip().splitlines()[-1].removeprefix("SESSION ")
        log(f"filling {args.claims:,} claims and their workflow by COPY")
        fill_started = time.monotonic()
        with db_connect() as conn:
            counts = fill(conn, args.claims)
        fill_seconds = time.monotonic() - fill_started
        log(f"filled in {fill_seconds:.1f} s: {json.dumps(counts)}")

        # Production mode serves hashed static files: collected once into a scratch VAR_DIR. The cold
        # web server runs a settings variant without the figures' cache (ANALYTICS_CACHE_SECONDS = 0).
        scratch = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
        (scratch / "bench_analytics_cold.py").write_text(
            "from factcheck.settings import *  # noqa: F403\nANALYTICS_CACHE_SECONDS = 0\n"
        )
        web_env = child_env(VAR_DIR=str(scratch))
        cold_env = child_env(
            VAR_DIR=str(scratch), DJANGO_SETTINGS_MODULE="bench_analytics_cold", PYTHONPATH=f"{scratch}:{ROOT}"
        )
        manage("collectstatic", "--noinput", "-v", "0", env=web_env)
        cookie = {"Cookie": f"sessionid={session}", "Accept": "text/html"}
        api = {"Authorization": f"Bearer {editor_keys[0]}", "Accept": "application/json"}
        today = datetime.now(UTC).date()
        filtered = f"?from={(today - timedelta(days=27)).isoformat()}&to={today.isoformat()}&language=en"
        phases = {
            "cached": (
                web_env,
                [("healthz", "/healthz", {}), ("page", "/desk/analytics/", cookie), ("api", "/api/v1/stats/", api)],
            ),
            "cold": (
                cold_env,
                [
                    ("page_cold", "/desk/analytics/", cookie),
                    ("api_cold", "/api/v1/stats/", api),
                    ("page_filtered_cold", f"/desk/analytics/{filtered}", cookie),
                ],
            ),
        }
        checks, results_by = {}, {}
        for phase, (env, endpoints) in phases.items():
            port = free_port()
            gunicorn = start_gunicorn(children, port, workers=args.web_workers, threads=args.web_threads, env=env)
            for name, path, headers in endpoints:
                status, _, body = http_get(port, path, headers)
                checks[name] = status
                if status != 200:
                    raise RuntimeError(f"GET {path} answered {status}: {body[:500]!r}")
                if name == "api":
                    stats = json.loads(body)
            log(f"measuring ({phase}): {', '.join(name for name, _, _ in endpoints)}")
            for name, path, headers in endpoints:
                results_by[name] = measure(args, port, path, headers, gunicorn.pid)
                log(f"{name}: p50 {results_by[name]['p50_ms']} ms, p95 {results_by[name]['p95_ms']} ms")
            gunicorn.stop()
        profile = query_profile(
            [
                {
                    "name": "analytics page",
                    "method": "GET",
                    "path": "/desk/analytics/",
                    "headers": {"Cookie": cookie["Cookie"]},
                },
                {
                    "name": "stats API",
                    "method": "GET",
                    "path": "/api/v1/stats/",
                    "headers": {"Authorization": api["Authorization"]},
                },
            ],
            env=cold_env | {"DEBUG": "true"},
        )
    trivial = results_by["healthz"]
    results = {
        "settings": vars(args),
        "rows": counts,
        "fill_seconds": round(fill_seconds, 1),
        "first_answers": checks,
        "figures_sample": {
            "backlog": stats["backlog"]["total"],
            "received": stats["intake"]["total"],
            "published": stats["published"]["total"],
            "median_hours_to_publication": stats["durations"]["overall"]["to_publication"]["median_hours"],
        },
        **results_by,
        "ratios_p95_over_healthz": {
            name: round(data["p95_ms"] / trivial["p95_ms"], 1) if trivial["p95_ms"] else None
            for name, data in results_by.items()
            if name != "healthz"
        },
        "queries_per_request": profile,
        "total_seconds": round(time.monotonic() - started, 1),
        "machine_load": {"before": load_before, "after": other_load()},
    }
    path = write_results("analytics", results)
    report(args, results)
    print(f"results: {path}")
    return results


def report(args, results: dict) -> None:
    names = ("healthz", "page", "api", "page_cold", "api_cold", "page_filtered_cold")
    head = "".join(f"{name:>19}" for name in names)

    def row(label: str, key: str) -> tuple[str, str]:
        return label, "".join(f"{results[name][key]:>19}" for name in names)

    ratios = results["ratios_p95_over_healthz"]
    rows = [
        ("", head),
        row("requests/s", "requests_per_s"),
        row("p50 (ms)", "p50_ms"),
        row("p95 (ms)", "p95_ms"),
        row("p99 (ms)", "p99_ms"),
        row("errors", "errors"),
        row("requests measured", "requests_ok"),
        ("p95 / healthz p95", ", ".join(f"{name} {ratio}x" for name, ratio in ratios.items())),
        ("rows", ", ".join(f"{table.split('_', 1)[1]} {n:,}" for table, n in results["rows"].items())),
        ("filling (COPY + vacuum)", f"{results['fill_seconds']} s"),
        ("figures (API)", json.dumps(results["figures_sample"])),
        ("CPU during the page (cached)", cpu_line(results["page"]["cpu"])),
        ("CPU during the page (cold)", cpu_line(results["page_cold"]["cpu"])),
        ("whole benchmark took", f"{results['total_seconds']} s"),
    ]
    rows += interference_rows(results["machine_load"], results["page_cold"]["cpu"], results["api_cold"]["cpu"])
    print_table(
        f"Desk analytics at {args.claims:,} claims vs /healthz (gunicorn {args.web_workers} workers x "
        f"{args.web_threads} threads, {args.clients} clients, {args.duration:g} s each)",
        rows,
    )
    print_query_profile(results["queries_per_request"], plans=False)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; child processes stopped")
        sys.exit(130)
