"""Tips: a reader's tip becomes a claim through the one intake, with its contact kept apart.

``tip_submit`` is the one way in for every tip channel (form, API, Telegram, WhatsApp): it validates
the tip, stores the claim through ``claim_submit`` (channel ``tip``: duplicate detection, source
fetching and matching as for every claim), then the ``Tip`` and, if the reader left one, the
``TipContact`` that only staff see. A tip that repeats an already-published claim schedules the
tipster's notification at once; ``already_checked`` finds published verdicts saying the same thing
for the confirmation page.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from claims.choices import Channel, ClaimStatus, MatchKind
from claims.intake.services import claim_submit
from claims.matching.services import claims_annotations, find_similar, matches_as_dicts
from claims.models import Claim, Tip, TipContact
from claims.tips.notify import tip_notifications_create
from claims.tips.validation import MAX_LINKS, tip_validate

logger = logging.getLogger(__name__)

REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U
REFERENCE_LENGTH = 8
SOURCE_CONTEXT = "Where the tipster saw it"
MERGE_HOPS = 5  # a tip repeating a claim that was merged away goes to the claim it was merged into
PURGE_BATCH = 5000


@dataclass
class TipResult:
    """What ``tip_submit`` did; ``tip`` is None for a message already received (a redelivery)."""

    tip: Tip | None
    claim: Claim | None = None
    already_checked: list[dict] = field(default_factory=list)

    @property
    def created(self) -> bool:
        return self.tip is not None


def reference_new() -> str:
    return "T-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def contact_hash(kind: str, address: str) -> str:
    """A keyed hash of a contact: notifications deduplicate on it without keeping the address."""
    return salted_hmac("claims.tips.contact", f"{kind}:{address.strip().lower()}", algorithm="sha256").hexdigest()


def _merged_target(claim: Claim) -> Claim:
    """The claim a merged-away claim's tips went to (a tip repeating it belongs there), else the claim."""
    for _ in range(MERGE_HOPS):
        if claim.status != ClaimStatus.DISMISSED:
            break
        moved = Tip.objects.filter(merged_from=claim).select_related("claim").order_by("-merged_at").first()
        if moved is None or moved.claim_id == claim.pk:
            break
        claim = moved.claim
    return claim


def tip_submit(
    data: Any,
    *,
    channel: str,
    contact: tuple[str, str] | None = None,
    external_id: str | None = None,
    links: list[str] | tuple[str, ...] = (),
    find_checked: bool = False,
) -> TipResult:
    """Store one tip as (or on) a claim; ``InvalidInput`` naming the fields stores nothing.

    ``contact`` is a messaging sender (``(ContactKind, id)``); an ``email`` in ``data`` is the
    form's and API's. ``external_id`` (``telegram:<update_id>``…) makes a redelivery a no-op.
    ``links`` are further URLs of a message, already checked with ``validation.usable_links``.
    ``find_checked`` looks for published verdicts saying the same thing (costs a matching query).
    """
    values = tip_validate(data)
    if external_id and Tip.objects.filter(external_id=external_id).exists():
        return TipResult(tip=None)
    if values["email"]:
        contact = ("email", values["email"])
    urls = list(dict.fromkeys([u for u in [values["url"], *links] if u]))[:MAX_LINKS]
    claim_data = {
        "text": values["text"],
        "language": values["language"],
        "sources": [{"url": url, "context": SOURCE_CONTEXT} for url in urls],
    }
    for attempt in range(1, 4):
        try:
            with transaction.atomic():
                tip = _store(claim_data, values, channel=channel, contact=contact, external_id=external_id)
            break
        except IntegrityError:
            if external_id and Tip.objects.filter(external_id=external_id).exists():
                return TipResult(tip=None)  # the same message, delivered twice at once
            if attempt == 3:
                raise
    checked = already_checked(tip.claim, values["text"], values["language"]) if find_checked else []
    return TipResult(tip=tip, claim=tip.claim, already_checked=checked)


def _store(claim_data: dict, values: dict, *, channel: str, contact, external_id: str | None) -> Tip:
    result = claim_submit(claim_data, channel=Channel.TIP)
    claim = _merged_target(result.claim) if result.duplicate else result.claim
    tip = Tip.objects.create(
        reference=reference_new(),
        claim=claim,
        channel=channel,
        text=values["text"],
        url=values["url"],
        language=values["language"],
        external_id=external_id or None,
    )
    if contact is not None:
        kind, address = contact
        now = timezone.now()
        TipContact.objects.create(
            tip=tip,
            kind=kind,
            address=address,
            address_hash=contact_hash(kind, address),
            created_at=now,
            expires_at=now + timedelta(days=settings.TIP_CONTACT_RETENTION_DAYS),
        )
        if claim.status == ClaimStatus.PUBLISHED:  # already checked: the tipster hears now
            tip_notifications_create(claim.pk)
    return tip


def already_checked(claim: Claim, text: str, language: str, limit: int = 3) -> list[dict]:
    """Published verdicts on this claim, or on claims saying the same thing: ``[{"verdict_url", "rating", "text"}]``.

    Uses the desk's matching (the same as "Checked before?"): only duplicates count, not mere
    look-alikes. Matching trouble costs the reader the links, never the tip.
    """
    own = claims_annotations([claim.pk]).get(claim.pk, {})
    if own.get("verdict_url"):
        return [{"claim_id": claim.pk, "text": claim.text, **own}]
    try:
        found = find_similar(text, limit=limit, language=language, published_only=True, exclude_claim_id=claim.pk)
    except Exception:
        logger.warning("could not match tip %s against published verdicts", claim.pk, exc_info=True)
        return []
    rows = matches_as_dicts([match for match in found if match.kind == MatchKind.DUPLICATE])
    return [row for row in rows if row.get("verdict_url")]


def tips_merge(source_claim_id: int, target_claim_id: int) -> int:
    """Move a claim's tips, and so their contacts, to another claim; return how many moved.

    The review desk calls this from its merge transition, which closes the source claim and
    records it. Merging into a claim that is already published tells the merged tipsters now.
    """
    moved = Tip.objects.filter(claim_id=source_claim_id).update(
        claim_id=target_claim_id, merged_from_id=source_claim_id, merged_at=timezone.now()
    )
    if moved and Claim.objects.filter(pk=target_claim_id, status=ClaimStatus.PUBLISHED).exists():
        tip_notifications_create(target_claim_id)
    return moved


def tip_contacts_purge(now: datetime | None = None) -> int:
    """Beat job: delete contacts past their retention period (idempotent: run it as often as you like).

    A contact expires at the date set when it was stored, or sooner if ``TIP_CONTACT_RETENTION_DAYS``
    was lowered since: a shorter retention applies to the contacts already kept too.
    """
    now = now or timezone.now()
    expired = Q(expires_at__lte=now) | Q(created_at__lte=now - timedelta(days=settings.TIP_CONTACT_RETENTION_DAYS))
    deleted = 0
    while True:
        ids = list(TipContact.objects.filter(expired).values_list("id", flat=True)[:PURGE_BATCH])
        if not ids:
            return deleted
        deleted += TipContact.objects.filter(pk__in=ids).delete()[0]
