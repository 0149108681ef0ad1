"""Signed webhooks: tell registered endpoints when a verdict is published, corrected or retracted.

Deliveries follow the Standard Webhooks convention (https://www.standardwebhooks.com/). Each POST
carries a JSON body ``{"type": "verdict.published", "timestamp": "<ISO 8601>", "data": {...the
verdict as in the API...}}`` and three headers:

* ``webhook-id``: ``msg_<hex>``, the same for every attempt and replay of one event to one
  endpoint, so a receiver deduplicates on it (delivery is at least once);
* ``webhook-timestamp``: Unix seconds when this attempt was sent;
* ``webhook-signature``: ``v1,<base64 HMAC-SHA256>`` of ``f"{webhook-id}.{webhook-timestamp}.{body}"``,
  keyed with the base64-decoded part of the secret after ``whsec_``.

How a receiver verifies a delivery, with the ``standardwebhooks`` package (Python; there are
packages for other languages too)::

    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    payload = Webhook("whsec_...").verify(request.body, request.headers)  # raises if forged or stale

and by hand (verify against the raw body bytes, before any JSON parsing)::

    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    ok = any(
        hmac.compare_digest(expected, sig.split(",", 1)[1])
        for sig in headers["webhook-signature"].split(" ") if sig.startswith("v1,")
    )
    # and refuse a webhook-timestamp more than ~5 minutes from your clock (replay protection).

The secret is shown when the webhook is registered and when it is rotated; it is stored as issued,
because signing needs it (unlike API keys, it cannot be kept as a hash). After a rotation only the
new secret signs.

Sending: the publishing transaction registers ``webhook_events_emit`` with ``on_commit``; it
stores the event and one ``WebhookDelivery`` per matching active endpoint, then enqueues a Celery
task per delivery. ``webhook_delivery_send`` claims the delivery with one conditional UPDATE (a
lease), so two workers never send it at once, POSTs through the one safe fetcher (a URL that now
resolves to a private address is refused), and records the attempt. A 2xx answer delivers it, and
a delivered delivery is never sent again (except on an explicit replay). Failures are retried
with exponential backoff and jitter (about 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h) until a
failure happens ``WEBHOOK_RETRY_HOURS`` after the delivery started; an endpoint whose every
attempt failed for ``WEBHOOK_RETRY_HOURS`` is disabled and its owner is e-mailed. The beat job
``webhook_deliveries_sweep`` re-sends due deliveries whose task was lost or whose wait was too
long for the broker.

Events and their deliveries are written in the publishing transaction itself (an outbox), so a
published verdict always has its deliveries, even if the process dies right after the commit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from claims.intake.validation import InvalidInput
from claims.models import ApiKey
from claims.sources.fetching import FetchError, FetchResponse, check_url, safe_fetch
from factcheck import metrics
from factcheck.queue import tasks_send
from reviews.models import (
    DeliveryStatus,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventType,
)
from reviews.published import published_verdicts, verdict_payload

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks secret prefix, not a secret
SECRET_BYTES = 32
# Backoff after the 1st, 2nd... failed attempt; the last step repeats until the retry window ends.
RETRY_STEPS = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600)
JITTER = 0.2
# Waits longer than this are left to the sweep: the broker may redeliver an unacknowledged
# delayed message after its visibility timeout anyway, and nobody needs that for a 10-hour wait.
COUNTDOWN_MAX_SECONDS = 300
REENQUEUE_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 1000
DELIVER_TASK = "reviews.webhook_deliver"
MAX_RESPONSE_BYTES = 64 * 1024
LOST_ATTEMPT = "The attempt never finished: its worker was lost or it outlived its lease."


class WebhookConflict(Exception):
    """The webhook or delivery is in a state that forbids this (API: 409)."""


# --- Registration ------------------------------------------------------------------------------


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _url_validate(url: Any) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput({"url": ["Give the URL the deliveries are POSTed to."]})
    url = url.strip()
    try:
        check_url(url)
    except FetchError as exc:
        raise InvalidInput({"url": [f"This URL cannot receive webhooks: {exc.reason}"]}) from None
    return url


def _events_validate(events: Any) -> list[str]:
    known = WebhookEventType.values
    if not isinstance(events, list | tuple) or not events or not all(isinstance(e, str) for e in events):
        raise InvalidInput({"events": [f"Give a non-empty list of event types from: {', '.join(known)}."]})
    unknown = sorted({event for event in events if event not in known})
    if unknown:
        raise InvalidInput({"events": [f"Unknown event type(s): {', '.join(unknown)}. Known: {', '.join(known)}."]})
    return [event for event in known if event in events]  # deduplicated, in a stable order


def webhook_create(*, key: ApiKey, url: Any, events: Any) -> Webhook:
    """Register an endpoint for ``key``; a URL on a private address is refused (``InvalidInput``)."""
    errors: dict[str, list[str]] = {}
    for field, validate in (("url", _url_validate), ("events", _events_validate)):
        try:
            value = validate(url if field == "url" else events)
        except InvalidInput as exc:
            errors.update(exc.fields)
        else:
            if field == "url":
                url = value
            else:
                events = value
    if errors:
        raise InvalidInput(errors)
    return Webhook.objects.create(key=key, url=url, events=events, secret=secret_generate())


def webhook_update(webhook: Webhook, data: dict[str, Any]) -> Webhook:
    """Change the URL or events, or pause (``active: false``) / re-enable (``active: true``) it."""
    errors: dict[str, list[str]] = {}
    fields: list[str] = []
    if "url" in data:
        try:
            webhook.url = _url_validate(data["url"])
            fields.append("url")
        except InvalidInput as exc:
            errors.update(exc.fields)
    if "events" in data:
        try:
            webhook.events = _events_validate(data["events"])
            fields.append("events")
        except InvalidInput as exc:
            errors.update(exc.fields)
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = ["Use true or false."]
        elif data["active"] and webhook.disabled_at is not None:
            webhook.disabled_at, webhook.disabled_reason, webhook.failing_since = None, "", None
            fields += ["disabled_at", "disabled_reason", "failing_since"]
        elif not data["active"] and webhook.disabled_at is None:
            webhook.disabled_at, webhook.disabled_reason = timezone.now(), "Paused by its owner."
            fields += ["disabled_at", "disabled_reason"]
    if errors:
        raise InvalidInput(errors)
    if fields:
        webhook.save(update_fields=fields)
    return webhook


def webhook_rotate_secret(webhook: Webhook) -> Webhook:
    """A new secret signs every delivery from now on; the old one stops working at once."""
    webhook.secret = secret_generate()
    webhook.secret_rotated_at = timezone.now()
    webhook.save(update_fields=["secret", "secret_rotated_at"])
    return webhook


def webhook_delete(webhook: Webhook) -> None:
    webhook.delete()


# --- Events ------------------------------------------------------------------------------------


def webhook_events_emit(event_type: str, verdict_id: int) -> WebhookEvent | None:
    """Record an event and a delivery for each active endpoint that wants it; enqueue them after commit.

    Called inside the publishing transaction (an outbox: if the process dies right after
    the commit, the sweep still sends the deliveries). Never raises: a webhook problem
    must not undo or break a publication; its own savepoint keeps the outer transaction usable.
    """
    try:
        return _events_emit(event_type, verdict_id)
    except Exception:
        logger.exception("could not record webhook event %s for verdict %s", event_type, verdict_id)
        return None


def _events_emit(event_type: str, verdict_id: int) -> WebhookEvent | None:
    endpoints = [
        webhook
        for webhook in Webhook.objects.filter(disabled_at__isnull=True, key__revoked_at__isnull=True)
        if event_type in webhook.events
    ]
    if not endpoints:
        return None
    verdict = published_verdicts().filter(pk=verdict_id).first()
    if verdict is None:
        logger.warning("webhook event %s: verdict %s is not published", event_type, verdict_id)
        return None
    now = timezone.now()
    with transaction.atomic():
        event = WebhookEvent.objects.create(type=event_type, verdict=verdict, data=verdict_payload(verdict))
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(webhook=webhook, event=event, created_at=now, cycle_started_at=now, next_attempt_at=now)
            for webhook in endpoints
        )
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: webhook_deliveries_enqueue(ids))
    return event


def event_body(event: WebhookEvent) -> bytes:
    """The exact bytes POSTed (and signed): the same for every attempt of the event."""
    body = {"type": event.type, "timestamp": event.created_at.isoformat(), "data": event.data}
    return json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``id.timestamp.body``, keyed with the decoded secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, message_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


# --- Sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one call of ``webhook_delivery_send`` did; ``retry_in`` asks for another call that much later."""

    outcome: str
    retry_in: float | None = None


def retry_delay(failed_attempts: int) -> float:
    """Exponential backoff with jitter after the n-th failed attempt."""
    base = RETRY_STEPS[min(max(failed_attempts, 1), len(RETRY_STEPS)) - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)


def _lease_seconds() -> float:
    return settings.WEBHOOK_TIMEOUT_SECONDS + 60


def _delivery_claim(delivery_id: uuid.UUID, token: uuid.UUID, now: datetime) -> bool:
    """Take the lease on a due delivery, or on one whose sender died, in one UPDATE."""
    lease = {
        "status": DeliveryStatus.SENDING,
        "lease_token": token,
        "lease_expires_at": now + timedelta(seconds=_lease_seconds()),
        "attempts": F("attempts") + 1,
    }
    rows = WebhookDelivery.objects.filter(pk=delivery_id)
    due = Q(status=DeliveryStatus.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    if rows.filter(due).update(**lease):
        return True
    if rows.filter(status=DeliveryStatus.SENDING, lease_expires_at__lt=now).update(**lease):
        WebhookAttempt.objects.create(delivery_id=delivery_id, started_at=now, error=LOST_ATTEMPT)
        return True
    return False


def webhook_delivery_send(delivery_id: uuid.UUID | str, now: datetime | None = None) -> DeliveryOutcome:
    """Send one delivery if it is due; idempotent and safe to run concurrently.

    ``now`` is the clock used for scheduling (tests pass a later time to skip the waits); the
    ``webhook-timestamp`` header always carries the real time of sending.
    """
    now = now or timezone.now()
    token = uuid.uuid4()
    if not _delivery_claim(delivery_id, token, now):
        delivery = WebhookDelivery.objects.filter(pk=delivery_id).only("status", "next_attempt_at").first()
        if delivery is None:
            return DeliveryOutcome("missing")
        if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at:
            return DeliveryOutcome("early", retry_in=(delivery.next_attempt_at - now).total_seconds() + 0.5)
        return DeliveryOutcome(str(delivery.status))  # delivered, failed, or being sent by someone else

    delivery = WebhookDelivery.objects.select_related("webhook__key", "event").get(pk=delivery_id)
    webhook = delivery.webhook
    if not webhook.active or webhook.key.revoked_at is not None:
        WebhookDelivery.objects.filter(pk=delivery.pk, lease_token=token).update(
            status=DeliveryStatus.FAILED,
            lease_token=None,
            lease_expires_at=None,
            next_attempt_at=None,
            attempts=F("attempts") - 1,
            error="The endpoint is disabled or its API key was revoked.",
        )
        return DeliveryOutcome("disabled")

    body = event_body(delivery.event)
    started = time.monotonic()
    response: FetchResponse | None = None
    error = ""
    try:
        response = safe_fetch(
            webhook.url,
            method="POST",
            body=body,
            headers=signed_headers(webhook.secret, delivery.message_id, body),
            allowed_content_types=None,
            max_bytes=MAX_RESPONSE_BYTES,
            total_timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except FetchError as exc:
        error = f"{exc.code}: {exc.reason}"
    except Exception as exc:  # an unexpected fetcher bug must not leave the lease dangling
        logger.exception("unexpected error sending webhook delivery %s", delivery.pk)
        error = f"internal_error: {type(exc).__name__}"
    duration_ms = int((time.monotonic() - started) * 1000)
    if response is not None and not 200 <= response.status < 300:
        snippet = response.body[:200].decode("utf-8", "replace").strip()
        error = f"HTTP {response.status}" + (f": {snippet}" if snippet else "")
    outcome = _attempt_record(delivery, token, now, response, error, duration_ms)
    metrics.webhook_deliveries.labels(outcome.outcome).inc()
    return outcome


def _attempt_record(
    delivery: WebhookDelivery,
    token: uuid.UUID,
    now: datetime,
    response: FetchResponse | None,
    error: str,
    duration_ms: int,
) -> DeliveryOutcome:
    delivered = not error
    code = response.status if response is not None else None
    window = timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    retry_in: float | None = None
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().filter(pk=delivery.pk, lease_token=token).first()
        if locked is None:
            logger.info("lease on webhook delivery %s lost; discarding this attempt's result", delivery.pk)
            return DeliveryOutcome("lease_lost")
        WebhookAttempt.objects.create(
            delivery=locked,
            started_at=now,
            delivered=delivered,
            response_code=code,
            duration_ms=duration_ms,
            error=error[:2000],
        )
        updates: dict[str, Any] = {
            "lease_token": None,
            "lease_expires_at": None,
            "response_code": code,
            "duration_ms": duration_ms,
            "error": error[:2000],
        }
        webhooks = Webhook.objects.filter(pk=locked.webhook_id)
        if delivered:
            outcome = "delivered"
            updates.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
            webhooks.update(last_success_at=now, failing_since=None)
        else:
            webhooks.filter(failing_since__isnull=True).update(failing_since=now)
            if now - locked.cycle_started_at >= window:
                outcome = "failed"
                updates.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
            else:
                outcome = "retry"
                retry_in = retry_delay(locked.attempts)
                updates.update(
                    status=DeliveryStatus.PENDING,
                    next_attempt_at=now + timedelta(seconds=retry_in),
                    enqueued_at=None,
                )
        WebhookDelivery.objects.filter(pk=locked.pk).update(**updates)
        if not delivered:
            failing = webhooks.filter(disabled_at__isnull=True, failing_since__lte=now - window)
            if failing.exists():
                _webhook_disable(locked.webhook_id, now)
                outcome, retry_in = "failed", None
    return DeliveryOutcome(outcome, retry_in)


def _webhook_disable(webhook_id: int, now: datetime) -> None:
    """An endpoint that failed every attempt for the whole retry window is switched off; its owner is told."""
    webhook = Webhook.objects.select_for_update(of=("self",)).select_related("key__user").get(pk=webhook_id)
    hours = settings.WEBHOOK_RETRY_HOURS
    webhook.disabled_at = now
    webhook.disabled_reason = (
        f"Every delivery failed for {hours:g} hours (since {webhook.failing_since:%Y-%m-%d %H:%M} UTC)."
        ' Fix the endpoint, re-enable it with PATCH {"active": true} and replay what it missed.'
    )
    webhook.save(update_fields=["disabled_at", "disabled_reason"])
    WebhookDelivery.objects.filter(webhook_id=webhook_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, error="The endpoint was disabled."
    )
    logger.warning("webhook %s (%s) disabled: %s", webhook.pk, webhook.url, webhook.disabled_reason)
    user = webhook.key.user
    if user is not None and user.email:
        message = f"The webhook {webhook.url} of API key {webhook.key} was disabled. {webhook.disabled_reason}"
        transaction.on_commit(lambda: _mail_owner(user.email, message))


def _mail_owner(address: str, message: str) -> None:
    try:
        send_mail("[factcheck] A webhook was disabled", message, settings.DEFAULT_FROM_EMAIL, [address])
    except Exception:  # mail trouble must not undo the bookkeeping
        logger.warning("could not e-mail %s about a disabled webhook", address, exc_info=True)


def webhook_delivery_replay(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, with the same ``webhook-id``, whatever happened to it before."""
    if not delivery.webhook.active:
        raise WebhookConflict("The webhook is disabled: re-enable it before replaying deliveries.")
    now = timezone.now()
    replayable = Q(status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.PENDING])
    updated = WebhookDelivery.objects.filter(replayable, pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, cycle_started_at=now, next_attempt_at=now, enqueued_at=None
    )
    if not updated:
        raise WebhookConflict("This delivery is being sent right now.")
    transaction.on_commit(lambda: webhook_deliveries_enqueue([delivery.pk]))
    delivery.refresh_from_db()
    return delivery


# --- Queueing ----------------------------------------------------------------------------------


def webhook_deliveries_enqueue(delivery_ids: Iterable[uuid.UUID], countdown: float | None = None) -> int:
    """Hand deliveries to the workers; with the broker down they wait for the sweep."""
    ids = list(delivery_ids)
    count = tasks_send(DELIVER_TASK, [(str(pk),) for pk in ids], what="webhook delivery(ies)", countdown=countdown)
    sent = ids[:count]
    if sent:
        expected = timezone.now() + timedelta(seconds=countdown or 0)
        WebhookDelivery.objects.filter(pk__in=sent).update(enqueued_at=expected)
    return len(sent)


def webhook_delivery_reschedule(delivery_id: uuid.UUID | str, outcome: DeliveryOutcome) -> None:
    """After an attempt: a short wait goes to the broker as a countdown, a long one to the sweep."""
    if outcome.retry_in is not None and outcome.retry_in <= COUNTDOWN_MAX_SECONDS:
        webhook_deliveries_enqueue([delivery_id], countdown=max(outcome.retry_in, 0))


def webhook_deliveries_sweep(now: datetime | None = None) -> int:
    """Beat job: enqueue due deliveries nobody sent (lost task, long wait) and those with a dead lease."""
    now = now or timezone.now()
    not_queued = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REENQUEUE_AFTER)
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) & not_queued
    dead = Q(status=DeliveryStatus.SENDING, lease_expires_at__lt=now)
    ids = list(
        WebhookDelivery.objects.filter(due | dead)
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:SWEEP_BATCH]
    )
    return webhook_deliveries_enqueue(ids) if ids else 0
