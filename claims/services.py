"""Business rules of the claims app: intake, bulk import and API keys.

Every intake channel (API, web form, bulk import, admin) goes through
``claim_submit`` so that all of them validate and deduplicate the same way.
Source fetching and preservation live in ``claims.archive``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from claims.archive import sources_enqueue
from claims.choices import ApiScope, Channel, FetchStatus
from claims.models import ApiKey, Citation, Claim, Source, Tag
from claims.normalize import claim_text_key, url_key
from claims.validation import ClaimInput


class InvalidInput(Exception):
    """Input refused; ``fields`` maps each field name to its messages."""

    def __init__(self, fields: Mapping[str, Any], message: str = "The submitted data is not valid."):
        super().__init__(message)
        self.message = message
        self.fields = dict(fields)


@dataclass
class IntakeResult:
    claim: Claim
    duplicate: bool
    new_source_ids: list[int] = field(default_factory=list)


def error_messages(errors: Mapping[str, Any]) -> dict[str, list[str]]:
    """Serializer errors as ``{field: [message, ...]}``, the one shape every channel reports.

    Errors of list items (``{"sources": {2: [...]}}``) become messages naming the
    item, counted from 1; errors about the input as a whole go under ``"_"``.
    """

    def messages(detail: Any) -> list[str]:
        if isinstance(detail, Mapping):
            return [
                f"Item {int(index) + 1}: {message}" if str(index).isdigit() else f"{index}: {message}"
                for index, item in detail.items()
                for message in messages(item)
            ]
        if isinstance(detail, (list, tuple)):
            return [message for item in detail for message in messages(item)]
        return [str(detail)]

    return {("_" if name == "non_field_errors" else str(name)): messages(detail) for name, detail in errors.items()}


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
    sources = values.pop("sources")
    tag_names = values.pop("tags")
    with transaction.atomic():
        claim, created = _claim_get_or_create(
            values,
            channel=channel,
            user=user if user is not None and user.is_authenticated else None,
            api_key=api_key,
        )
        if tag_names:
            claim.tags.add(*_tags_get_or_create(tag_names))
        to_fetch = _citations_add(claim, sources)
        if to_fetch:
            transaction.on_commit(lambda: sources_enqueue(to_fetch))
    return IntakeResult(claim=claim, duplicate=not created, new_source_ids=to_fetch)


def _claim_get_or_create(values: dict[str, Any], *, channel: str, user, api_key) -> tuple[Claim, bool]:
    key = claim_text_key(values["text"])
    existing = Claim.objects.filter(text_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                text_key=key, channel=channel, submitted_by=user, submitted_by_key=api_key, **values
            )
        return claim, True
    except IntegrityError:
        # Another request stored the same text between our read and our insert.
        return Claim.objects.get(text_key=key), False


def _tags_get_or_create(names: Iterable[str]) -> list[Tag]:
    names = list(names)
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    for name in names:
        if name not in existing:
            existing[name], _ = Tag.objects.get_or_create(name=name)
    return [existing[name] for name in names]


def _citations_add(claim: Claim, sources: list[dict[str, Any]]) -> list[int]:
    """Attach sources to a claim; return ids of sources that need fetching."""
    to_fetch: list[int] = []
    if not sources:
        return to_fetch
    cited = set(claim.citations.values_list("source__canonical_hash", flat=True))
    for item in sources:
        canonical_hash = url_key(item["canonical_url"])
        if canonical_hash in cited:
            continue
        source, created = Source.objects.get_or_create(
            canonical_hash=canonical_hash, defaults={"url": item["url"], "canonical_url": item["canonical_url"]}
        )
        if created:
            to_fetch.append(source.id)
        elif source.fetch_status == FetchStatus.FAILED:
            # A newly cited page that failed before gets another full try.
            Source.objects.filter(pk=source.pk, fetch_status=FetchStatus.FAILED).update(
                fetch_status=FetchStatus.PENDING, attempts=0, next_attempt_at=None, enqueued_at=None
            )
            to_fetch.append(source.id)
        Citation.objects.get_or_create(claim=claim, source=source, defaults={"context": item["context"]})
        cited.add(canonical_hash)
    return to_fetch


def claim_cite(claim: Claim, urls: Iterable[str], context: str = "") -> list[int]:
    """Add cited URLs to an existing claim (e.g. a verdict's evidence); new sources are fetched after commit."""
    from claims.normalize import canonicalize_url
    from claims.validation import validate_http_url

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


def claims_import(
    rows: Iterable[Mapping[str, Any] | InvalidInput],
    *,
    user: AbstractBaseUser | None = None,
    api_key: ApiKey | None = None,
) -> list[RowReport]:
    """Submit each row on its own: a bad row is reported and does not affect the others.

    A row may also be an ``InvalidInput`` already: one the file reader could not make sense of.
    """
    reports = []
    for number, row in enumerate(rows, start=1):
        if isinstance(row, InvalidInput):
            reports.append(RowReport(row=number, status="error", errors=row.fields))
            continue
        try:
            result = claim_submit(row, channel=Channel.IMPORT, user=user, api_key=api_key, ignore_unknown=True)
        except InvalidInput as exc:
            reports.append(RowReport(row=number, status="error", errors=exc.fields))
            continue
        reports.append(RowReport(row=number, status="duplicate" if result.duplicate else "created", id=result.claim.id))
    return reports


# --- API keys ---------------------------------------------------------------------------

API_KEY_PREFIX = "fck"
LAST_USED_PRECISION = timedelta(minutes=1)


def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(*, name: str, scopes: Iterable[str], user: AbstractBaseUser | None = None) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is shown once and never stored."""
    scopes = sorted(set(scopes))
    unknown = [scope for scope in scopes if scope not in api_scopes()]
    errors: dict[str, list[str]] = {}
    if unknown:
        errors["scopes"] = [f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(api_scopes())}."]
    if not scopes:
        errors["scopes"] = ["Give at least one scope."]
    if not name.strip():
        errors["name"] = ["Give the key a name."]
    if errors:
        raise InvalidInput(errors)
    prefix = secrets.token_hex(4)
    raw = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(name=name.strip(), prefix=prefix, key_hash=_hash_key(raw), scopes=scopes, user=user)
    return key, raw


def api_scopes() -> list[str]:
    """Every scope a key may carry; other apps add theirs with ``api_scope_register``."""
    return [*ApiScope.values, *_EXTRA_SCOPES]


_EXTRA_SCOPES: list[str] = []


def api_scope_register(scope: str) -> None:
    if scope not in _EXTRA_SCOPES and scope not in ApiScope.values:
        _EXTRA_SCOPES.append(scope)


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key matching ``raw``, or None. Records when it was last used."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    key = ApiKey.objects.active().select_related("user").filter(prefix=parts[1]).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash_key(raw)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def api_key_revoke(key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
