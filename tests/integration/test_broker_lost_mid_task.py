"""The broker disappears while a worker is in the middle of a task: the worker must live on.

Without ``factcheck.broker``, kombu's attempt to put the in-flight message back on its queue
over the dead connection raised, and Celery stopped the worker ("Unrecoverable error"): under
``make run`` honcho then stops web and beat too.
"""

from __future__ import annotations

import threading
import time

import pytest

from claims.choices import FetchStatus
from claims.models import Source
from tests.claims.servers import Reply, Request
from tests.conftest import celery_worker_args, wait_until
from tests.integration.conftest import RedisServer

ARTICLE = (
    b"<html><head><title>Held page</title></head><body><article><p>"
    + b"Budget figures. " * 60
    + b"</p></article></body></html>"
)
HTML = {"Content-Type": "text/html; charset=utf-8"}

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def status_of(source_id: int) -> str:
    return Source.objects.values_list("fetch_status", flat=True).get(pk=source_id)


def test_worker_survives_losing_the_broker_mid_task(intake_client, pages, publish_to, start_process):
    release = threading.Event()

    def held(request: Request) -> Reply:
        release.wait(60)
        return Reply(200, HTML, ARTICLE)

    pages.route("/held", held)
    pages.route("/after", lambda request: Reply(200, HTML, ARTICLE.replace(b"Held page", b"After the outage")))
    broker = RedisServer(start_process)
    broker.start()
    publish_to(broker.url)
    worker = start_process("worker", celery_worker_args(), CELERY_BROKER_URL=broker.url)
    worker.wait_for_log("ready.")

    held_source = intake_client.post(
        "/api/v1/claims/", {"text": "A claim citing a slow page.", "sources": [pages.url("/held")]}, format="json"
    ).json()["sources"][0]["id"]
    wait_until(lambda: status_of(held_source) == FetchStatus.FETCHING, timeout=20, message=worker.log()[-3000:])

    broker.stop()  # the fetch is in flight: its message is unacknowledged
    wait_until(lambda: "Connection to broker lost" in worker.log(), timeout=20, message=worker.log()[-3000:])
    time.sleep(1)
    assert worker.proc.poll() is None, f"the worker died with the broker:\n{worker.log()[-3000:]}"

    broker.start()
    release.set()  # the in-flight fetch finishes (its acknowledgement may be lost: redelivery is idempotent)
    wait_until(lambda: status_of(held_source) == FetchStatus.FETCHED, timeout=60, message=worker.log()[-3000:])

    after = intake_client.post(
        "/api/v1/claims/", {"text": "A claim after the outage.", "sources": [pages.url("/after")]}, format="json"
    ).json()["sources"][0]["id"]
    wait_until(lambda: status_of(after) == FetchStatus.FETCHED, timeout=60, message=worker.log()[-3000:])
    assert worker.proc.poll() is None
    assert "Unrecoverable error" not in worker.log()
