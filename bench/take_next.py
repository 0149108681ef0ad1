"""Benchmark: taking the next claim from a deep queue, next to the cheapest authenticated endpoint.

50 fact-checkers (English), each with an API key (scopes ``review,read``) acting as them,
and gunicorn as the Procfile's ``web`` line (2 workers x 4 threads) on a fresh PostgreSQL
database. 16 clients, each with a keep-alive connection, send requests back to back; every
request uses the next user's key in turn, so all 50 people take claims at once.

1. ``POST /api/v1/queue/take/`` with 1,000 queued claims. A take consumes a claim, so this
   runs in rounds: each round stops after ``--round-takes`` takes (the queue never falls
   below 600 claims, 300 of them in English), then the round's assignments are deleted, its
   claims put back in the queue and the tables vacuumed; rounds repeat until ``--duration``
   seconds were measured. One unmeasured round warms up.
2. The queue is filled to 100,000 claims (and vacuumed, as autovacuum would after a bulk
   load); ``POST /api/v1/queue/take/`` again for ``--duration`` seconds after a warm-up.
3. ``GET /api/v1/me/`` with the same keys, for ``--duration`` seconds after a warm-up.

Claims are 70 % English (``en``/``en-GB``, which the users take) and 30 % other languages,
with mixed priorities and ``created_at`` over 30 days. Targets: take p99 at 100,000 at
most 3 x the trivial p99; take p50 at 100,000 at most 1.5 x the p50 at 1,000.

Correctness, checked after every round and phase: no claim has two active assignments
(SQL), every successful take returned a different claim, the number of 200 answers equals
the active assignments and the assigned claims, and nobody got a claim outside their
languages.

The database is ``factcheck_bench_take_next`` (not the shared ``factcheck_bench``, so that this
benchmark and another one can run at once) unless ``BENCH_DATABASE_URL`` says otherwise.

    .venv/bin/python bench/take_next.py [--duration 15] [--clients 16] [--round-takes 400]
    BENCH_PY_SPY=/tmp/pyspy/bin/py-spy .venv/bin/python bench/take_next.py   # + where gunicorn's GIL time goes
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# A database of its own: benchmarks run at the same time must not drop each other's.
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/factcheck_bench_take_next")

from common import (
    Call,
    Children,
    CpuWatch,
    bench_database,
    db_connect,
    desk_users,
    free_port,
    insert_claims,
    interference_rows,
    latency_summary,
    log,
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
from common import http_load as _http_load

TARGET_P99_RATIO = 3.0  # take p99 (100,000 queued) / trivial p99
TARGET_P50_SCALING = 1.5  # take p50 at 100,000 / take p50 at 1,000
SMALL_QUEUE = 1_000
LARGE_QUEUE = 100_000
USERS = 50
LANGUAGES = [("en", 0.6), ("en-GB", 0.1), ("fr", 0.15), ("de", 0.1), ("es", 0.05)]

# The queue subquery of claim_take_next's one statement for a reviewer working in ["en"]
# (reviews.selectors.queue_new: the family condition lets it read the English part of the index), for EXPLAIN.
TAKE_SQL = """
SELECT id FROM claims_claim
WHERE status = 'new' AND (UPPER(language::text) = UPPER('en') OR UPPER(language::text) LIKE UPPER('en-%'))
  AND split_part(lower(language), '-', 1) = 'en'
ORDER BY priority DESC, created_at ASC, id ASC
LIMIT 1 FOR UPDATE SKIP LOCKED
"""

WEB_STAGES = [
    ("claim_take_next: lock + assign (DB)", "claim_take_next ("),
    ("tags and sources of the claim taken", "claim_sources_load ("),
    ("claim body (ClaimSerializer)", "claims/api/serializers.py"),
    ("API key authentication", "api_key_authenticate ("),
    ("permissions and languages (DeskAccess)", "has_permission ("),
]
WEB_LAYERS = [
    ("other database work", "django/db/"),
    ("other database work", "psycopg"),
    ("DRF (parsing, rendering, views)", "rest_framework/"),
    ("Django (handlers, middleware)", "django/"),
    ("gunicorn (HTTP, worker loop)", "gunicorn/"),
]


def rotating_keys(keys: list[str], path: str, method: str) -> Callable[[int, int], Callable[[int], Call]]:
    """Client ``c``'s ``n``-th request uses key ``(c + n * clients) % len(keys)``: every user in turn."""

    def for_client(client: int, clients: int):
        def make(number: int) -> Call:
            key = keys[(client + number * clients) % len(keys)]
            headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
            return Call(method, path, headers)

        return make

    return for_client


def http_load(args, port: int, make, *, warmup: float | None = None, duration: float | None = None, **kwargs):
    """``common.http_load`` with this run's clients, warm-up and duration unless given."""
    return _http_load(
        port,
        args.clients,
        args.warmup if warmup is None else warmup,
        args.duration if duration is None else duration,
        lambda client: make(client, args.clients),
        **kwargs,
    )


# --- Database ------------------------------------------------------------------------------


def vacuum(conn) -> None:
    for table in ("claims_claim", "reviews_assignment", "reviews_workflowevent"):
        conn.execute(f"VACUUM ANALYZE {table}")


def requeue(conn) -> None:
    """Undo the takes: assignments and events go, assigned claims return to the queue."""
    conn.execute("DELETE FROM reviews_workflowevent WHERE action = 'take'")
    conn.execute("DELETE FROM reviews_assignment")
    conn.execute("UPDATE claims_claim SET status = 'new' WHERE status = 'assigned'")
    vacuum(conn)


def check_takes(conn, bodies: list[bytes]) -> dict:
    """What the database and the clients say about the takes since the last requeue."""
    ids = [json.loads(body)["id"] for body in bodies]
    row = conn.execute(
        """
        SELECT
          (SELECT count(*) FROM (SELECT claim_id FROM reviews_assignment WHERE released_at IS NULL
                                 GROUP BY claim_id HAVING count(*) > 1) AS twice),
          (SELECT count(*) FROM reviews_assignment WHERE released_at IS NULL),
          (SELECT count(*) FROM claims_claim WHERE status = 'assigned'),
          (SELECT count(*) FROM reviews_assignment a JOIN claims_claim c ON c.id = a.claim_id
            WHERE a.released_at IS NULL AND NOT (lower(c.language) = 'en' OR lower(c.language) LIKE 'en-%')),
          (SELECT count(*) FROM claims_claim WHERE status = 'new')
        """
    ).fetchone()
    check = {
        "claims_with_two_active_assignments": row[0],
        "active_assignments": row[1],
        "assigned_claims": row[2],
        "assigned_outside_languages": row[3],
        "still_queued": row[4],
        "takes_answered_200": len(ids),
        "distinct_claims_answered": len(set(ids)),
    }
    check["ok"] = (
        row[0] == 0 and row[3] == 0 and row[1] == row[2] == len(ids) == len(set(ids)) and row[4] > 0  # never emptied
    )
    return check


def explain(conn) -> str:
    rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + TAKE_SQL).fetchall()
    return "\n".join(row[0] for row in rows)


# --- Phases --------------------------------------------------------------------------------


def small_queue_rounds(args, port: int, take) -> dict:
    """Takes with ~1,000 queued: rounds of ``round_takes`` takes, requeued in between."""
    latencies: list[float] = []
    seconds = 0.0
    errors = 0
    samples: list[str] = []
    checks = []
    with db_connect() as conn:
        log(f"take @ {SMALL_QUEUE:,}: warm-up round")
        warm = http_load(args, port, take, warmup=0, duration=120, stop_after_ok=args.round_takes, keep_bodies=True)
        checks.append(check_takes(conn, warm.bodies))
        requeue(conn)
        rounds = 0
        while seconds < args.duration:
            result = http_load(
                args, port, take, warmup=0, duration=120, stop_after_ok=args.round_takes, keep_bodies=True
            )
            checks.append(check_takes(conn, result.bodies))
            requeue(conn)
            rounds += 1
            latencies += result.latencies
            seconds += result.seconds
            errors += result.errors
            samples += result.error_samples
        log(f"take @ {SMALL_QUEUE:,}: {rounds} rounds, {len(latencies)} takes in {seconds:.1f} s")
    summary = latency_summary(latencies, seconds, errors, samples)
    summary |= {
        "rounds": rounds,
        "takes_per_round": args.round_takes,
        "checks_ok": all(check["ok"] for check in checks),
        "checks_failed": [check for check in checks if not check["ok"]][:3],
        "fewest_queued_in_a_round": min(check["still_queued"] for check in checks),
    }
    return summary


def timed_phase(name: str, args, children: Children, gunicorn, port: int, make, *, keep_bodies=False) -> tuple:
    log(f"{name}: {args.clients} clients, {args.warmup:g} s warm-up + {args.duration:g} s measured")
    cpu = CpuWatch(gunicorn=gunicorn.pid)
    with py_spy(args.py_spy, children, f"take_next-{name}", gunicorn.pid, subprocesses=True) as profile:
        result = http_load(args, port, make, keep_bodies=keep_bodies)
    summary = result.summary()
    summary["cpu"] = cpu.stop()
    done = max(result.sent_including_warmup, 1)
    summary["cpu_ms_per_request"] = {
        name: round(summary["cpu"][f"{name}_cpu_s"] * 1000 / done, 2) for name in ("gunicorn", "postgres")
    }
    summary["profile"] = profile_summary(profile, WEB_STAGES, WEB_LAYERS)
    return summary, result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per phase (15)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per phase, not counted (2)")
    parser.add_argument("--round-takes", type=int, default=400, help="takes per round with 1,000 queued (400)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn --workers (Procfile: 2)")
    parser.add_argument("--web-threads", type=int, default=4, help="gunicorn --threads (Procfile: 4)")
    parser.add_argument(
        "--py-spy",
        default=os.environ.get("BENCH_PY_SPY") or None,
        help="py-spy binary: profile gunicorn during the 100,000 and trivial phases (default: $BENCH_PY_SPY; off)",
    )
    args = parser.parse_args(argv)
    english = sum(weight for tag, weight in LANGUAGES if tag.startswith("en"))
    if args.round_takes > SMALL_QUEUE * english * 0.8:
        parser.error(
            f"--round-takes must leave English claims in the queue (at most {SMALL_QUEUE * english * 0.8:.0f})"
        )

    raise_on_sigterm()
    load_before = other_load()
    redis_flush()
    started = time.monotonic()
    with bench_database(), Children("take_next") as children:
        log(f"creating {USERS} fact-checkers with review,read keys")
        keys = [key for _, key in desk_users(USERS, prefix="checker", languages=["en"])]
        take = rotating_keys(keys, "/api/v1/queue/take/", "POST")
        trivial = rotating_keys(keys, "/api/v1/me/", "GET")
        with db_connect() as conn:
            insert_claims(conn, SMALL_QUEUE, status="new", languages=LANGUAGES)
            vacuum(conn)
        port = free_port()
        gunicorn = start_gunicorn(children, port, workers=args.web_workers, threads=args.web_threads)
        small = small_queue_rounds(args, port, take)

        log(f"filling the queue to {LARGE_QUEUE:,} claims")
        filled = time.monotonic()
        with db_connect() as conn:
            insert_claims(conn, LARGE_QUEUE - SMALL_QUEUE, status="new", first=SMALL_QUEUE, languages=LANGUAGES)
            vacuum(conn)
            fill_seconds = time.monotonic() - filled
            plan_before = explain(conn)
        large, large_result = timed_phase("take-100k", args, children, gunicorn, port, take, keep_bodies=True)
        with db_connect() as conn:
            large["checks"] = check_takes(conn, large_result.bodies)
            plan_after = explain(conn)
        me, _ = timed_phase("trivial", args, children, gunicorn, port, trivial)
        auth = {"Authorization": f"Bearer {keys[0]}"}
        queries = query_profile(
            [
                {"name": "POST /api/v1/queue/take/", "method": "POST", "path": "/api/v1/queue/take/", "headers": auth},
                {"name": "GET /api/v1/me/", "method": "GET", "path": "/api/v1/me/", "headers": auth},
            ]
        )
        with db_connect() as conn:
            final = conn.execute(
                "SELECT count(*) FROM (SELECT claim_id FROM reviews_assignment WHERE released_at IS NULL"
                " GROUP BY claim_id HAVING count(*) > 1) AS twice"
            ).fetchone()[0]
    redis_flush()
    load_after = other_load()

    p99_ratio = large["p99_ms"] / me["p99_ms"] if me["p99_ms"] else 0.0
    p50_scaling = large["p50_ms"] / small["p50_ms"] if small["p50_ms"] else 0.0
    results = {
        "settings": vars(args),
        "users": USERS,
        "languages": LANGUAGES,
        "take_1k": small,
        "take_100k": large,
        "trivial": me,
        "fill_99k_seconds": round(fill_seconds, 1),
        "explain_take_100k_before": plan_before,
        "explain_take_100k_after": plan_after,
        "final_claims_with_two_active_assignments": final,
        "queries_per_request": queries,
        "ratio_p99_take_over_trivial": round(p99_ratio, 2),
        "target_p99_ratio": TARGET_P99_RATIO,
        "ratio_p50_100k_over_1k": round(p50_scaling, 2),
        "target_p50_scaling": TARGET_P50_SCALING,
        "meets_targets": p99_ratio <= TARGET_P99_RATIO and p50_scaling <= TARGET_P50_SCALING,
        "correct": small["checks_ok"] and large["checks"]["ok"] and final == 0,
        "total_seconds": round(time.monotonic() - started, 1),
        "machine_load": {"before": load_before, "after": load_after},
    }
    path = write_results("take_next", results)
    report(args, results)
    print(f"results: {path}")
    return results


def report(args, results: dict) -> None:
    small, large, me = results["take_1k"], results["take_100k"], results["trivial"]
    head = f"{'take @1,000':>14} {'take @100,000':>14} {'GET /me/':>12}"

    def row(label: str, key: str) -> tuple[str, str]:
        return label, f"{small[key]:>14} {large[key]:>14} {me[key]:>12}"

    p99_ratio, scaling = results["ratio_p99_take_over_trivial"], results["ratio_p50_100k_over_1k"]
    checks = large["checks"]
    rows = [
        ("", head),
        row("requests/s", "requests_per_s"),
        row("p50 (ms)", "p50_ms"),
        row("p95 (ms)", "p95_ms"),
        row("p99 (ms)", "p99_ms"),
        row("max (ms)", "max_ms"),
        row("errors", "errors"),
        row("requests measured", "requests_ok"),
        (
            "take p99 @100,000 / trivial p99",
            f"{p99_ratio:.2f}  (target <= {TARGET_P99_RATIO}: {'OK' if p99_ratio <= TARGET_P99_RATIO else 'MISSED'})",
        ),
        (
            "take p50 @100,000 / @1,000",
            f"{scaling:.2f}  (target <= {TARGET_P50_SCALING}: {'OK' if scaling <= TARGET_P50_SCALING else 'MISSED'})",
        ),
        (
            "1,000 queue",
            f"{small['rounds']} rounds of {small['takes_per_round']} takes; "
            f"fewest queued {small['fewest_queued_in_a_round']}",
        ),
        (
            "CPU ms/request gunicorn / postgres",
            f"take {large['cpu_ms_per_request']['gunicorn']} / {large['cpu_ms_per_request']['postgres']}; "
            f"me {me['cpu_ms_per_request']['gunicorn']} / {me['cpu_ms_per_request']['postgres']}",
        ),
        ("filling 99,000 claims (COPY + vacuum)", f"{results['fill_99k_seconds']} s"),
        (
            "SQL: claims with 2 active assignments",
            f"{results['final_claims_with_two_active_assignments']} (after the run)",
        ),
        (
            "@100,000: 200s / distinct / active / assigned",
            f"{checks['takes_answered_200']} / {checks['distinct_claims_answered']} / "
            f"{checks['active_assignments']} / {checks['assigned_claims']}; outside languages "
            f"{checks['assigned_outside_languages']}",
        ),
        ("all correctness checks", "OK" if results["correct"] else "FAILED (see JSON)"),
        ("whole benchmark took", f"{results['total_seconds']} s"),
    ]
    rows += interference_rows(results["machine_load"], large["cpu"], me["cpu"])
    for name, data in (("take@1k", small), ("take@100k", large), ("trivial", me)):
        if data["error_samples"]:
            rows.append((f"{name} error samples", "; ".join(data["error_samples"][:2])))
    print_table(
        f"Take next claim vs trivial endpoint (gunicorn {args.web_workers} workers x {args.web_threads} threads, "
        f"{args.clients} clients, {USERS} users, {args.duration:g} s each)",
        rows,
    )
    print_query_profile(results["queries_per_request"], plans=False)
    print("EXPLAIN of the take query at 100,000 after the run:")
    print(results["explain_take_100k_after"])
    print()
    print_profile("gunicorn profile during take @100,000 (py-spy)", large.get("profile") or {})
    print_profile("gunicorn profile during GET /me/ (py-spy)", me.get("profile") or {})


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; child processes stopped")
        sys.exit(130)
