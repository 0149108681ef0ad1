"""Celery tasks of the webhooks: thin wrappers that take ids and call ``reviews.webhooks``.

``webhook_deliver`` is acknowledged only after it ran, so a worker killed mid-send leaves its
message to be redelivered; running it twice is harmless because ``webhook_delivery_send`` works
under a lease and never re-sends a delivered delivery. Imported by ``reviews.tasks`` so that
Celery's autodiscovery registers them.
"""

from celery import shared_task

from reviews import webhooks


@shared_task(name="reviews.webhook_deliver", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def webhook_deliver(delivery_id: str) -> str:
    outcome = webhooks.webhook_delivery_send(delivery_id)
    webhooks.webhook_delivery_reschedule(delivery_id, outcome)
    return outcome.outcome


@shared_task(name="reviews.webhook_deliveries_sweep", ignore_result=True)
def webhook_deliveries_sweep() -> int:
    return webhooks.webhook_deliveries_sweep()
