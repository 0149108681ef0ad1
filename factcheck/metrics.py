"""The Prometheus metrics every factcheck process records (web, worker, matcher, beat).

prometheus_client's multiprocess mode: each process writes its counters and histograms to files
in ``METRICS_DIR`` (``PROMETHEUS_MULTIPROC_DIR``), and ``/metrics`` adds up every process of the
machine (``factcheck.metrics_view``). The directory is set here, before prometheus_client is
imported, so every process that records agrees on it; ``make run`` empties it at start (stale
files of dead processes would otherwise keep counting).

Figures that are state rather than events (claims by state, queue depths) are read live when
``/metrics`` is scraped, not recorded here.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

_directory = Path(getattr(settings, "METRICS_DIR", settings.VAR_DIR / "metrics"))
_directory.mkdir(parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_directory)  # the setting wins over an inherited value

from prometheus_client import Counter, Histogram  # noqa: E402 - reads PROMETHEUS_MULTIPROC_DIR on import

http_requests = Counter(
    "factcheck_http_requests", "HTTP requests answered, by view, method and status.", ["view", "method", "status"]
)
http_request_seconds = Histogram(
    "factcheck_http_request_duration_seconds",
    "Time to answer an HTTP request, by view.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
tasks = Counter("factcheck_tasks", "Celery tasks finished, by task and outcome.", ["task", "outcome"])
source_fetches = Counter(
    "factcheck_source_fetches",
    "Source fetch attempts, by outcome (fetched, retry, failed, blocked, gone...).",
    ["outcome"],
)
matching_seconds = Histogram(
    "factcheck_matching_duration_seconds",
    "Time to find the claims similar to a text.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5),
)
webhook_deliveries = Counter(
    "factcheck_webhook_deliveries", "Webhook delivery attempts, by outcome (delivered, retry, failed...).", ["outcome"]
)


def metrics_directory() -> Path:
    return Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
