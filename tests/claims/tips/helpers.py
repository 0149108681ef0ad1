"""Bringing a tip's claim through the real workflow to publication, with its after-commit work run."""

from __future__ import annotations

from claims.models import Claim, TipNotification
from claims.tasks import tip_notification_send
from reviews import workflow
from tests.reviews.desk import Desk


def publish(team: Desk, claim_id: int, capture) -> Claim:
    """Assign, draft, submit and approve (two editors' four eyes); ``capture`` runs the on_commit work."""
    workflow.claim_assign(team.chief, claim_id, team.assignee)
    workflow.verdict_save_draft(
        team.assignee, claim_id, {"rating": "false", "summary": "It is not so.", "analysis": "No."}
    )
    workflow.review_submit(team.assignee, claim_id)
    with capture(execute=True):
        workflow.review_approve(team.chief, claim_id)
    return Claim.objects.get(pk=claim_id)


def run_notification_tasks() -> list[str]:
    """What a worker would do with every notification message: run the task (twice is harmless)."""
    return [tip_notification_send(pk) for pk in TipNotification.objects.order_by("id").values_list("id", flat=True)]
