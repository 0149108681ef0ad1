"""Claim intake: one ``claim_submit`` for every channel, bulk import, and citing sources.

Every intake channel (API, web form, bulk import, admin, articles) goes through
``claim_submit`` so that all of them validate and deduplicate the same way.
Source fetching and preservation live in ``claims.sources``; API keys in ``claims.intake.keys``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
from django.utils import timezone

from claims.choices import Channel, FetchStatus
from claims.intake.validation import ClaimInput, InvalidInput, error_messages, validate_http_url
from claims.matching.services import claims_match_enqueue
from claims.models import ApiKey, Citation, Claim, Source, Tag
from claims.normalize import canonicalize_url, claim_text_key, url_key
from claims.signals import claim_created
from claims.sources.archive import CYCLE_START, sources_enqueue
from factcheck.queue import tasks_send

logger = logging.getLogger(__name__)

FOLLOWUP_TASK = "claims.tasks.intake_followup"


@dataclass
class IntakeResult:
    claim: Claim
    duplicate: bool
    new_source_ids: list[int] = field(default_factory=list)


def claim_validate(data: Any, *, ignore_unknown: bool = False) -> dict[str, Any]:
    """Validated, normalised claim input, or ``InvalidInput`` naming the fields."""
    serializer = ClaimInput(data=data, context={"ignore_unknown": ignore_unknown})
    if not serializer.is_valid():
        raise InvalidInput(error_messages(serializer.errors))
    return dict(serializer.validated_data)


def claim_submit(
    data: Any,
    *,
    channel: str = Channel.API,
    user: AbstractBaseUser | None = None,
    api_key: ApiKey | None = None,
    ignore_unknown: bool = False,
) -> IntakeResult:
    """Validate and store one claim with its sources; fetches start after commit.

    An exact duplicate (same normalised text) is not stored again: the existing
    claim is returned with ``duplicate=True`` and any new sources are added to it.
    """
    values = claim_validate(data, ignore_unknown=ignore_unknown)
    return _claims_store([values], channel=channel, user=user, api_key=api_key)[0]


# How often a store is retried after losing a race (a concurrent insert of the same text or URL).
STORE_ATTEMPTS = 5


def _claims_store(
    batch: list[dict[str, Any]], *, channel: str, user: AbstractBaseUser | None, api_key: ApiKey | None
) -> list[IntakeResult]:
    """Store validated claims, in order, with a handful of queries whatever the batch size.

    The one storage path of intake: ``claim_submit`` stores a batch of one,
    ``claims_import`` batches of many. Inserts come first (``ON CONFLICT DO NOTHING``)
    and only the texts and URLs already stored are looked up, so a concurrent insert
    of the same text or URL is simply found; should a row vanish between the two
    (deleted meanwhile), the batch is rolled back and stored again.
    """
    user = user if user is not None and user.is_authenticated else None
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _claims_store_once(batch, channel=channel, user=user, api_key=api_key)
        except IntegrityError:
            if attempt == STORE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _claims_store_once(batch: list[dict[str, Any]], *, channel: str, user, api_key) -> list[IntakeResult]:
    keys = [claim_text_key(values["text"]) for values in batch]
    candidates: dict[str, Claim] = {}
    for key, values in zip(keys, batch, strict=True):
        if key not in candidates:
            fields = {name: value for name, value in values.items() if name not in ("sources", "tags")}
            candidates[key] = Claim(
                text_key=key, channel=channel, submitted_by=user, submitted_by_key=api_key, **fields
            )
    # Insert first, look up only the texts already stored: a new claim costs one statement, not two.
    inserted = _insert_new(Claim, candidates, "text_key")
    new = {key: claim for key, claim in candidates.items() if key in inserted}
    claims: dict[str, Claim] = dict(new)
    if len(new) < len(candidates):
        claims.update(_stored(Claim, "text_key", candidates.keys() - new.keys()))

    tag_pairs = [(claims[key], name) for key, values in zip(keys, batch, strict=True) for name in values["tags"]]
    tags: dict[str, Tag] = {}
    if tag_pairs:
        tags = _tags_get_or_create({name for _, name in tag_pairs})
        Claim.tags.through.objects.bulk_create(
            [Claim.tags.through(claim_id=claim.pk, tag_id=tags[name].pk) for claim, name in tag_pairs],
            ignore_conflicts=True,
        )

    new_ids = [claim.pk for claim in new.values()]
    added = _citations_add_many(
        [(claims[key], values["sources"]) for key, values in zip(keys, batch, strict=True)], new_claim_ids=new_ids
    )
    fetch_by_claim = added.fetch
    to_fetch = sorted({source_id for ids in fetch_by_claim.values() for source_id in ids})
    if to_fetch or new_ids:
        transaction.on_commit(lambda: _after_store(new_ids, to_fetch))

    # A new claim's tags and citations are exactly what this transaction wrote: hand them
    # over with the claim so that showing it does not read them back.
    if new:
        tag_names: dict[int, set[str]] = {}
        for claim, name in tag_pairs:
            tag_names.setdefault(claim.pk, set()).add(name)
        citations: dict[int, list[Citation]] = {}
        for citation in added.citations:
            citations.setdefault(citation.claim_id, []).append(citation)
        for claim in new.values():
            _related_known(claim, "tags", [tags[name] for name in sorted(tag_names.get(claim.pk, ()))])
            _related_known(claim, "citations", citations.get(claim.pk, []))

    results = []
    first_seen: set[str] = set()
    for key in keys:
        claim = claims[key]
        created = key in new and key not in first_seen
        first_seen.add(key)
        results.append(
            IntakeResult(claim=claim, duplicate=not created, new_source_ids=fetch_by_claim.pop(claim.pk, []))
        )
    return results


def _insert_new(model: type[Model], candidates: Mapping[str, Model], key: str) -> set[str]:
    """Insert the candidates whose unique ``key`` is free, in one statement; return the keys inserted.

    ``INSERT … ON CONFLICT DO NOTHING RETURNING``: intake's usual case (a new text, new URLs)
    needs no look-up before the insert, and a key another transaction stored meanwhile is
    skipped instead of failing the batch. ``bulk_create`` ignores conflicts or returns ids, not
    both, so this drives the same insert compiler with a RETURNING clause of its own.
    """
    if not candidates:
        return set()
    opts = model._meta
    database = router.db_for_write(model)
    objs = list(candidates.values())
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values([f for f in opts.concrete_fields if not f.generated and f is not opts.auto_field], objs)
    compiler = query.get_compiler(using=database)
    compiler.returning_fields = [opts.pk, opts.get_field(key)]
    [(sql, params)] = compiler.as_sql()
    with connections[database].cursor() as cursor:
        cursor.execute(sql, params)
        inserted = {value: pk for pk, value in cursor.fetchall()}
    for value, pk in inserted.items():
        obj = candidates[value]
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = database
    return set(inserted)


def _stored(model: type[Model], key: str, values: Iterable[str]) -> dict[str, Any]:
    """The rows already stored under these unique keys; a key whose row vanished since is retried."""
    values = set(values)
    found = {getattr(row, key): row for row in model.objects.filter(**{f"{key}__in": values}).order_by()}
    if len(found) < len(values):  # deleted between our insert and this look-up: store the batch again
        raise IntegrityError(f"{model.__name__} rows vanished while storing")
    return found


def _related_known(instance: Any, name: str, objects: list[Any]) -> None:
    """Make ``instance.<name>.all()`` answer ``objects`` without a query, as ``prefetch_related`` does."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = queryset


def _after_store(new_claim_ids: list[int], source_ids: list[int]) -> None:
    """After commit: hand new sources and claims to the workers, then announce new claims (e.g. AUTO_ASSIGN)."""
    intake_followup_enqueue(new_claim_ids, source_ids)
    for claim_id in new_claim_ids:
        claim_created.send_robust(sender=Claim, claim_id=claim_id)


def intake_followup_enqueue(claim_ids: list[int], source_ids: list[int]) -> bool:
    """Hand what a store created to the workers in ONE message; ``intake_followup_run`` fans it out there.

    Each message costs the web process Celery's message building and a Redis round trip
    (about 0.3 ms of CPU), so a claim with three sources sends one, not four. A broker outage is not an
    error: the sources stay unsent (``enqueued_at`` empty) and the claims unmatched, which
    is exactly what the fetch and matching sweeps look for.
    """
    if not claim_ids and not source_ids:
        return False
    what = f"follow-up of {len(claim_ids)} claim(s) and {len(source_ids)} source(s)"
    if not tasks_send(FOLLOWUP_TASK, [(list(claim_ids), list(source_ids))], what=what):
        return False
    if source_ids:
        # Sent, in the sense the fetch sweep reads: it re-sends only if no fetch follows for a while.
        Source.objects.filter(pk__in=source_ids).update(enqueued_at=timezone.now())
    return True


def intake_followup_run(claim_ids: list[int], source_ids: list[int]) -> tuple[int, int]:
    """In a worker: one fetch message per source (the fetch's own retries and lease need their own
    messages), and the new claims to the matcher's queue. Idempotent: fetching and matching are."""
    sent = sources_enqueue(source_ids)
    matched = claims_match_enqueue(claim_ids) if claim_ids else 0
    return sent, matched


def _tags_get_or_create(names: Iterable[str]) -> dict[str, Tag]:
    names = set(names)
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = names - tags.keys()
    if missing:
        Tag.objects.bulk_create([Tag(name=name) for name in sorted(missing)], ignore_conflicts=True)
        tags.update({tag.name: tag for tag in Tag.objects.filter(name__in=missing)})
    return tags


@dataclass
class CitationsAdded:
    fetch: dict[int, list[int]]  # per claim id, the ids of sources that need fetching
    citations: list[Citation]  # the citations written, with their claim and source


def _citations_add_many(
    cited: list[tuple[Claim, list[dict[str, Any]]]], *, new_claim_ids: Iterable[int] = ()
) -> CitationsAdded:
    """Attach sources to claims; say which sources need fetching and which citations were written.

    A source is fetched when it is new, or when it failed before and is newly cited.
    ``new_claim_ids`` are claims inserted by the current transaction: they cite nothing yet.
    """
    wanted: dict[tuple[int, str], tuple[Claim, dict[str, Any]]] = {}
    for claim, items in cited:
        for item in items:
            wanted.setdefault((claim.pk, url_key(item["canonical_url"])), (claim, item))
    if not wanted:
        return CitationsAdded(fetch={}, citations=[])
    candidates: dict[str, Source] = {}
    for (_, canonical_hash), (_, item) in wanted.items():
        if canonical_hash not in candidates:
            candidates[canonical_hash] = Source(
                url=item["url"], canonical_url=item["canonical_url"], canonical_hash=canonical_hash
            )
    inserted = _insert_new(Source, candidates, "canonical_hash")
    new_sources = {
        canonical_hash: source for canonical_hash, source in candidates.items() if canonical_hash in inserted
    }
    sources: dict[str, Source] = dict(new_sources)
    if len(new_sources) < len(candidates):
        sources.update(_stored(Source, "canonical_hash", candidates.keys() - new_sources.keys()))

    claim_ids = {claim_id for claim_id, _ in wanted} - set(new_claim_ids)
    already = set()
    if claim_ids:
        already = set(
            Citation.objects.filter(claim_id__in=claim_ids, source_id__in=[s.pk for s in sources.values()]).values_list(
                "claim_id", "source_id"
            )
        )
    citations = []
    fetch: dict[int, list[int]] = {}
    failed: dict[int, Source] = {}
    for (claim_id, canonical_hash), (claim, item) in wanted.items():
        source = sources[canonical_hash]
        if (claim_id, source.pk) in already:
            continue
        citations.append(Citation(claim=claim, source=source, context=item["context"]))
        if canonical_hash in new_sources:
            fetch.setdefault(claim_id, []).append(source.pk)
        elif source.fetch_status == FetchStatus.FAILED:
            failed[source.pk] = source
            fetch.setdefault(claim_id, []).append(source.pk)
    Citation.objects.bulk_create(citations, ignore_conflicts=True)
    if failed:
        # A newly cited page that failed before gets another full try.
        Source.objects.filter(pk__in=failed, fetch_status=FetchStatus.FAILED).update(**CYCLE_START)
        for source in failed.values():
            for name, value in CYCLE_START.items():
                setattr(source, name, value)
    return CitationsAdded(fetch=fetch, citations=citations)


def _citations_add(claim: Claim, sources: list[dict[str, Any]]) -> list[int]:
    """Attach sources to a claim; return ids of sources that need fetching."""
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _citations_add_many([(claim, sources)]).fetch.get(claim.pk, [])
        except IntegrityError:  # another request stored one of the URLs first: look again
            if attempt == STORE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def claim_cite(claim: Claim, urls: Iterable[str], context: str = "") -> list[int]:
    """Add cited URLs to an existing claim (e.g. a verdict's evidence); new sources are fetched after commit."""
    items = [{"url": validate_http_url(url), "context": context} for url in urls]
    for item in items:
        item["canonical_url"] = canonicalize_url(item["url"])
    with transaction.atomic():
        to_fetch = _citations_add(claim, items)
        if to_fetch:
            transaction.on_commit(lambda: sources_enqueue(to_fetch))
    return to_fetch


# --- Bulk import ------------------------------------------------------------------------


@dataclass
class RowReport:
    row: int
    status: str  # created | duplicate | error
    id: int | None = None
    errors: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "status": self.status, "id": self.id, "errors": self.errors}


IMPORT_BATCH = 500


def claims_import(
    rows: Iterable[Mapping[str, Any] | InvalidInput],
    *,
    user: AbstractBaseUser | None = None,
    api_key: ApiKey | None = None,
) -> list[RowReport]:
    """Check each row on its own: a bad row is reported and does not affect the others.

    Valid rows are stored like ``claim_submit`` stores one claim (same rules, same
    deduplication, a duplicate of an earlier row reported as such), a batch at a time
    so that a 10,000-row file does not cost 10,000 transactions. A row may also be an
    ``InvalidInput`` already: one the file reader could not make sense of.
    """
    reports: list[RowReport] = []
    valid: list[tuple[RowReport, dict[str, Any]]] = []

    def store() -> None:
        results = _claims_store([values for _, values in valid], channel=Channel.IMPORT, user=user, api_key=api_key)
        for (report, _), result in zip(valid, results, strict=True):
            report.status = "duplicate" if result.duplicate else "created"
            report.id = result.claim.pk
        valid.clear()

    for number, row in enumerate(rows, start=1):
        report = RowReport(row=number, status="error")
        reports.append(report)
        if isinstance(row, InvalidInput):
            report.errors = row.fields
            continue
        try:
            valid.append((report, claim_validate(row, ignore_unknown=True)))
        except InvalidInput as exc:
            report.errors = exc.fields
            continue
        if len(valid) >= IMPORT_BATCH:
            store()
    if valid:
        store()
    return reports
