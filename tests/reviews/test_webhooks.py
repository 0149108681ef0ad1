"""Signed webhooks: registration, Standard Webhooks signatures, retries, disabling, replay.

A real loopback receiver (``tests/claims/servers.py``) takes the deliveries; signatures are checked
with the ``standardwebhooks`` package a receiver would use. Time is simulated by passing ``now``
to the delivery service (the signature timestamp stays the real clock, as receivers check it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from claims.intake.keys import api_key_create
from reviews import webhooks, workflow
from reviews.choices import DeliveryStatus
from reviews.models import Webhook, WebhookDelivery
from reviews.people import user_add
from tests.claims.servers import LoopbackServer, Reply, Request, free_port
from tests.reviews.desk import claim_in_state, desk, published_correction

pytestmark = pytest.mark.django_db
ALL_EVENTS = ["verdict.published", "verdict.corrected", "verdict.retracted"]
OK = Reply(200, {"Content-Type": "text/plain"}, b"thanks")


@pytest.fixture
def loopback_allowed(settings) -> None:
    settings.FETCH_ALLOWLIST = ["127.0.0.1"]


@pytest.fixture
def receiver(loopback_allowed) -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        server.route("/hook", OK)
        yield server


@pytest.fixture
def team():
    return desk()


def hooks_client(*scopes: str, user=None) -> APIClient:
    _, raw = api_key_create(name="partner", scopes=scopes or ("webhooks",), user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def register(client: APIClient, url: str, events=ALL_EVENTS) -> dict:
    response = client.post("/api/v1/webhooks/", {"url": url, "events": events}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def publish(team, django_capture_on_commit_callbacks):
    claim = claim_in_state("submitted", team)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.review_approve(team.chief, claim.pk)
    return claim


def deliveries_for(hook: dict) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(webhook_id=hook["id"]).select_related("event").order_by("created_at"))


def verify(secret: str, request: Request) -> dict:
    return Verifier(secret).verify(request.body, request.headers)


def verify_by_hand(secret: str, request: Request) -> bool:
    """The recipe of ``reviews/webhooks.py``'s docstring, for receivers without the package."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, sig.split(",", 1)[1])
        for sig in request.headers["webhook-signature"].split(" ")
        if sig.startswith("v1,")
    )


# --- Registration ------------------------------------------------------------------------------


def test_registration_shows_the_secret_once_and_only_to_its_key(receiver):
    owner, stranger = hooks_client(), hooks_client()
    created = register(owner, receiver.url("/hook"), ["verdict.retracted", "verdict.published", "verdict.published"])
    assert created["url"] == receiver.url("/hook")
    assert created["events"] == ["verdict.published", "verdict.retracted"]
    assert created["active"] is True
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) >= 24

    listed = owner.get("/api/v1/webhooks/").json()
    assert [hook["id"] for hook in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in owner.get(f"/api/v1/webhooks/{created['id']}/").json()

    assert stranger.get("/api/v1/webhooks/").json() == []
    for method in ("get", "patch", "delete"):
        assert getattr(stranger, method)(f"/api/v1/webhooks/{created['id']}/").status_code == 404
    assert stranger.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/").status_code == 404
    assert Webhook.objects.filter(pk=created["id"]).exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",  # loopback, not allow-listed here
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "ftp://example.org/hook",
        "http://user:pw@example.org/hook",
    ],
)
def test_a_webhook_on_a_private_or_odd_address_is_refused(url):
    response = hooks_client().post("/api/v1/webhooks/", {"url": url, "events": ALL_EVENTS}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == ["url"]
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://127.0.0.1/hook", "events": ["verdict.deleted"]}, "events"),
        ({"url": "http://127.0.0.1/hook", "events": []}, "events"),
        ({"url": "http://127.0.0.1/hook", "events": "verdict.published"}, "events"),
        ({"events": ALL_EVENTS}, "url"),
    ],
)
def test_bad_registrations_name_the_field(loopback_allowed, body, field):
    response = hooks_client().post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_the_webhooks_scope_is_required(receiver, client):
    body = {"url": receiver.url("/hook"), "events": ALL_EVENTS}
    assert hooks_client("read", "intake").post("/api/v1/webhooks/", body, format="json").status_code == 403
    assert hooks_client("read").get("/api/v1/webhooks/").status_code == 403
    assert APIClient().post("/api/v1/webhooks/", body, format="json").status_code in (401, 403)
    staff = user_add("boss", "admin", [])
    staff.is_staff = True
    staff.save()
    session = APIClient()
    session.force_login(staff)
    assert session.get("/api/v1/webhooks/").status_code == 403  # webhooks belong to keys, not sessions
    assert not Webhook.objects.exists()


def test_update_pause_and_delete(receiver, team, django_capture_on_commit_callbacks):
    client = hooks_client()
    hook = register(client, receiver.url("/hook"))
    url = f"/api/v1/webhooks/{hook['id']}/"
    refused = client.patch(url, {"url": "http://10.0.0.1/hook"}, format="json")
    assert refused.status_code == 400 and "url" in refused.json()["error"]["fields"]
    changed = client.patch(url, {"events": ["verdict.retracted"]}, format="json")
    assert changed.status_code == 200 and changed.json()["events"] == ["verdict.retracted"]
    publish(team, django_capture_on_commit_callbacks)
    assert deliveries_for(hook) == []  # not an event it asked for

    client.patch(url, {"events": ALL_EVENTS, "active": False}, format="json")
    assert client.get(url).json()["active"] is False
    publish(team, django_capture_on_commit_callbacks)
    assert deliveries_for(hook) == []  # paused

    assert client.patch(url, {"active": True}, format="json").json()["active"] is True
    publish(team, django_capture_on_commit_callbacks)
    assert len(deliveries_for(hook)) == 1

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert not WebhookDelivery.objects.exists()


# --- Delivery ----------------------------------------------------------------------------------


def test_a_published_verdict_is_delivered_once_with_a_valid_signature(
    receiver, team, django_capture_on_commit_callbacks
):
    hook = register(hooks_client(), receiver.url("/hook"))
    claim = publish(team, django_capture_on_commit_callbacks)
    [delivery] = deliveries_for(hook)
    assert delivery.status == DeliveryStatus.PENDING and receiver.requests == []  # sent by the worker, not inline

    assert webhooks.webhook_delivery_send(delivery.pk).outcome == "delivered"
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == f"msg_{delivery.pk.hex}"
    payload = verify(hook["secret"], request)
    assert verify_by_hand(hook["secret"], request)
    assert payload["type"] == "verdict.published"
    assert payload["data"]["id"] == claim.verdict.pk
    assert payload["data"]["status"] == "published"
    assert payload["data"]["claim"]["text"] == claim.text
    assert payload["data"]["rating"]["slug"] == "false"

    # A second run (a redelivered task) sends nothing: a delivered event is never sent twice.
    assert webhooks.webhook_delivery_send(delivery.pk).outcome == "delivered"
    assert webhooks.webhook_deliveries_sweep() == 0
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert delivery.response_code == 200 and delivery.next_attempt_at is None


def test_a_forged_or_altered_delivery_does_not_verify(receiver, team, django_capture_on_commit_callbacks):
    hook = register(hooks_client(), receiver.url("/hook"))
    publish(team, django_capture_on_commit_callbacks)
    webhooks.webhook_delivery_send(deliveries_for(hook)[0].pk)
    [request] = receiver.requests
    altered = Request(request.method, request.path, request.headers, request.body.replace(b"false", b"true_"))
    with pytest.raises(WebhookVerificationError):
        verify(hook["secret"], altered)
    assert not verify_by_hand(hook["secret"], altered)
    with pytest.raises(WebhookVerificationError):
        verify(webhooks.secret_generate(), request)


def test_receiver_down_then_up_gets_it_after_retries_with_backoff(receiver, team, django_capture_on_commit_callbacks):
    served: list[int] = []

    def flaky(request: Request) -> Reply:
        served.append(1)
        return Reply(503, {"Content-Type": "text/plain"}, b"maintenance") if len(served) <= 2 else OK

    receiver.route("/flaky", flaky)
    hook = register(hooks_client(), receiver.url("/flaky"))
    publish(team, django_capture_on_commit_callbacks)
    [delivery] = deliveries_for(hook)

    clock = timezone.now()
    first = webhooks.webhook_delivery_send(delivery.pk, now=clock)
    assert first.outcome == "retry" and 4 <= first.retry_in <= 6
    early = webhooks.webhook_delivery_send(delivery.pk, now=clock + timedelta(seconds=1))
    assert early.outcome == "early" and len(served) == 1  # not due yet: nothing sent
    delivery.refresh_from_db()
    second = webhooks.webhook_delivery_send(delivery.pk, now=delivery.next_attempt_at)
    assert second.outcome == "retry" and 4 * 60 <= second.retry_in <= 6 * 60
    delivery.refresh_from_db()
    assert webhooks.webhook_delivery_send(delivery.pk, now=delivery.next_attempt_at).outcome == "delivered"

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    log = list(delivery.attempt_log.values_list("response_code", "delivered", "error"))
    assert log == [(503, False, "HTTP 503: maintenance"), (503, False, "HTTP 503: maintenance"), (200, True, "")]
    ids = {request.headers["webhook-id"] for request in receiver.requests}
    assert ids == {delivery.message_id}  # the same id on every attempt: receivers deduplicate on it
    for request in receiver.requests:
        verify(hook["secret"], request)
    webhook = Webhook.objects.get(pk=hook["id"])
    assert webhook.failing_since is None and webhook.last_success_at is not None


def test_an_endpoint_failing_for_the_whole_window_is_disabled_and_its_owner_told(
    loopback_allowed, team, django_capture_on_commit_callbacks, settings
):
    owner = user_add("partner", "factchecker", [])
    owner.email = "partner@example.org"
    owner.save()
    hook = register(hooks_client(user=owner), f"http://127.0.0.1:{free_port()}/hook")  # nothing listens
    publish(team, django_capture_on_commit_callbacks)
    [delivery] = deliveries_for(hook)
    start = delivery.cycle_started_at

    clock, times = start, []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            outcome = webhooks.webhook_delivery_send(delivery.pk, now=clock)
            times.append(clock)
            if outcome.outcome != "retry":
                break
            delivery.refresh_from_db()
            clock = delivery.next_attempt_at
    assert outcome.outcome == "failed"

    window = timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    assert times[-1] - start >= window > times[-2] - start  # retried across the whole window, then stopped
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert gaps[:6] == sorted(gaps[:6]) and gaps[0] < 10 and gaps[5] > 6 * 3600  # exponential backoff
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert delivery.attempts == len(times) == delivery.attempt_log.count()
    assert all(attempt.response_code is None and attempt.error for attempt in delivery.attempt_log.all())

    webhook = Webhook.objects.get(pk=hook["id"])
    assert webhook.disabled_at is not None and "24 hours" in webhook.disabled_reason
    [message] = mail.outbox
    assert message.to == ["partner@example.org"] and webhook.url in message.body

    publish(team, django_capture_on_commit_callbacks)
    assert len(deliveries_for(hook)) == 1  # a disabled endpoint gets no new deliveries


def test_one_success_within_the_window_keeps_the_endpoint_enabled(receiver, team, django_capture_on_commit_callbacks):
    state = {"up": False}
    receiver.route("/hook", lambda request: OK if state["up"] else Reply(500))
    hook = register(hooks_client(), receiver.url("/hook"))
    publish(team, django_capture_on_commit_callbacks)
    [first] = deliveries_for(hook)
    now = timezone.now()
    assert webhooks.webhook_delivery_send(first.pk, now=now).outcome == "retry"
    state["up"] = True
    publish(team, django_capture_on_commit_callbacks)
    second = deliveries_for(hook)[1]
    assert webhooks.webhook_delivery_send(second.pk, now=now + timedelta(hours=20)).outcome == "delivered"
    state["up"] = False
    later = now + timedelta(hours=25)  # the first delivery's window is over; the endpoint was not down 24 h
    assert webhooks.webhook_delivery_send(first.pk, now=later).outcome == "failed"
    assert Webhook.objects.get(pk=hook["id"]).disabled_at is None


def test_a_url_that_became_private_is_refused_when_sent(receiver, team, django_capture_on_commit_callbacks, settings):
    hook = register(hooks_client(), receiver.url("/hook"))
    publish(team, django_capture_on_commit_callbacks)
    settings.FETCH_ALLOWLIST = []  # as if the host now resolved to a private address
    settings.FETCH_ALLOWED_PORTS = [80, 443, receiver.port]  # so that the address is what is refused
    [delivery] = deliveries_for(hook)
    assert webhooks.webhook_delivery_send(delivery.pk).outcome == "retry"
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.response_code is None and delivery.error.startswith("private_address")


def test_a_delivery_is_never_sent_by_two_workers_at_once(receiver, team, django_capture_on_commit_callbacks):
    hook = register(hooks_client(), receiver.url("/hook"))
    publish(team, django_capture_on_commit_callbacks)
    [delivery] = deliveries_for(hook)
    now = timezone.now()
    # Another worker holds the lease (it is sending right now).
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, lease_expires_at=now + timedelta(seconds=60), attempts=1
    )
    assert webhooks.webhook_delivery_send(delivery.pk, now=now).outcome == "sending"
    assert receiver.requests == []
    # That worker died: once its lease expires, the next run takes over and records the lost attempt.
    assert webhooks.webhook_deliveries_sweep(now=now + timedelta(seconds=61)) == 1
    assert webhooks.webhook_delivery_send(delivery.pk, now=now + timedelta(seconds=61)).outcome == "delivered"
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert [a.delivered for a in delivery.attempt_log.all()] == [False, True]


def test_corrections_and_retractions_send_their_own_events(receiver, team, django_capture_on_commit_callbacks):
    everything = register(hooks_client(), receiver.url("/hook"))
    receiver.route("/retractions", OK)
    retractions = register(hooks_client(), receiver.url("/retractions"), ["verdict.retracted"])
    claim = publish(team, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        published_correction(team.chief, team.editor, claim.pk, {"rating": "mostly-false"}, "New figures.")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.verdict_retract(team.chief, claim.pk, "The quote was fabricated.")
    for delivery in WebhookDelivery.objects.order_by("created_at"):
        assert webhooks.webhook_delivery_send(delivery.pk).outcome == "delivered"

    by_path: dict[str, list[dict]] = {"/hook": [], "/retractions": []}
    secrets = {"/hook": everything["secret"], "/retractions": retractions["secret"]}
    for request in receiver.requests:
        by_path[request.path].append(verify(secrets[request.path], request))
    assert [p["type"] for p in by_path["/hook"]] == ["verdict.published", "verdict.corrected", "verdict.retracted"]
    published, corrected, retracted = by_path["/hook"]
    assert published["data"]["version"] == 1 and corrected["data"]["version"] == 2
    assert corrected["data"]["rating"]["slug"] == "mostly-false"
    assert corrected["data"]["corrections"][0]["note"] == "New figures."
    assert retracted["data"]["status"] == "retracted"
    assert [p["type"] for p in by_path["/retractions"]] == ["verdict.retracted"]
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 4  # one id per event and endpoint


def test_replay_resends_with_the_same_webhook_id(receiver, team, django_capture_on_commit_callbacks):
    client = hooks_client()
    hook = register(client, receiver.url("/hook"))
    publish(team, django_capture_on_commit_callbacks)
    [delivery] = deliveries_for(hook)
    webhooks.webhook_delivery_send(delivery.pk)

    replay_url = f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery.pk}/replay/"
    assert hooks_client().post(replay_url).status_code == 404  # someone else's delivery
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(replay_url)
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert webhooks.webhook_delivery_send(delivery.pk).outcome == "delivered"
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == f"msg_{delivery.pk.hex}"
    assert first.body == second.body
    verify(hook["secret"], second)

    client.patch(f"/api/v1/webhooks/{hook['id']}/", {"active": False}, format="json")
    assert client.post(replay_url).status_code == 409
    assert client.post(f"/api/v1/webhooks/{hook['id']}/deliveries/not-a-uuid/replay/").status_code == 404


def test_rotating_the_secret_signs_with_the_new_secret_only(receiver, team, django_capture_on_commit_callbacks):
    client = hooks_client()
    hook = register(client, receiver.url("/hook"))
    rotated = client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret/")
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != hook["secret"]
    publish(team, django_capture_on_commit_callbacks)
    webhooks.webhook_delivery_send(deliveries_for(hook)[0].pk)
    [request] = receiver.requests
    assert verify(new_secret, request)["type"] == "verdict.published"
    with pytest.raises(WebhookVerificationError):
        verify(hook["secret"], request)


def test_the_delivery_log_shows_every_attempt(
    receiver, team, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    served: list[int] = []
    receiver.route("/hook", lambda request: served.append(1) or (Reply(502) if len(served) == 1 else OK))
    client = hooks_client()
    hook = register(client, receiver.url("/hook"))
    for _ in range(3):
        publish(team, django_capture_on_commit_callbacks)
    first, *others = deliveries_for(hook)
    webhooks.webhook_delivery_send(first.pk)
    first.refresh_from_db()
    webhooks.webhook_delivery_send(first.pk, now=first.next_attempt_at)

    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 3
    shown = next(item for item in results if item["id"] == str(first.pk))
    assert shown["webhook_id"] == first.message_id and shown["event"] == "verdict.published"
    assert shown["status"] == "delivered" and shown["response_code"] == 200 and shown["attempt_count"] == 2
    assert [(a["response_code"], a["delivered"]) for a in shown["attempts"]] == [(502, False), (200, True)]
    assert all(a["duration_ms"] is not None for a in shown["attempts"]) and shown["attempts"][0]["error"]
    pending = [item for item in results if item["status"] == "pending"]
    assert len(pending) == 2 and all(item["next_attempt_at"] for item in pending)
    only_pending = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/?status=pending").json()["results"]
    assert {item["id"] for item in only_pending} == {str(d.pk) for d in others}
    assert client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/?status=nope").status_code == 400


def test_the_sweep_resends_deliveries_whose_task_was_lost(receiver, team, django_capture_on_commit_callbacks):
    hook = register(hooks_client(), receiver.url("/hook"))
    publish(team, django_capture_on_commit_callbacks)
    [delivery] = deliveries_for(hook)
    assert delivery.enqueued_at is not None  # handed to the broker after commit
    assert webhooks.webhook_deliveries_sweep() == 0  # recently enqueued: left alone
    later = timezone.now() + timedelta(minutes=11)
    assert webhooks.webhook_deliveries_sweep(now=later) == 1  # never ran: sent again
    webhooks.webhook_delivery_send(delivery.pk)
    assert webhooks.webhook_deliveries_sweep(now=later + timedelta(minutes=11)) == 0  # delivered: never again


def test_the_deliver_task_sends_through_the_service(receiver, team, django_capture_on_commit_callbacks):
    from reviews.tasks import webhook_deliver

    hook = register(hooks_client(), receiver.url("/hook"))
    publish(team, django_capture_on_commit_callbacks)
    [delivery] = deliveries_for(hook)
    assert webhook_deliver.name == "reviews.webhook_deliver"
    assert webhook_deliver.apply(args=(str(delivery.pk),)).get() == "delivered"
    assert json.loads(receiver.requests[0].body)["type"] == "verdict.published"
