"""Reads of tips for the desk. Contacts are for staff pages only: never serialise them anywhere public."""

from __future__ import annotations

from django.db.models import QuerySet

from claims.models import Tip


def tips_of_claim(claim_id: int) -> QuerySet[Tip]:
    """The tips attached to a claim (merged-in ones too), oldest first, with their contacts."""
    return Tip.objects.filter(claim_id=claim_id).select_related("contact", "merged_from").order_by("id")


def claim_has_tips(claim_id: int) -> bool:
    return Tip.objects.filter(claim_id=claim_id).exists()
