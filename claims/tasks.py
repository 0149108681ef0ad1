"""Celery tasks of the claims app: thin wrappers that load by id and call ``claims.archive``."""

from celery import shared_task

from claims import archive


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
