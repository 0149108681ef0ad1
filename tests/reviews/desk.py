"""Test helpers for the review desk: a small team, claims brought to a given state, API clients."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework.test import APIClient

from claims.choices import ClaimStatus
from claims.intake.keys import api_key_create
from claims.models import Claim
from reviews import workflow
from reviews.people import user_add
from tests.factories import ClaimFactory

ROLES = ["assignee", "other", "editor", "admin"]
STATES = [
    ClaimStatus.NEW,
    ClaimStatus.ASSIGNED,
    ClaimStatus.SUBMITTED,
    ClaimStatus.PUBLISHED,
    ClaimStatus.DISMISSED,
    ClaimStatus.RETRACTED,
]


@dataclass
class Desk:
    assignee: object  # the fact-checker who holds (or will hold) the claim
    other: object  # another fact-checker
    editor: object
    admin: object
    chief: object  # a second editor, who brings claims to their state in the setup

    def person(self, role: str):
        return getattr(self, role)


def desk() -> Desk:
    return Desk(
        assignee=user_add("ana", "factchecker", ["en"]),
        other=user_add("olu", "factchecker", ["en"]),
        editor=user_add("eda", "editor", []),
        admin=user_add("adm", "admin", []),
        chief=user_add("chief", "editor", []),
    )


def ratings_ensure() -> None:
    """The default rating scale, for transactional tests: their database flush removes migration data."""
    from reviews.ratings import ratings_ensure as install_default_scale

    install_default_scale()


def claim_in_state(state: str, team: Desk, **claim_fields) -> Claim:
    """A claim walked through the real workflow services to ``state``."""
    claim = ClaimFactory(**claim_fields)
    if state == ClaimStatus.NEW:
        return claim
    if state == ClaimStatus.DISMISSED:
        workflow.claim_dismiss(team.chief, claim.pk, "Not checkable.")
        return Claim.objects.get(pk=claim.pk)
    workflow.claim_assign(team.chief, claim.pk, team.assignee)
    workflow.verdict_save_draft(
        team.assignee, claim.pk, {"rating": "false", "summary": "It is not so.", "analysis": "*Because.*"}
    )
    if state != ClaimStatus.ASSIGNED:
        workflow.review_submit(team.assignee, claim.pk)
    if state in (ClaimStatus.PUBLISHED, ClaimStatus.RETRACTED):
        workflow.review_approve(team.chief, claim.pk)
    if state == ClaimStatus.RETRACTED:
        workflow.verdict_retract(team.chief, claim.pk, "The claim was misquoted.")
    claim = Claim.objects.get(pk=claim.pk)
    assert claim.status == state
    return claim


def key_client(*scopes: str, user=None) -> APIClient:
    """An API client holding a fresh key with these scopes, acting as ``user``."""
    _, raw = api_key_create(name="test", scopes=scopes, user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def review_client(user) -> APIClient:
    return key_client("review", "read", user=user)


def published_correction(proposer, approver, claim_id: int, data: dict, note: str) -> Claim:
    """A correction as the desk publishes it: proposed by one editor and, where it must be, approved by another."""
    claim = workflow.verdict_correct(proposer, claim_id, data, note)
    if claim.events.order_by("-id").values_list("action", flat=True).first() == "propose_correction":
        claim = workflow.correction_approve(approver, claim_id)
    return claim
