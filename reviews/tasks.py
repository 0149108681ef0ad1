"""Celery tasks of the review desk: thin wrappers around ``reviews.workflow``."""

from celery import shared_task

from reviews import workflow


@shared_task(ignore_result=True)
def assignments_release_stale() -> int:
    """Beat job: claims idle past ASSIGNMENT_TIMEOUT_HOURS go back to the queue."""
    return workflow.assignments_release_stale()


@shared_task(ignore_result=True)
def claim_auto_assign(claim_id: int) -> str | None:
    """AUTO_ASSIGN: hand a newly submitted claim to the least-loaded matching fact-checker."""
    assignee = workflow.claim_auto_assign(claim_id)
    return assignee.get_username() if assignee else None


# Registered under their own names ("reviews.webhook_deliver", "reviews.webhook_deliveries_sweep").
from reviews import webhook_tasks  # noqa: E402, F401
