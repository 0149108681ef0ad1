"""A published verdict reaches a loopback receiver through a real Celery worker, signed and retried."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from claims.intake.keys import api_key_create
from reviews import webhooks, workflow
from reviews.choices import DeliveryStatus
from reviews.models import WebhookDelivery
from tests.claims.servers import LoopbackServer, Reply, Request
from tests.conftest import celery_worker_args, wait_until
from tests.reviews.desk import claim_in_state, desk, ratings_ensure

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_worker_delivers_a_published_verdict_after_a_failed_attempt(
    settings, publish_to, start_process, redis_queue_clean
):
    settings.FETCH_ALLOWLIST = ["127.0.0.1"]  # registration checks the URL in this process
    ratings_ensure()
    team = desk()
    key, _ = api_key_create(name="partner", scopes=["webhooks"])
    served: list[int] = []

    def first_down(request: Request) -> Reply:
        served.append(1)
        return Reply(503, {"Content-Type": "text/plain"}, b"busy") if len(served) == 1 else Reply(204)

    with LoopbackServer() as receiver:
        receiver.route("/hook", first_down)
        hook = webhooks.webhook_create(key=key, url=receiver.url("/hook"), events=["verdict.published"])
        claim = claim_in_state("submitted", team)
        publish_to()
        worker = start_process("worker", celery_worker_args())
        worker.wait_for_log("ready.", timeout=30)

        started = time.monotonic()
        workflow.review_approve(team.chief, claim.pk)  # on_commit: record the event, enqueue the delivery

        def delivered() -> bool:
            return WebhookDelivery.objects.filter(webhook=hook, status=DeliveryStatus.DELIVERED).exists()

        wait_until(delivered, timeout=40, message=f"not delivered:\n{worker.log()[-3000:]}")
        elapsed = time.monotonic() - started
        time.sleep(1)  # a duplicate send would arrive now
        requests = list(receiver.requests)

    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert len(requests) == 2, "one failed attempt, one success, nothing after that"
    assert 4 <= elapsed < 30  # the retry waited for its backoff (about 5 s)
    assert {r.headers["webhook-id"] for r in requests} == {delivery.message_id}
    payload = Verifier(hook.secret).verify(requests[1].body, requests[1].headers)
    assert payload["type"] == "verdict.published" and payload["data"]["id"] == claim.verdict.pk
    assert list(delivery.attempt_log.values_list("response_code", "delivered")) == [(503, False), (204, True)]
