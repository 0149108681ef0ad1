"""A bad day in production, with real services: the cache's Redis stops, the broker loses its queue,
PostgreSQL drops the app's connections. The app degrades; it never answers 500.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request

import pytest
import redis
from django.core.cache import caches
from django.db import connection
from django.test import Client

from claims.choices import ClaimStatus, FetchStatus
from claims.intake.services import claim_submit
from claims.models import Source
from claims.sources.archive import REENQUEUE_AFTER, sources_sweep
from factcheck.queue import broker_lost_its_queue
from tests.claims.servers import Reply, free_port
from tests.conftest import celery_beat_args, celery_worker_args, wait_until
from tests.integration.conftest import RedisServer, elapsed
from tests.reviews.desk import claim_in_state, desk, ratings_ensure

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HTML = {"Content-Type": "text/html; charset=utf-8"}
PAGE = (
    b"<html><head><title>Story</title></head><body><article><p>"
    + b"The council met. " * 40
    + b"</p></article></body></html>"
)


def test_the_read_api_answers_while_the_caches_redis_is_down(start_process, settings, caplog):
    cache_server = RedisServer(start_process)
    cache_server.start()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": cache_server.url, "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}  # fmt: skip
    settings.API_ANON_RATE = "1000/minute"
    ratings_ensure()
    team = desk()
    verdict = claim_in_state(ClaimStatus.PUBLISHED, team).verdict
    client = Client()
    assert client.get("/api/v1/verdicts/").status_code == 200
    assert redis.Redis(port=cache_server.port).dbsize() > 0  # the limiter and the page cache used it

    cache_server.stop()
    caches["default"].close()
    started = time.monotonic()
    for url in ("/api/v1/verdicts/", f"/api/v1/verdicts/{verdict.pk}/", "/api/v1/claimreview/", "/fact-checks/"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    assert elapsed(started) < 10
    assert any("cache unavailable (rate limit)" in record.getMessage() for record in caplog.records)

    cache_server.start()
    assert client.get("/api/v1/verdicts/").status_code == 200


def test_sources_lost_with_the_brokers_queue_are_sent_again_at_the_next_sweep(
    pages, publish_to, start_process, tmp_path
):
    pages.route("/story", lambda request: Reply(200, HTML, PAGE))
    broker = RedisServer(start_process)
    broker.start()
    publish_to(broker.url)
    sources_sweep()  # the sweep's mark is in the broker now: a later sweep can tell the broker lost it
    for n in range(20):
        claim_submit({"text": f"Claim {n} cites a story.", "sources": [pages.url(f"/story?n={n}")]})
    queued = redis.Redis(port=broker.port).llen("celery")  # the default queue, where fetches go
    assert queued >= 20, "the sources were sent (and wait in the queue: no worker runs yet)"

    broker.stop()
    broker.start()  # no persistence: back empty
    assert redis.Redis(port=broker.port).llen("celery") == 0
    assert Source.objects.filter(fetch_status=FetchStatus.PENDING, enqueued_at__isnull=False).count() == 20

    period = 2
    env = {"CELERY_BROKER_URL": broker.url, "FETCH_SWEEP_SECONDS": str(period)}
    worker = start_process("worker", celery_worker_args(), **env)
    start_process("beat", celery_beat_args(tmp_path), **env)
    worker.wait_for_log("ready.")
    ready = time.monotonic()
    wait_until(
        lambda: Source.objects.filter(fetch_status=FetchStatus.FETCHED).count() == 20,
        timeout=60,
        message=f"{list(Source.objects.values_list('fetch_status', flat=True))}\n{worker.log()[-3000:]}",
    )
    took = elapsed(ready)
    assert took < 3 * period + 10, took  # two sweep periods and the fetches, not REENQUEUE_AFTER
    assert took < REENQUEUE_AFTER.total_seconds()
    assert len(pages.requests) == 20
    print(f"20 sources lost with the broker's queue: all fetched {took}s after the worker was ready")


def test_a_lost_mark_is_reported_once_per_sweep(publish_to, start_process):
    broker = RedisServer(start_process)
    broker.start()
    publish_to(broker.url)
    assert broker_lost_its_queue("probe") is True  # a broker never seen: nothing is known to be queued
    assert broker_lost_its_queue("probe") is False
    broker.stop()
    assert broker_lost_its_queue("probe") is False  # unreachable: cannot tell, and cannot send either
    broker.start()
    assert broker_lost_its_queue("probe") is True
    assert broker_lost_its_queue("probe") is False


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_terminated_database_connections_cost_a_reconnect_not_a_500(start_process):
    ratings_ensure()
    claim_in_state(ClaimStatus.PUBLISHED, desk())
    port = free_port()
    web_args = [sys.executable, "-m", "gunicorn", "factcheck.wsgi", "--bind", f"127.0.0.1:{port}"]
    web = start_process("web", [*web_args, "--workers", "2", "--threads", "4"], API_ANON_RATE="100000/minute")
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _up(base), timeout=30, message=web.log()[-3000:])
    statuses = [get_status(f"{base}/api/v1/verdicts/") for _ in range(20)]
    assert set(statuses) == {200}

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        terminated = cursor.fetchone()[0]
    assert terminated >= 1, "the web workers held pooled connections"
    statuses = [get_status(f"{base}/api/v1/verdicts/") for _ in range(40)]
    assert statuses.count(500) == 0, (statuses, web.log()[-3000:])
    assert set(statuses) == {200}


def _up(base: str) -> bool:
    try:
        return get_status(f"{base}/healthz") == 200
    except OSError:
        return False
