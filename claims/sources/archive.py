"""Preserving cited sources: fetch, extract, snapshot, retry, sweep and re-check.

A fetch claims its source with one conditional UPDATE (a lease), so two
workers never fetch the same source at once; the network call happens
outside any transaction; the result is written only if the lease is still
ours. A worker killed mid-fetch leaves an expired lease that the redelivered
task or the sweep picks up again; the lost attempt is recorded and counts
towards ``FETCH_MAX_ATTEMPTS``, so a page that kills its worker every time
ends ``failed`` instead of looping.

``Source.attempts`` counts the attempts of the current fetch cycle and keeps
that count once the cycle ends; a cycle starts when a source is first cited,
re-cited after failing, re-checked, or re-fetched by hand.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from claims.choices import AttemptOutcome, FetchStatus
from claims.models import FetchAttempt, Snapshot, Source
from claims.sources.extraction import ExtractedDocument, extract_document
from claims.sources.fetching import FetchFailed, FetchRefused, FetchResponse, FetchTransient, safe_fetch
from factcheck import metrics
from factcheck.queue import broker_lost_its_queue, tasks_send

logger = logging.getLogger(__name__)

# Response headers worth keeping with a snapshot: they date and describe the copy.
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "content-language",
    "date",
    "last-modified",
    "etag",
    "cache-control",
    "expires",
    "server",
    "link",
    "x-robots-tag",
)
# Statuses worth another try later; every other non-2xx (bar 404/410) is final.
TRANSIENT_STATUSES = frozenset({408, 429})
GONE_STATUSES = frozenset({404, 410})
# A delayed message may run a little before its due time (clocks, ETA precision): it may still claim.
CLAIM_EARLY = timedelta(seconds=1)
REENQUEUE_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 1000
FETCH_TASK = "claims.tasks.fetch_source"
LOST_ATTEMPT = "The attempt never finished: its worker was lost or it outlived its lease."
# The fields that start a new fetch cycle.
CYCLE_START = {"fetch_status": FetchStatus.PENDING, "attempts": 0, "next_attempt_at": None, "enqueued_at": None}


@dataclass(frozen=True)
class FetchOutcome:
    """What one call of ``source_fetch`` did; ``retry_in`` asks the caller to call again that much later."""

    outcome: str
    retry_in: float | None = None


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter; a server's Retry-After is honoured up to the cap.

    Retry-After gets ``CLAIM_EARLY`` on top, as a source may be claimed that much before its time.
    """
    cap = settings.FETCH_RETRY_MAX_SECONDS
    if retry_after is not None:
        return min(cap, max(retry_after, 0.0)) + CLAIM_EARLY.total_seconds() + random.uniform(0, 1)
    base = min(cap, settings.FETCH_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0))
    return random.uniform(base / 2, base)


def _source_claim(source_id: int, token: uuid.UUID) -> bool:
    """Take the lease on a due source, or on one whose previous holder died, in one UPDATE."""
    now = timezone.now()
    lease = {
        "fetch_status": FetchStatus.FETCHING,
        "lease_token": token,
        "lease_expires_at": now + timedelta(seconds=settings.FETCH_LEASE_SECONDS),
        "attempts": F("attempts") + 1,
    }
    due = Q(fetch_status=FetchStatus.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + CLAIM_EARLY)
    )
    if Source.objects.filter(pk=source_id).filter(due).update(**lease):
        return True
    dead = Q(fetch_status=FetchStatus.FETCHING, lease_expires_at__lt=now, attempts__lt=settings.FETCH_MAX_ATTEMPTS)
    if Source.objects.filter(pk=source_id).filter(dead).update(**lease):
        _attempt_lost_record(source_id, now)
        return True
    return False


def _attempt_lost_record(source_id: int, when: datetime) -> None:
    FetchAttempt.objects.create(
        source_id=source_id, started_at=when, finished_at=when, outcome=AttemptOutcome.FAILED, error=LOST_ATTEMPT
    )


def source_fetch(source_id: int) -> FetchOutcome:
    """Fetch one source if it is due; idempotent and safe to run concurrently."""
    token = uuid.uuid4()
    if not _source_claim(source_id, token):
        source = Source.objects.filter(pk=source_id).only("fetch_status", "lease_expires_at", "next_attempt_at").first()
        if source is None:
            return FetchOutcome("missing")
        now = timezone.now()
        if source.fetch_status == FetchStatus.FETCHING and source.lease_expires_at:
            if source.lease_expires_at < now and _lease_release_dead(source_id, now):
                # A dead lease with no attempts left ends the cycle; with some left (a race), go again.
                return source_fetch(source_id)
            # Someone else holds the lease; look again once it would have expired.
            return FetchOutcome("busy", retry_in=max((source.lease_expires_at - now).total_seconds(), 0) + 1)
        if source.fetch_status == FetchStatus.PENDING and source.next_attempt_at:
            return FetchOutcome("early", retry_in=max((source.next_attempt_at - now).total_seconds(), 0) + 0.5)
        return FetchOutcome("skipped")

    source = Source.objects.get(pk=source_id)
    started = timezone.now()
    response: FetchResponse | None = None
    error: Exception | None = None
    try:
        response = safe_fetch(source.canonical_url)
    except (FetchRefused, FetchFailed, FetchTransient) as exc:
        error = exc
    except Exception as exc:  # an unexpected fetcher bug must not leave the lease dangling
        logger.exception("unexpected error fetching source %s", source_id)
        error = FetchFailed("internal_error", f"Internal error: {type(exc).__name__}")
    outcome = _source_record(source, token, started, response, error)
    metrics.source_fetches.labels(outcome.outcome).inc()
    return outcome


def _extract(response: FetchResponse) -> ExtractedDocument:
    try:
        return extract_document(response.body, response.content_type, response.charset, response.final_url)
    except Exception:  # a page that breaks the extractors is still preserved, just without text
        logger.exception("extraction failed for %s", response.final_url)
        return ExtractedDocument()


def _source_record(
    source: Source, token: uuid.UUID, started: datetime, response: FetchResponse | None, error: Exception | None
) -> FetchOutcome:
    attempt = source.attempts
    has_snapshot = source.fetched_at is not None
    http_status = response.status if response else None
    retry_in: float | None = None
    extracted = ExtractedDocument()
    message = ""

    if isinstance(error, FetchRefused):
        outcome, message = AttemptOutcome.BLOCKED, error.reason
    elif isinstance(error, FetchTransient):
        outcome, message = AttemptOutcome.RETRY, error.reason
        retry_in = retry_delay(attempt, error.retry_after)
    elif error is not None:
        outcome, message = AttemptOutcome.FAILED, getattr(error, "reason", str(error))
    elif 200 <= response.status < 300:
        outcome = AttemptOutcome.FETCHED
        extracted = _extract(response)
    elif response.status in GONE_STATUSES:
        outcome, message = AttemptOutcome.GONE, f"The page answers HTTP {response.status}."
    elif response.status in TRANSIENT_STATUSES or response.status >= 500:
        outcome, message = AttemptOutcome.RETRY, f"HTTP {response.status}"
        retry_in = retry_delay(attempt, response.retry_after_seconds())
    else:
        outcome, message = AttemptOutcome.FAILED, f"HTTP {response.status}"

    if outcome == AttemptOutcome.RETRY and attempt >= settings.FETCH_MAX_ATTEMPTS:
        outcome, retry_in = AttemptOutcome.FAILED, None
        message = f"{message} (gave up after {attempt} attempts)"

    finished = timezone.now()
    with transaction.atomic():
        locked = Source.objects.select_for_update().filter(pk=source.pk, lease_token=token).first()
        if locked is None:
            logger.info("lease on source %s lost; discarding this attempt's result", source.pk)
            return FetchOutcome("lease_lost")
        updates: dict = {"lease_token": None, "lease_expires_at": None, "http_status": http_status}
        if outcome == AttemptOutcome.FETCHED:
            sha = hashlib.sha256(response.body).hexdigest()
            latest = locked.latest_snapshot()
            changed = latest is None or latest.sha256 != sha
            if changed:
                _snapshot_create(locked, response, sha, extracted, finished)
            else:
                outcome = AttemptOutcome.UNCHANGED
            updates.update(
                fetch_status=FetchStatus.FETCHED,
                error="",
                final_url=response.final_url,
                content_type=response.content_type,
                title=extracted.title,
                author=extracted.author,
                published_date=extracted.published_date,
                text=extracted.text,
                sha256=sha,
                fetched_at=finished if changed else locked.fetched_at,
                last_checked_at=finished,
                next_attempt_at=None,
            )
        elif outcome == AttemptOutcome.RETRY:
            updates.update(
                fetch_status=FetchStatus.PENDING,
                error=message,
                next_attempt_at=finished + timedelta(seconds=retry_in),
                enqueued_at=None,
            )
        elif outcome == AttemptOutcome.GONE:
            updates.update(fetch_status=FetchStatus.GONE, error=message, last_checked_at=finished)
        elif has_snapshot and outcome == AttemptOutcome.FAILED:
            # A re-check that failed: the preserved copy stays the answer.
            updates.update(fetch_status=FetchStatus.FETCHED, error=message, last_checked_at=finished)
        else:
            status = FetchStatus.BLOCKED if outcome == AttemptOutcome.BLOCKED else FetchStatus.FAILED
            updates.update(fetch_status=status, error=message, last_checked_at=finished)
        Source.objects.filter(pk=source.pk).update(**updates)
        FetchAttempt.objects.create(
            source_id=source.pk,
            started_at=started,
            finished_at=finished,
            outcome=outcome,
            http_status=http_status,
            error=message[:2000],
            duration_ms=int((finished - started).total_seconds() * 1000),
        )
    return FetchOutcome(outcome, retry_in=retry_in)


def _lease_release_dead(source_id: int, now: datetime) -> bool:
    """End a lease whose holder died: back to pending, or the end of the cycle when no attempts are left."""
    dead = Source.objects.filter(pk=source_id, fetch_status=FetchStatus.FETCHING, lease_expires_at__lt=now)
    with transaction.atomic():
        source = dead.select_for_update().only("attempts", "fetched_at").first()
        if source is None:
            return False
        release = {"lease_token": None, "lease_expires_at": None}
        if source.attempts < settings.FETCH_MAX_ATTEMPTS:
            dead.update(**release, fetch_status=FetchStatus.PENDING, enqueued_at=None)
        else:
            # A copy kept from an earlier cycle stays the answer, as after any failed re-check.
            status = FetchStatus.FETCHED if source.fetched_at else FetchStatus.FAILED
            error = f"{LOST_ATTEMPT} Gave up after {source.attempts} attempts."
            dead.update(**release, fetch_status=status, error=error, last_checked_at=now)
        _attempt_lost_record(source_id, now)
    return True


def _snapshot_create(
    source: Source, response: FetchResponse, sha: str, extracted: ExtractedDocument, when: datetime
) -> Snapshot:
    return Snapshot.objects.create(
        source=source,
        fetched_at=when,
        http_status=response.status,
        final_url=response.final_url,
        content_type=response.content_type,
        charset=response.charset or "",
        headers={name: value for name, value in response.headers.items() if name in KEPT_HEADERS},
        raw_gzip=gzip.compress(response.body, compresslevel=6),
        raw_size=len(response.body),
        sha256=sha,
        title=extracted.title,
        author=extracted.author,
        published_date=extracted.published_date,
        text=extracted.text,
    )


def sources_enqueue(source_ids: Iterable[int], countdown: float | None = None) -> int:
    """Hand sources to the workers. A broker outage is not an error: the periodic sweep sends them later."""
    ids = list(source_ids)
    sent = tasks_send(FETCH_TASK, [(source_id,) for source_id in ids], what="source(s)", countdown=countdown)
    if sent:
        Source.objects.filter(pk__in=ids[:sent]).update(enqueued_at=timezone.now())
    return sent


def sources_sweep() -> int:
    """Re-enqueue work the broker may have lost: dead leases, pending sources never sent or sent
    long ago, and every pending source at once when the broker comes back without its queue."""
    now = timezone.now()
    dead = Source.objects.filter(fetch_status=FetchStatus.FETCHING, lease_expires_at__lt=now)
    for source_id in dead.order_by("id").values_list("id", flat=True)[:SWEEP_BATCH]:
        _lease_release_dead(source_id, now)
    stale = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REENQUEUE_AFTER)
    if broker_lost_its_queue("sources"):
        stale = Q()  # every pending source's message went with the queue: send them all now
    due = list(
        Source.objects.due_for_fetch(now).filter(stale).order_by("id").values_list("id", flat=True)[:SWEEP_BATCH]
    )
    return sources_enqueue(due) if due else 0


def sources_recheck_due() -> int:
    """Queue fetched sources not checked for FETCH_RECHECK_DAYS: pages change and disappear."""
    cutoff = timezone.now() - timedelta(days=settings.FETCH_RECHECK_DAYS)
    ids = list(
        Source.objects.filter(fetch_status=FetchStatus.FETCHED, last_checked_at__lt=cutoff)
        .order_by("last_checked_at")
        .values_list("id", flat=True)[:SWEEP_BATCH]
    )
    if not ids:
        return 0
    Source.objects.filter(pk__in=ids, fetch_status=FetchStatus.FETCHED).update(**CYCLE_START)
    return sources_enqueue(ids)


def sources_refetch(source_ids: Iterable[int]) -> int:
    """Start a new fetch cycle now (staff's "fetch again"); sources being fetched are left alone."""
    candidates = Source.objects.filter(pk__in=list(source_ids)).exclude(fetch_status=FetchStatus.FETCHING)
    ids = list(candidates.values_list("id", flat=True))
    Source.objects.filter(pk__in=ids).exclude(fetch_status=FetchStatus.FETCHING).update(**CYCLE_START)
    transaction.on_commit(lambda: sources_enqueue(ids))
    return len(ids)
