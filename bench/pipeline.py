"""Benchmark: how fast does the fetch pipeline preserve cited pages, next to a plain script?

1,000 distinct article pages (~16 KiB) are served from a loopback server that
waits 200 ms before each response. They are submitted as the sources of 200
claims (5 each) through ``POST /api/v1/claims/`` (gunicorn), and a Celery worker
(threads pool) fetches, extracts and snapshots them. The clock runs from the
first submission until every source is ``fetched`` in the database.

The baseline, in the same run, fetches the same URLs with urllib3 and a
``ThreadPoolExecutor`` of the same width and runs ``trafilatura.bare_extraction``
on each page: no Django, no Celery, no database. Target: pipeline throughput at
least 0.7 x the baseline.

A second batch of 1,000 fresh pages then times the two halves apart, to show
which one limits the whole: intake alone (worker stopped), then fetching alone.
The table also gives CPU seconds per process (and per page), the worker's peak
RSS, database connections and transactions, and how busy the machine was with
other work (figures taken next to other people's test runs are noisy).

    .venv/bin/python bench/pipeline.py [--pages 1000] [--concurrency 32] [--worker-processes <cores>]
    BENCH_PY_SPY=/path/to/py-spy .venv/bin/python bench/pipeline.py   # + where the GIL time goes
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    PYTHON,
    Child,
    Children,
    CpuWatch,
    RssSampler,
    bench_database,
    cpu_line,
    create_api_key,
    db_connect,
    db_counters,
    db_counters_delta,
    free_port,
    interference_rows,
    log,
    other_load,
    percentile,
    print_profile,
    print_table,
    profile_summary,
    py_spy,
    raise_on_sigterm,
    redis_flush,
    redis_queue_length,
    start_gunicorn,
    start_worker,
    write_results,
)
from pages import page_path

TARGET_RATIO = 0.7
WARMUP_PAGES = 8


# --- Baseline: a plain script --------------------------------------------------------------


def baseline_run(urls: list[str], warmup_urls: list[str], threads: int) -> dict:
    """Fetch and extract every URL with urllib3 + a thread pool: what the pipeline is compared to."""
    import trafilatura
    import urllib3

    http = urllib3.PoolManager(
        num_pools=4, maxsize=threads, retries=False, timeout=urllib3.Timeout(connect=5.0, read=10.0)
    )

    def fetch_extract(url: str) -> int:
        response = http.request("GET", url)
        if response.status != 200:
            raise RuntimeError(f"baseline: {url} answered {response.status}")
        doc = trafilatura.bare_extraction(
            response.data.decode("utf-8"), url=url, with_metadata=True, include_comments=False
        )
        if doc is None or not doc.text or not doc.title:
            raise RuntimeError(f"baseline: nothing extracted from {url}")
        return len(doc.text)

    pool = ThreadPoolExecutor(threads)
    try:
        list(pool.map(fetch_extract, warmup_urls))
        started = time.perf_counter()
        sizes = list(pool.map(fetch_extract, urls))
        elapsed = time.perf_counter() - started
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on Ctrl-C, do not fetch the rest first
    http.clear()
    return {"seconds": round(elapsed, 3), "pages_per_s": round(len(urls) / elapsed, 2), "text_chars": sum(sizes)}


# --- Pipeline ------------------------------------------------------------------------------


class ApiClient:
    """One keep-alive connection per thread to the API."""

    def __init__(self, port: int, key: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self._local = threading.local()

    def post(self, path: str, payload: dict) -> tuple[int, bytes]:
        body = json.dumps(payload).encode()
        for attempt in range(2):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                conn.request("POST", path, body=body, headers=self.headers)
                response = conn.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def claim_payload(number: int, urls: list[str]) -> dict:
    return {
        "text": f"Benchmark claim {number}: the council said unemployment fell by {number % 40 + 2} percent in {2000 + number % 24}.",
        "claimant": f"Spokesperson {number % 17}",
        "sources": urls,
    }


def submit_claims(client: ApiClient, claims: list[dict], threads: int) -> list[float]:
    """POST every claim; returns each request's latency. Any non-201 stops the benchmark."""

    def submit(payload: dict) -> float:
        started = time.perf_counter()
        status, body = client.post("/api/v1/claims/", payload)
        if status != 201:
            raise RuntimeError(f"intake answered {status}: {body[:500]!r}")
        return time.perf_counter() - started

    pool = ThreadPoolExecutor(threads)
    try:
        return list(pool.map(submit, claims))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def status_counts(conn, ids: list[int]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT fetch_status, count(*) FROM claims_source WHERE id = ANY(%s) GROUP BY fetch_status", (ids,)
    ).fetchall()
    return {status: count for status, count in rows}


def source_ids(conn, urls: list[str]) -> list[int]:
    ids = [row[0] for row in conn.execute("SELECT id FROM claims_source WHERE url = ANY(%s)", (urls,)).fetchall()]
    if len(ids) != len(urls):
        raise RuntimeError(f"expected {len(urls)} sources in the database, found {len(ids)}")
    return ids


def wait_all_fetched(conn, urls: list[str], timeout: float, workers: list[Child]) -> tuple[float, dict[str, int]]:
    """Poll the database until every source of ``urls`` is fetched; returns the time it was seen."""
    deadline = time.perf_counter() + timeout
    counts: dict[str, int] = {}
    ids: list[int] | None = None
    while time.perf_counter() < deadline:
        if ids is None:
            with contextlib.suppress(RuntimeError):  # not all submitted yet
                ids = source_ids(conn, urls)
        if ids is not None:
            counts = status_counts(conn, ids)
            if counts.get("fetched", 0) >= len(urls):
                return time.perf_counter(), counts
            broken = {s: n for s, n in counts.items() if s in ("failed", "blocked", "gone")}
            if broken:
                raise RuntimeError(f"sources ended {broken}; worker log:\n{workers[0].log_tail()}")
        for worker in workers:
            worker.check_alive()
        time.sleep(0.1)
    raise RuntimeError(f"not all sources fetched within {timeout}s: {counts}\n{workers[0].log_tail()}")


def fetch_details(conn, urls: list[str]) -> dict:
    """What the database says about a batch: fetch durations, snapshots, fetching rate."""
    ids = source_ids(conn, urls)
    attempts = conn.execute(
        "SELECT duration_ms, outcome, extract(epoch FROM started_at), extract(epoch FROM finished_at)"
        " FROM claims_fetchattempt WHERE source_id = ANY(%s)",
        (ids,),
    ).fetchall()
    durations = [row[0] for row in attempts]
    snapshots = conn.execute("SELECT count(*) FROM claims_snapshot WHERE source_id = ANY(%s)", (ids,)).fetchone()[0]
    span = float(max(row[3] for row in attempts) - min(row[2] for row in attempts)) if attempts else 0.0
    return {
        "attempts": len(attempts),
        "attempts_not_fetched": sum(1 for row in attempts if row[1] != "fetched"),
        "snapshots": snapshots,
        "fetch_duration_ms_p50": percentile(durations, 50),
        "fetch_duration_ms_p95": percentile(durations, 95),
        "first_fetch_to_last_s": round(span, 3),
        "fetching_pages_per_s": round(len(urls) / span, 2) if span else None,
    }


# Where the worker and gunicorn spend their GIL time (see common.profile_summary).
WORKER_STAGES = [
    ("extraction (trafilatura, htmldate, lxml)", "extract_document ("),
    ("safe_fetch (HTTP exchange)", "safe_fetch ("),
    ("snapshot row (gzip + INSERT)", "_snapshot_create ("),
    ("re-enqueue", "sources_enqueue ("),
]
WORKER_LAYERS = [
    ("other database work (lease, record, attempt row)", "django/db/"),
    ("other database work (lease, record, attempt row)", "psycopg"),
    ("celery/kombu plumbing (receive, ack)", "celery/"),
    ("celery/kombu plumbing (receive, ack)", "kombu/"),
    ("celery/kombu plumbing (receive, ack)", "redis/"),
    ("claims.sources.archive, other", "archive.py"),
]
WEB_STAGES = [
    ("publishing fetch tasks (sources_enqueue)", "sources_enqueue ("),
    ("input validation (ClaimInput)", "claim_validate ("),
    ("claim_submit: claim, sources, citations", "claim_submit ("),
    ("API key authentication", "api_key_authenticate ("),
    ("response serialization", "to_representation ("),
]
WEB_LAYERS = [
    ("other database work", "django/db/"),
    ("other database work", "psycopg"),
    ("DRF (parsing, rendering, views)", "rest_framework/"),
    ("Django (handlers, middleware)", "django/"),
    ("gunicorn (HTTP, worker loop)", "gunicorn/"),
]


@dataclass
class Stack:
    """The processes of the pipeline, as the Procfile starts them."""

    children: Children
    client: ApiClient
    gunicorn: Child
    concurrency: int
    processes: int
    workers: list[Child] = field(default_factory=list)
    matcher: Child | None = None

    def start_workers(self) -> list[Child]:
        """``processes`` workers sharing ``concurrency`` threads (like scaling the Procfile's worker line),
        and the Procfile's ``matcher``, which matches the new claims."""
        threads = max(self.concurrency // self.processes, 1)
        self.workers = [
            start_worker(self.children, threads, name=f"worker{n}" if self.processes > 1 else "worker")
            for n in range(self.processes)
        ]
        if self.matcher is None:
            self.matcher = start_worker(self.children, 2, name="matcher", queues="matching")
        return self.workers

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers = []

    @property
    def worker_pids(self) -> list[int]:
        return [worker.pid for worker in self.workers]


def end_to_end(stack: Stack, conn, claims: list[dict], urls: list[str], args, page_server_pid: int) -> dict:
    """The headline figure: from the first POST until every source is fetched."""
    cpu = CpuWatch(
        worker=stack.worker_pids, matcher=stack.matcher.pid, gunicorn=stack.gunicorn.pid, pages_server=page_server_pid
    )
    with (
        RssSampler(stack.worker_pids, interval=0.2) as rss,
        py_spy(args.py_spy, stack.children, "pipeline-worker", stack.worker_pids[0]) as worker_profile,
        py_spy(args.py_spy, stack.children, "pipeline-web", stack.gunicorn.pid, subprocesses=True) as web_profile,
    ):
        db_before = db_counters(conn)
        started = time.perf_counter()
        latencies = submit_claims(stack.client, claims, args.submitters)
        submitted = time.perf_counter()
        finished, counts = wait_all_fetched(conn, urls, args.timeout, stack.workers)
    cpu_figures = cpu.stop()
    elapsed = finished - started
    db = db_counters_delta(conn, db_before)
    return {
        "pages": len(urls),
        "claims": len(claims),
        "seconds": round(elapsed, 3),
        "pages_per_s": round(len(urls) / elapsed, 2),
        "submit_seconds": round(submitted - started, 3),
        "submit_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "submit_p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "worker_peak_rss_mib": round(rss.peak / (1024 * 1024), 1),
        "rss_samples": rss.samples,
        "status_counts": counts,
        "db_connections_opened": db["connections"],
        "db_transactions": db["transactions"],
        "cpu": cpu_figures,
        **fetch_details(conn, urls),
        "profile_worker": profile_summary(worker_profile, WORKER_STAGES, WORKER_LAYERS),
        "profile_web": profile_summary(web_profile, WEB_STAGES, WEB_LAYERS),
    }


def breakdown(stack: Stack, conn, claims: list[dict], urls: list[str], args, page_server_pid: int) -> dict:
    """The two halves apart: intake with no worker running, then fetching with nothing else to do."""
    stack.stop_workers()
    cpu = CpuWatch(gunicorn=stack.gunicorn.pid)
    db_before = db_counters(conn)
    started = time.perf_counter()
    latencies = submit_claims(stack.client, claims, args.submitters)
    intake_seconds = time.perf_counter() - started
    intake_cpu = cpu.stop()
    intake_db = db_counters_delta(conn, db_before)
    queued = redis_queue_length()

    workers = stack.start_workers()
    cpu = CpuWatch(worker=stack.worker_pids, pages_server=page_server_pid)
    db_before = db_counters(conn)
    with (
        RssSampler(stack.worker_pids, interval=0.2) as rss,
        py_spy(args.py_spy, stack.children, "pipeline-worker-fetch-only", stack.worker_pids[0]) as profile,
    ):
        wait_all_fetched(conn, urls, args.timeout, workers)
    fetch_cpu = cpu.stop()
    db = db_counters_delta(conn, db_before)
    details = fetch_details(conn, urls)
    return {
        "intake_only": {
            "claims": len(claims),
            "seconds": round(intake_seconds, 3),
            "claims_per_s": round(len(claims) / intake_seconds, 2),
            "source_pages_per_s": round(len(urls) / intake_seconds, 2),
            "p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "p95_ms": round(percentile(latencies, 95) * 1000, 1),
            "tasks_queued": queued,
            "db_connections_opened": intake_db["connections"],
            "db_transactions_per_claim": round(intake_db["transactions"] / len(claims), 1),
            "cpu": intake_cpu,
        },
        "fetch_only": {
            "pages": len(urls),
            **details,
            "worker_peak_rss_mib": round(rss.peak / (1024 * 1024), 1),
            "db_connections_opened": db["connections"],
            "db_transactions_per_page": round(db["transactions"] / len(urls), 1),
            "cpu": fetch_cpu,
            "profile_worker": profile_summary(profile, WORKER_STAGES, WORKER_LAYERS),
        },
    }


def pipeline_run(args: argparse.Namespace, children: Children, page_port: int, page_server_pid: int) -> dict:
    def url(index: int) -> str:
        return f"http://127.0.0.1:{page_port}{page_path(index)}"

    per_claim = args.sources_per_claim
    batches = [[url(i) for i in range(start, start + args.pages)] for start in (0, args.pages)]
    warmup_urls = [url(2 * args.pages + i) for i in range(WARMUP_PAGES)]
    claims = [
        [claim_payload(base + n, batch[n * per_claim : (n + 1) * per_claim]) for n in range(len(batch) // per_claim)]
        for base, batch in zip((0, 100_000), batches, strict=True)
    ]

    api_key = create_api_key()
    web_port = free_port()
    gunicorn = start_gunicorn(children, web_port)
    stack = Stack(children, ApiClient(web_port, api_key), gunicorn, args.concurrency, args.worker_processes)
    workers = stack.start_workers()

    with db_connect() as conn:
        log("warm-up: one claim with a few sources, through the whole pipeline")
        status, body = stack.client.post("/api/v1/claims/", claim_payload(-1, warmup_urls))
        if status != 201:
            raise RuntimeError(f"warm-up intake answered {status}: {body[:500]!r}")
        wait_all_fetched(conn, warmup_urls, 60, workers)

        log(
            f"pipeline: {len(claims[0])} claims x {per_claim} sources, {args.worker_processes} worker process(es), "
            f"{args.concurrency} threads in all"
        )
        result = end_to_end(stack, conn, claims[0], batches[0], args, page_server_pid)
        if args.breakdown:
            log("breakdown: intake alone (worker stopped), then fetching alone (fresh pages)")
            result["breakdown"] = breakdown(stack, conn, claims[1], batches[1], args, page_server_pid)
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000, help="pages to fetch (default 1000)")
    parser.add_argument("--sources-per-claim", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32, help="worker threads and baseline threads (32)")
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes sharing --concurrency threads (default: one per core, as README's production "
        "section recommends; 1 = the Procfile's single worker line)",
    )
    parser.add_argument("--delay", type=float, default=0.2, help="added latency per response, seconds (0.2)")
    parser.add_argument(
        "--submitters", type=int, default=8, help="parallel API clients submitting claims (8 = gunicorn's threads)"
    )
    parser.add_argument("--timeout", type=float, default=180, help="give up waiting after this many seconds (180)")
    parser.add_argument(
        "--no-breakdown",
        dest="breakdown",
        action="store_false",
        help="skip the second batch that times intake and fetching separately",
    )
    parser.add_argument(
        "--py-spy",
        default=os.environ.get("BENCH_PY_SPY") or None,
        help="py-spy binary: profile the worker and gunicorn during the timed run (default: $BENCH_PY_SPY; off)",
    )
    args = parser.parse_args(argv)
    if args.pages % args.sources_per_claim:
        parser.error("--pages must be a multiple of --sources-per-claim")

    raise_on_sigterm()
    load_before = other_load()
    redis_flush()
    with bench_database(), Children("pipeline") as children:
        server = children.start(
            "pages",
            [
                PYTHON,
                str(Path(__file__).with_name("pages.py")),
                *("--pages", str(2 * args.pages + WARMUP_PAGES), "--delay", str(args.delay)),
            ],
            pipe_stdout=True,
        )
        line = server.proc.stdout.readline().decode().strip()
        if not line.startswith("PORT "):
            raise RuntimeError(f"page server did not start: {line!r}\n{server.log_tail()}")
        page_port = int(line.split()[1])
        urls = [f"http://127.0.0.1:{page_port}{page_path(i)}" for i in range(args.pages)]
        warmup = [f"http://127.0.0.1:{page_port}{page_path(2 * args.pages + i)}" for i in range(WARMUP_PAGES)]

        log(f"baseline: urllib3 + ThreadPoolExecutor({args.concurrency}) + trafilatura, {args.pages} pages")
        cpu = CpuWatch(pages_server=server.pid)
        baseline = baseline_run(urls, warmup, args.concurrency)
        baseline["cpu"] = cpu.stop()
        pipeline = pipeline_run(args, children, page_port, server.pid)
    redis_flush()
    load_after = other_load()

    ratio = pipeline["pages_per_s"] / baseline["pages_per_s"]
    results = {
        "settings": vars(args),
        "pipeline": pipeline,
        "baseline": baseline,
        "ratio_pipeline_over_baseline": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
        "machine_load": {"before": load_before, "after": load_after},
    }
    path = write_results("pipeline", results)
    report(args, results)
    print(f"results: {path}")
    return results


def _per_page(pipeline_cpu: dict, baseline_cpu: dict, pages: int) -> str:
    def ms(cpu: dict, name: str) -> str:
        return f"{cpu[f'{name}_cpu_s'] * 1000 / pages:.1f}"

    return (
        f"pipeline: worker {ms(pipeline_cpu, 'worker')} + web {ms(pipeline_cpu, 'gunicorn')} + "
        f"postgres {ms(pipeline_cpu, 'postgres')}; baseline: {ms(baseline_cpu, 'bench_process')}"
    )


def report(args: argparse.Namespace, results: dict) -> None:
    pipeline, baseline, ratio = results["pipeline"], results["baseline"], results["ratio_pipeline_over_baseline"]
    rows = [
        ("pages", pipeline["pages"]),
        ("pipeline seconds", pipeline["seconds"]),
        ("pipeline pages/s", pipeline["pages_per_s"]),
        (f"  submitting the {pipeline['claims']} claims took (s)", pipeline["submit_seconds"]),
        ("  intake p50 / p95 (ms)", f"{pipeline['submit_p50_ms']} / {pipeline['submit_p95_ms']}"),
        (
            "  fetch attempt p50 / p95 (ms)",
            f"{pipeline['fetch_duration_ms_p50']} / {pipeline['fetch_duration_ms_p95']}",
        ),
        ("baseline seconds", baseline["seconds"]),
        ("baseline pages/s", baseline["pages_per_s"]),
        (
            "ratio pipeline/baseline",
            f"{ratio:.2f}  (target >= {TARGET_RATIO}: {'OK' if ratio >= TARGET_RATIO else 'BELOW TARGET'})",
        ),
        ("worker peak RSS (MiB)", pipeline["worker_peak_rss_mib"]),
        (
            "DB connections opened / transactions",
            f"{pipeline['db_connections_opened']} / {pipeline['db_transactions']} "
            f"(for {pipeline['claims']} claims + {pipeline['pages']} fetches)",
        ),
        ("CPU ms per page", _per_page(pipeline["cpu"], baseline["cpu"], pipeline["pages"])),
        ("CPU during pipeline", cpu_line(pipeline["cpu"])),
        ("CPU during baseline", cpu_line(baseline["cpu"])),
    ]
    if "breakdown" in pipeline:
        intake, fetch = pipeline["breakdown"]["intake_only"], pipeline["breakdown"]["fetch_only"]
        rows += [
            (
                "breakdown: intake alone, claims/s",
                f"{intake['claims_per_s']}  (= {intake['source_pages_per_s']} sources/s)",
            ),
            (
                "breakdown: fetching alone, pages/s",
                f"{fetch['fetching_pages_per_s']}  (worker peak RSS {fetch['worker_peak_rss_mib']} MiB)",
            ),
            ("  CPU during intake alone", cpu_line(intake["cpu"])),
            ("  CPU during fetching alone", cpu_line(fetch["cpu"])),
            (
                "  DB transactions per claim / per page",
                f"{intake['db_transactions_per_claim']} / {fetch['db_transactions_per_page']}  "
                f"(connections opened while fetching: {fetch['db_connections_opened']})",
            ),
        ]
    rows += interference_rows(results["machine_load"], pipeline["cpu"])
    print_table(
        f"Fetch pipeline vs plain script ({args.pages} pages of ~16 KiB, {args.delay * 1000:.0f} ms latency, "
        f"{args.worker_processes} worker process(es) with {args.concurrency} threads in all)",
        rows,
    )
    print_profile("worker profile (py-spy, end-to-end run)", pipeline.get("profile_worker") or {})
    print_profile("gunicorn profile (py-spy, end-to-end run)", pipeline.get("profile_web") or {})
    if "breakdown" in pipeline:
        fetch_profile = pipeline["breakdown"]["fetch_only"].get("profile_worker") or {}
        print_profile("worker profile (py-spy, fetching alone)", fetch_profile)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; child processes stopped")
        sys.exit(130)
