"""Celery tasks of the claims app: thin wrappers that take ids and call the capabilities' services.

Services never import this module: they send by task name through ``factcheck.queue``.

``fetch_source`` is acknowledged only after it ran (``acks_late``), so a worker
killed mid-fetch leaves its message to be redelivered; running it twice is
harmless because ``source_fetch`` works under a lease. When a retry cannot be
published (broker down), the source stays ``pending`` with its
``next_attempt_at`` and the periodic sweep sends it again.
"""

from celery import shared_task

from claims.articles import services as articles
from claims.intake import idempotency, services
from claims.matching import services as matching
from claims.sources import archive
from claims.tips import notify as tip_notify
from claims.tips import services as tips


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def fetch_source(source_id: int) -> str:
    outcome = archive.source_fetch(source_id)
    if outcome.retry_in is not None:
        archive.sources_enqueue([source_id], countdown=outcome.retry_in)
    return outcome.outcome


@shared_task(ignore_result=True)
def sources_sweep() -> int:
    return archive.sources_sweep()


@shared_task(ignore_result=True)
def sources_recheck_due() -> int:
    return archive.sources_recheck_due()


@shared_task(ignore_result=True)
def idempotency_records_purge() -> int:
    return idempotency.records_purge()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def index_claims(claim_ids: list[int]) -> int:
    return matching.claims_index(claim_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def match_claims(claim_ids: list[int]) -> int:
    return matching.claims_match(claim_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def intake_followup(claim_ids: list[int], source_ids: list[int]) -> int:
    """What intake sends after commit: fan out the fetches, then match the claims."""
    sent, _ = services.intake_followup_run(claim_ids, source_ids)
    return sent


@shared_task(ignore_result=True)
def claims_match_sweep() -> int:
    return matching.claims_match_sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def process_article(article_id: int) -> str:
    outcome = articles.article_process(article_id)
    if outcome.retry_in is not None:
        articles.articles_enqueue([article_id], countdown=outcome.retry_in)
    return outcome.outcome


@shared_task(ignore_result=True)
def articles_sweep() -> int:
    return articles.articles_sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def tip_notification_send(notification_id: int) -> str:
    """Tell one tipster about the published verdict; a sent notification is never sent again."""
    outcome = tip_notify.tip_notification_send(notification_id)
    tip_notify.tip_notification_reschedule(notification_id, outcome)
    return outcome.outcome


@shared_task(ignore_result=True)
def tip_notifications_sweep() -> int:
    return tip_notify.tip_notifications_sweep()


@shared_task(ignore_result=True)
def tip_contacts_purge() -> int:
    """Beat job: delete tipsters' contacts past TIP_CONTACT_RETENTION_DAYS."""
    return tips.tip_contacts_purge()
