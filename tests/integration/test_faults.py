"""Faults with real processes: a worker killed mid-fetch, and the broker stopping while claims arrive."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from django.conf import settings

from claims.choices import AttemptOutcome, FetchStatus
from claims.models import Claim, FetchAttempt, Snapshot, Source
from tests.claims.servers import LoopbackServer, Reply, Request, free_port
from tests.conftest import celery_beat_args, celery_worker_args, wait_until
from tests.integration.conftest import RedisServer, elapsed

ARTICLE = (Path(__file__).parent.parent / "claims" / "pages" / "news_article.html").read_bytes()
HTML = {"Content-Type": "text/html; charset=utf-8"}

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def held_page(pages: LoopbackServer, path: str) -> threading.Event:
    """A page that answers only once released: a fetch of it stays in progress until then."""
    release = threading.Event()

    def answer(request: Request) -> Reply:
        release.wait(45)
        return Reply(200, HTML, ARTICLE)

    pages.route(path, answer)
    return release


def status_of(source_id: int) -> str:
    return Source.objects.values_list("fetch_status", flat=True).get(pk=source_id)


def submit_citing(client, url: str) -> int:
    response = client.post("/api/v1/claims/", {"text": f"A claim citing {url}", "sources": [url]}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["sources"][0]["id"]


# --------------------------------------------------------------------------- worker killed


def test_worker_killed_mid_fetch_is_redelivered_and_fetched_once(intake_client, pages, publish_to, start_process):
    """acks_late + the Redis visibility timeout hand the message of a SIGKILLed worker to another one."""
    publish_to()
    release = held_page(pages, "/slow")
    first = start_process("worker-doomed", celery_worker_args(), FETCH_LEASE_SECONDS="3")
    first.wait_for_log("ready.")

    source_id = submit_citing(intake_client, pages.url("/slow"))
    wait_until(lambda: status_of(source_id) == FetchStatus.FETCHING and len(pages.requests) == 1, timeout=20)
    first.kill()  # SIGKILL to the whole process group: no ack, no cleanup
    killed = time.monotonic()
    unacked = [
        json.loads(raw)[0]["headers"]["task"] for raw in redis.Redis.from_url(settings.TEST_REDIS_URL).hvals("unacked")
    ]
    # The fetch's message (and maybe the claim's matching, also in flight) is still unacknowledged in Redis.
    assert unacked.count("claims.tasks.fetch_source") == 1, unacked
    assert status_of(source_id) == FetchStatus.FETCHING

    second = start_process(
        "worker-rescuer", celery_worker_args(), FETCH_LEASE_SECONDS="20", CELERY_VISIBILITY_TIMEOUT="2"
    )
    second.wait_for_log("ready.")
    wait_until(lambda: len(pages.requests) == 2, timeout=30, message=f"not redelivered:\n{second.log()[-3000:]}")
    release.set()
    wait_until(lambda: status_of(source_id) == FetchStatus.FETCHED, timeout=30, message=second.log()[-3000:])
    recovered_in = elapsed(killed)

    assert Snapshot.objects.filter(source_id=source_id).count() == 1
    outcomes = list(FetchAttempt.objects.filter(source_id=source_id).order_by("id").values_list("outcome", "error"))
    assert outcomes == [
        (AttemptOutcome.FAILED, "The attempt never finished: its worker was lost or it outlived its lease."),
        (AttemptOutcome.FETCHED, ""),
    ]
    source = Source.objects.get(pk=source_id)
    assert (source.attempts, source.title) == (2, "City council doubles road budget")
    print(f"killed worker's fetch completed by another worker {recovered_in}s after SIGKILL")


@pytest.mark.parametrize("broker", ["redis", "filesystem"])
def test_worker_killed_mid_fetch_is_recovered_by_the_sweep(
    intake_client, pages, publish_to, start_process, tmp_path, broker
):
    """Without redelivery, beat's sweep recovers the fetch: Redis before its visibility timeout (15 min by
    default), or the file-system broker of ``make run``, which forgets a message once a worker has read it."""
    broker_url = settings.TEST_REDIS_URL if broker == "redis" else "filesystem://localhost/"
    publish_to(broker_url)
    release = held_page(pages, "/slow")
    first = start_process("worker-doomed", celery_worker_args(), CELERY_BROKER_URL=broker_url, FETCH_LEASE_SECONDS="2")
    first.wait_for_log("ready.")

    source_id = submit_citing(intake_client, pages.url("/slow"))
    # The precondition, not a measure: under a full suite the worker may take a while to pick the fetch up.
    wait_until(lambda: status_of(source_id) == FetchStatus.FETCHING and len(pages.requests) == 1, timeout=60)
    first.kill()
    killed = time.monotonic()
    release.set()  # the page answers at once from now on; only the pipeline decides when it is fetched again

    start_process("beat", celery_beat_args(tmp_path), CELERY_BROKER_URL=broker_url, FETCH_SWEEP_SECONDS="1")
    second = start_process(
        "worker-rescuer", celery_worker_args(), CELERY_BROKER_URL=broker_url, FETCH_LEASE_SECONDS="20"
    )
    wait_until(lambda: status_of(source_id) == FetchStatus.FETCHED, timeout=30, message=second.log()[-3000:])
    recovered_in = elapsed(killed)

    assert Snapshot.objects.filter(source_id=source_id).count() == 1
    assert len(pages.requests) == 2
    outcomes = list(FetchAttempt.objects.filter(source_id=source_id).order_by("id").values_list("outcome", flat=True))
    assert outcomes == [AttemptOutcome.FAILED, AttemptOutcome.FETCHED]
    print(f"{broker}: the sweep recovered the killed worker's fetch {recovered_in}s after SIGKILL")


# --------------------------------------------------------------------------- broker down


def post_json(url: str, key: str, body: dict, timeout: float = 30) -> tuple[int, dict, float]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read()), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), time.monotonic() - started


def healthz(base: str) -> int:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@pytest.mark.parametrize("outage", ["stopped", "hung"])
def test_claims_arriving_while_the_broker_is_down_are_saved_and_fetched_later(
    pages, make_key, start_process, tmp_path, outage
):
    """Redis stopped (connections refused) or hung (SIGSTOP: connections accepted, never answered)."""
    pages.route("/story", lambda request: Reply(200, HTML, ARTICLE.replace(b"Riverside", request.path.encode())))
    broker = RedisServer(start_process)
    broker.start()
    env = {"CELERY_BROKER_URL": broker.url, "FETCH_SWEEP_SECONDS": "1"}
    worker = start_process("worker", celery_worker_args(), **env)
    start_process("beat", celery_beat_args(tmp_path), **env)
    port = free_port()
    web_args = [sys.executable, "-m", "gunicorn", "factcheck.wsgi", "--bind", f"127.0.0.1:{port}", "--threads", "4"]
    web = start_process("web", web_args, **env)
    base = f"http://127.0.0.1:{port}"
    worker.wait_for_log("ready.")
    wait_until(lambda: healthz(base) == 200, timeout=30, message=web.log()[-3000:])
    _, key = make_key("intake", "read")
    # One claim while the broker is up, so the web process holds a pooled broker connection.
    status, _, _ = post_json(f"{base}/api/v1/claims/", key, {"text": "Before the outage.", "sources": []})
    assert status == 201

    if outage == "stopped":
        broker.stop()
    else:
        os.kill(broker.process.pid, signal.SIGSTOP)
    assert not broker.ping()
    asked = time.monotonic()
    assert healthz(base) == 503  # the health check notices, and does not hang either
    health_took = elapsed(asked)
    assert health_took < 10

    latencies = []
    for n in range(10):
        claim = {"text": f"Claim {n} made while the broker was {outage}.", "sources": [pages.url(f"/story?n={n}")]}
        status, body, took = post_json(f"{base}/api/v1/claims/", key, claim)
        assert status == 201, body
        assert body["sources"][0]["fetch_status"] == "pending"
        latencies.append(took)
    assert Claim.objects.count() == 11
    assert Source.objects.filter(fetch_status=FetchStatus.PENDING).count() == 10
    # Only the first request waits for the broker's timeouts; the others leave their sources to the sweep.
    assert max(latencies) < 10, latencies
    assert sorted(latencies)[-2] < 1, latencies
    assert pages.requests == []

    time.sleep(2)
    if outage == "stopped":
        broker.start()
    else:
        os.kill(broker.process.pid, signal.SIGCONT)
    back = time.monotonic()
    wait_until(
        lambda: Source.objects.filter(fetch_status=FetchStatus.FETCHED).count() == 10,
        timeout=45,
        message=f"{list(Source.objects.values_list('fetch_status', flat=True))}\n{worker.log()[-4000:]}",
    )
    recovered_in = elapsed(back)
    assert Snapshot.objects.count() == 10
    assert len(pages.requests) == 10  # each source fetched once
    print(
        f"broker {outage}: POST /api/v1/claims/ took {latencies[0]:.3f}s first, then median "
        f"{sorted(latencies[1:])[4]:.3f}s, max {max(latencies[1:]):.3f}s; "
        f"all 10 sources fetched {recovered_in}s after the broker came back; /healthz said 503 in {health_took}s"
    )
