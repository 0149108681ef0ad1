"""Telling tipsters, once, that the claim they sent in has a published verdict.

When a claim with tips is published (``reviews`` calls ``tip_notifications_create`` inside the
publishing transaction, an outbox), one ``TipNotification`` is written per address among its tips'
contacts; a unique constraint on (claim, kind, address hash) makes that once per address, however
many tips were merged into the claim and however often publication events repeat (corrections).
After commit a Celery task per notification takes it with one conditional UPDATE (a lease, so two
workers never send it at once), sends the e-mail (Django's mail) or the message (Telegram Bot API,
WhatsApp Cloud API, through the one safe fetcher), and records the outcome; a sent notification is
never sent again. Transient failures are retried with backoff; a beat sweep re-sends what the broker lost.

Delivery is at most once per attempt and at least once overall only in one corner: a worker that
dies after the platform accepted a message but before the outcome is recorded leaves the lease
to expire, and the message is sent again (neither platform takes an idempotency key).
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from claims.choices import ContactKind, TipNotificationStatus
from claims.matching.services import claims_annotations
from claims.models import TipContact, TipNotification
from claims.sources.fetching import FetchError, FetchTransient, safe_fetch
from factcheck.queue import tasks_send

logger = logging.getLogger(__name__)

NOTIFY_TASK = "claims.tasks.tip_notification_send"
MAX_ATTEMPTS = 6
RETRY_STEPS = (30, 120, 600, 1800, 3600)
JITTER = 0.2
LEASE_SECONDS = 120
SEND_TIMEOUT_SECONDS = 15.0
MAX_RESPONSE_BYTES = 64 * 1024
COUNTDOWN_MAX_SECONDS = 300  # longer waits are left to the sweep
REENQUEUE_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 1000
S = TipNotificationStatus


@dataclass(frozen=True)
class NotifyOutcome:
    outcome: str
    retry_in: float | None = None


class _Permanent(Exception):
    """The message cannot be sent and trying again will not help (4xx, not configured, refused)."""


class _Transient(Exception):
    """Worth another try later (timeouts, 5xx, 429, mail server trouble)."""


# --- Writing the outbox ------------------------------------------------------------------------


def tip_notifications_create(claim_id: int) -> list[int]:
    """One pending notification per address among the claim's tip contacts that has none yet.

    Call it inside the transaction that publishes the claim (or merges tips into a published
    claim, or attaches a tip to one); the notifications are sent after it commits. Addresses
    already told about this claim get nothing new.
    """
    now = timezone.now()
    pairs = set(TipContact.objects.filter(tip__claim_id=claim_id).values_list("kind", "address_hash"))
    if not pairs:
        return []
    TipNotification.objects.bulk_create(
        [TipNotification(claim_id=claim_id, kind=kind, address_hash=key, next_attempt_at=now) for kind, key in pairs],
        ignore_conflicts=True,
    )
    ids = list(
        TipNotification.objects.filter(claim_id=claim_id, status=S.PENDING, enqueued_at__isnull=True).values_list(
            "id", flat=True
        )
    )
    if ids:
        transaction.on_commit(lambda: tip_notifications_enqueue(ids))
    return ids


def tip_notifications_enqueue(notification_ids: Iterable[int], countdown: float | None = None) -> int:
    """Hand notifications to the workers; with the broker down they wait for the sweep."""
    ids = list(notification_ids)
    sent = tasks_send(NOTIFY_TASK, [(pk,) for pk in ids], what="tip notification(s)", countdown=countdown)
    if sent:
        expected = timezone.now() + timedelta(seconds=countdown or 0)
        TipNotification.objects.filter(pk__in=ids[:sent]).update(enqueued_at=expected)
    return sent


def tip_notifications_sweep(now: datetime | None = None) -> int:
    """Beat job: send due notifications whose message was lost or whose wait was long, and dead leases."""
    now = now or timezone.now()
    not_queued = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REENQUEUE_AFTER)
    due = Q(status=S.PENDING, next_attempt_at__lte=now) & not_queued
    dead = Q(status=S.SENDING, lease_expires_at__lt=now)
    ids = list(
        TipNotification.objects.filter(due | dead)
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:SWEEP_BATCH]
    )
    return tip_notifications_enqueue(ids) if ids else 0


# --- Sending -----------------------------------------------------------------------------------


def _claim(notification_id: int, token: uuid.UUID, now: datetime) -> bool:
    """Take the lease on a due notification, or on one whose sender died, in one UPDATE."""
    lease = {
        "status": S.SENDING,
        "lease_token": token,
        "lease_expires_at": now + timedelta(seconds=LEASE_SECONDS),
        "attempts": F("attempts") + 1,
    }
    due = Q(status=S.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    dead = Q(status=S.SENDING, lease_expires_at__lt=now)
    return bool(TipNotification.objects.filter(due | dead, pk=notification_id).update(**lease))


def retry_delay(failed_attempts: int) -> float:
    base = RETRY_STEPS[min(max(failed_attempts, 1), len(RETRY_STEPS)) - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)


def tip_notification_send(notification_id: int, now: datetime | None = None) -> NotifyOutcome:
    """Send one notification if it is due; idempotent and safe to run concurrently (``now``: tests' clock)."""
    now = now or timezone.now()
    token = uuid.uuid4()
    if not _claim(notification_id, token, now):
        current = TipNotification.objects.filter(pk=notification_id).only("status", "next_attempt_at").first()
        if current is None:
            return NotifyOutcome("missing")
        if current.status == S.PENDING and current.next_attempt_at:
            return NotifyOutcome("early", retry_in=(current.next_attempt_at - now).total_seconds() + 0.5)
        return NotifyOutcome(str(current.status))  # sent, failed, or being sent by another worker

    notification = TipNotification.objects.get(pk=notification_id)
    verdict_url = ""
    try:
        verdict = claims_annotations([notification.claim_id]).get(notification.claim_id, {})
        if not verdict.get("verdict_url"):
            raise _Permanent("The claim has no published verdict (any more).")
        verdict_url = verdict["verdict_url"]
        contact = (
            TipContact.objects.select_related("tip")
            .filter(tip__claim_id=notification.claim_id, kind=notification.kind, address_hash=notification.address_hash)
            .order_by("id")
            .first()
        )
        if contact is None:
            raise _Permanent("The contact was deleted (retention period over) before it could be told.")
        _send(contact, verdict_url, verdict.get("rating") or "")
    except _Permanent as exc:
        return _record(notification, token, now, S.FAILED, str(exc), verdict_url)
    except Exception as exc:  # transient, or a bug: either way the lease must not dangle until it expires
        reason = str(exc)
        if not isinstance(exc, _Transient):
            logger.exception("unexpected error sending tip notification %s", notification_id)
            reason = f"internal_error: {type(exc).__name__}"
        if notification.attempts >= MAX_ATTEMPTS:
            reason = f"{reason} (gave up after {notification.attempts} attempts)"
            return _record(notification, token, now, S.FAILED, reason, verdict_url)
        return _record(notification, token, now, S.PENDING, reason, verdict_url)
    return _record(notification, token, now, S.SENT, "", verdict_url)


def _record(
    notification: TipNotification, token: uuid.UUID, now: datetime, status: str, error: str, verdict_url: str = ""
) -> NotifyOutcome:
    updates: dict = {"status": status, "lease_token": None, "lease_expires_at": None, "error": error[:2000]}
    retry_in = None
    if verdict_url:
        updates["verdict_url"] = verdict_url
    if status == S.SENT:
        updates.update(sent_at=timezone.now(), next_attempt_at=None)
    elif status == S.PENDING:
        retry_in = retry_delay(notification.attempts)
        updates.update(next_attempt_at=now + timedelta(seconds=retry_in), enqueued_at=None)
    else:
        updates["next_attempt_at"] = None
    if not TipNotification.objects.filter(pk=notification.pk, lease_token=token).update(**updates):
        logger.info("lease on tip notification %s lost; discarding this attempt's result", notification.pk)
        return NotifyOutcome("lease_lost")
    if error:
        logger.warning("tip notification %s: %s (%s)", notification.pk, error, status)
    return NotifyOutcome("sent" if status == S.SENT else ("retry" if retry_in is not None else "failed"), retry_in)


def tip_notification_reschedule(notification_id: int, outcome: NotifyOutcome) -> None:
    """After an attempt: a short wait goes to the broker as a countdown, a long one to the sweep."""
    if outcome.retry_in is not None and outcome.retry_in <= COUNTDOWN_MAX_SECONDS:
        tip_notifications_enqueue([notification_id], countdown=max(outcome.retry_in, 0))


# --- The messages ------------------------------------------------------------------------------


def _message(reference: str, rating: str, verdict_url: str) -> str:
    return gettext(
        "Thank you for your tip (reference %(reference)s). We have checked it and published our verdict: "
        "%(rating)s. Read the fact-check: %(url)s"
    ) % {"reference": reference, "rating": rating, "url": verdict_url}


def _send(contact: TipContact, verdict_url: str, rating: str) -> None:
    with translation.override(contact.tip.language or settings.LANGUAGE_CODE):
        text = _message(contact.tip.reference, rating, verdict_url)
        if contact.kind == ContactKind.EMAIL:
            subject = gettext("The claim you sent us has been checked")
            try:
                send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [contact.address])
            except Exception as exc:  # SMTP trouble of any kind: the mail server may be back later
                raise _Transient(f"mail: {type(exc).__name__}: {exc}") from None
        elif contact.kind == ContactKind.TELEGRAM:
            _telegram_send(contact.address, text)
        elif contact.kind == ContactKind.WHATSAPP:
            _whatsapp_send(contact.address, text)
        else:
            raise _Permanent(f"Unknown contact kind {contact.kind!r}.")


def _post_json(url: str, payload: dict, headers: dict[str, str] | None = None) -> None:
    """POST through the one safe fetcher; classify the answer as sent, transient or permanent."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    try:
        response = safe_fetch(
            url,
            method="POST",
            body=body,
            headers={"Content-Type": "application/json", **(headers or {})},
            allowed_content_types=None,
            max_bytes=MAX_RESPONSE_BYTES,
            total_timeout=SEND_TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except FetchTransient as exc:
        raise _Transient(f"{exc.code}: {exc.reason}") from None
    except FetchError as exc:
        raise _Permanent(f"{exc.code}: {exc.reason}") from None
    if 200 <= response.status < 300:
        return
    snippet = response.body[:200].decode("utf-8", "replace").strip()
    error = f"HTTP {response.status}" + (f": {snippet}" if snippet else "")
    if response.status == 429 or response.status >= 500:
        raise _Transient(error)
    raise _Permanent(error)


def _telegram_send(chat_id: str, text: str) -> None:
    if not settings.TELEGRAM_BOT_TOKEN:
        raise _Permanent("TELEGRAM_BOT_TOKEN is not set.")
    target: int | str = int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id
    _post_json(
        f"{settings.TELEGRAM_API_BASE}/bot{settings.TELEGRAM_BOT_TOKEN}/sendMessage", {"chat_id": target, "text": text}
    )


def _whatsapp_send(wa_id: str, text: str) -> None:
    if not (settings.WHATSAPP_ACCESS_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID):
        raise _Permanent("WHATSAPP_ACCESS_TOKEN or WHATSAPP_PHONE_NUMBER_ID is not set.")
    _post_json(
        f"{settings.WHATSAPP_API_BASE}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages",
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": wa_id,
            "type": "text",
            "text": {"preview_url": True, "body": text},
        },
        headers={"Authorization": f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}"},
    )
