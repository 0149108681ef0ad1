"""Celery tasks of the review desk: thin wrappers that take ids and call the services.

``webhook_deliver`` is acknowledged only after it ran, so a worker killed mid-send leaves its
message to be redelivered; running it twice is harmless because ``webhook_delivery_send`` works
under a lease and never re-sends a delivered delivery.
"""

from celery import shared_task

from reviews import webhooks, workflow


@shared_task(ignore_result=True)
def assignments_release_stale() -> int:
    """Beat job: claims idle past ASSIGNMENT_TIMEOUT_HOURS go back to the queue."""
    return workflow.assignments_release_stale()


@shared_task(ignore_result=True)
def claim_auto_assign(claim_id: int) -> str | None:
    """AUTO_ASSIGN: hand a newly submitted claim to the least-loaded matching fact-checker."""
    assignee = workflow.claim_auto_assign(claim_id)
    return assignee.get_username() if assignee else None


@shared_task(name="reviews.webhook_deliver", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def webhook_deliver(delivery_id: str) -> str:
    outcome = webhooks.webhook_delivery_send(delivery_id)
    webhooks.webhook_delivery_reschedule(delivery_id, outcome)
    return outcome.outcome


@shared_task(name="reviews.webhook_deliveries_sweep", ignore_result=True)
def webhook_deliveries_sweep() -> int:
    return webhooks.webhook_deliveries_sweep()
