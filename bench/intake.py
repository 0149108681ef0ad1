"""Benchmark: claim intake throughput next to the cheapest authenticated endpoint.

gunicorn runs as the Procfile's ``web`` line (2 workers x 4 threads) against a
fresh PostgreSQL database and the real Redis broker (no worker runs: publishing
the follow-up work is part of the cost, fetching and matching are not). 20 clients, each with a
keep-alive connection, then send as many requests as they can for a fixed time
after a short warm-up:

1. ``POST /api/v1/claims/`` with a distinct text and 3 distinct source URLs
   (so every request creates a claim, 3 sources, 3 citations and publishes the one
   ``intake_followup`` message that fans out the 3 fetches and the matching in a worker);
2. ``GET /api/v1/me/`` with the same API key (authentication and little else).

Printed: requests/s, p50, p95, errors for both, and intake/trivial throughput
(target at least 0.3).

The table also gives CPU milliseconds per request for gunicorn, PostgreSQL,
Redis and the client, and how busy the machine was with other work.

    .venv/bin/python bench/intake.py [--clients 20] [--duration 20] [--warmup 3]
    BENCH_PY_SPY=/path/to/py-spy .venv/bin/python bench/intake.py   # + where gunicorn's GIL time goes
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    Call,
    Children,
    CpuWatch,
    bench_database,
    cpu_line,
    create_api_key,
    db_connect,
    free_port,
    http_load,
    interference_rows,
    log,
    other_load,
    print_profile,
    print_table,
    profile_summary,
    py_spy,
    raise_on_sigterm,
    redis_flush,
    redis_queue_length,
    start_gunicorn,
    write_results,
)

TARGET_RATIO = 0.3


def run_load(
    port: int, key: str, clients: int, warmup: float, duration: float, factory: Callable[[int], Callable]
) -> dict:
    """``clients`` keep-alive clients send back to back; only requests finishing inside the window count."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Accept": "application/json"}
    result = http_load(port, clients, warmup, duration, lambda client: _calls(factory(client), headers))
    return {"clients": clients, "requests": len(result.latencies) + result.errors, **result.summary()}


def _calls(make: Callable[[int], tuple], headers: dict[str, str]) -> Callable[[int], Call]:
    def call(number: int) -> Call:
        method, path, body, expected = make(number)
        return Call(method, path, headers, body, expected)

    return call


def intake_requests(run: str) -> Callable[[int], Callable[[int], tuple]]:
    """Per client: a distinct claim text and 3 distinct source URLs for every request."""

    def for_client(client: int) -> Callable[[int], tuple]:
        def make(number: int) -> tuple:
            tag = f"{run}-{client}-{number}"
            payload = {
                "text": f"Intake benchmark claim {tag}: the minister said {number % 90 + 5} percent of "
                f"hospitals in region {client} met the waiting-time target last year.",
                "claimant": f"Minister {client}",
                "language": "en",
                "sources": [f"https://news{k}.example.org/{run}/{client}/{number}/story-{k}.html" for k in range(3)],
            }
            return ("POST", "/api/v1/claims/", json.dumps(payload).encode(), 201)

        return make

    return for_client


def trivial_requests(client: int) -> Callable[[int], tuple]:
    return lambda number: ("GET", "/api/v1/me/", None, 200)


WEB_STAGES = [
    ("publishing follow-up work (-> Redis)", "intake_followup_enqueue ("),
    ("input validation (ClaimInput)", "claim_validate ("),
    ("claim_submit: claim, sources, citations (DB)", "claim_submit ("),
    ("API key authentication", "api_key_authenticate ("),
    ("response serialization", "to_representation ("),
]
WEB_LAYERS = [
    ("other database work (reload claim, ...)", "django/db/"),
    ("other database work (reload claim, ...)", "psycopg"),
    ("DRF (parsing, rendering, views)", "rest_framework/"),
    ("Django (handlers, middleware)", "django/"),
    ("gunicorn (HTTP, worker loop)", "gunicorn/"),
]


def phase(name: str, args, children: Children, gunicorn, port: int, key: str, factory) -> dict:
    log(f"{name}: {args.clients} clients, {args.warmup:g} s warm-up + {args.duration:g} s measured")
    cpu = CpuWatch(gunicorn=gunicorn.pid)
    with py_spy(args.py_spy, children, f"intake-{name}", gunicorn.pid, subprocesses=True) as profile:
        result = run_load(port, key, args.clients, args.warmup, args.duration, factory)
    result["cpu"] = cpu.stop()
    done = max(result["sent_including_warmup"], 1)
    result["cpu_ms_per_request"] = {
        name: round(result["cpu"][f"{name}_cpu_s"] * 1000 / done, 2) for name in ("gunicorn", "postgres", "redis")
    }
    result["cpu_ms_per_request"]["client"] = round(result["cpu"]["bench_process_cpu_s"] * 1000 / done, 2)
    result["profile"] = profile_summary(profile, WEB_STAGES, WEB_LAYERS)
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per endpoint (20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per endpoint, not counted (3)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn --workers (Procfile: 2)")
    parser.add_argument("--web-threads", type=int, default=4, help="gunicorn --threads (Procfile: 4)")
    parser.add_argument(
        "--py-spy",
        default=os.environ.get("BENCH_PY_SPY") or None,
        help="py-spy binary: profile gunicorn during each phase (default: $BENCH_PY_SPY; off)",
    )
    args = parser.parse_args(argv)

    raise_on_sigterm()
    load_before = other_load()
    redis_flush()
    run = uuid.uuid4().hex[:8]
    with bench_database(), Children("intake") as children:
        key = create_api_key()
        port = free_port()
        gunicorn = start_gunicorn(children, port, workers=args.web_workers, threads=args.web_threads)
        intake = phase("intake", args, children, gunicorn, port, key, intake_requests(run))
        queued = redis_queue_length()
        with db_connect() as conn:
            claims = conn.execute("SELECT count(*) FROM claims_claim").fetchone()[0]
            sources = conn.execute("SELECT count(*) FROM claims_source").fetchone()[0]
        intake["stored"] = {"claims": claims, "sources": sources, "messages_in_redis": queued}
        trivial = phase("trivial", args, children, gunicorn, port, key, trivial_requests)
    redis_flush()
    load_after = other_load()

    ratio = intake["requests_per_s"] / trivial["requests_per_s"] if trivial["requests_per_s"] else 0.0
    results = {
        "settings": vars(args),
        "intake": intake,
        "trivial": trivial,
        "ratio_intake_over_trivial": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
        "machine_load": {"before": load_before, "after": load_after},
    }
    path = write_results("intake", results)
    report(args, results)
    print(f"results: {path}")
    return results


def report(args: argparse.Namespace, results: dict) -> None:
    intake, trivial, ratio = results["intake"], results["trivial"], results["ratio_intake_over_trivial"]
    stored = intake["stored"]
    rows = [
        ("", f"{'POST /claims/':>16} {'GET /me/':>12}"),
        ("requests/s", f"{intake['requests_per_s']:>16} {trivial['requests_per_s']:>12}"),
        ("p50 (ms)", f"{intake['p50_ms']:>16} {trivial['p50_ms']:>12}"),
        ("p95 (ms)", f"{intake['p95_ms']:>16} {trivial['p95_ms']:>12}"),
        ("errors", f"{intake['errors']:>16} {trivial['errors']:>12}"),
        ("requests measured", f"{intake['requests']:>16} {trivial['requests']:>12}"),
        *(
            (
                f"{name} CPU ms/request",
                f"{intake['cpu_ms_per_request'][name]:>16} {trivial['cpu_ms_per_request'][name]:>12}",
            )
            for name in ("gunicorn", "postgres", "redis", "client")
        ),
        (
            "ratio intake/trivial",
            f"{ratio:.2f}  (target >= {TARGET_RATIO}: {'OK' if ratio >= TARGET_RATIO else 'BELOW TARGET'})",
        ),
        (
            "stored (whole run)",
            f"{stored['claims']} claims, {stored['sources']} sources, {stored['messages_in_redis']} messages queued",
        ),
        ("CPU during intake", cpu_line(intake["cpu"])),
        ("CPU during trivial", cpu_line(trivial["cpu"])),
    ]
    rows += interference_rows(results["machine_load"], intake["cpu"], trivial["cpu"])
    for name, data in (("intake", intake), ("trivial", trivial)):
        if data["error_samples"]:
            rows.append((f"{name} error samples", "; ".join(data["error_samples"][:2])))
    print_table(
        f"Intake vs trivial endpoint (gunicorn {args.web_workers} workers x {args.web_threads} threads, "
        f"{args.clients} clients, {args.duration:g} s each)",
        rows,
    )
    print_profile("gunicorn profile during intake (py-spy)", intake.get("profile") or {})
    print_profile("gunicorn profile during trivial (py-spy)", trivial.get("profile") or {})


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; child processes stopped")
        sys.exit(130)
