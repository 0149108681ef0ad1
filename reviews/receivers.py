"""What the review desk does when the claims app (or Django's auth) announces something (claims never imports reviews)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in

from claims.signals import claim_created
from factcheck.queue import tasks_send
from reviews.languages import on_user_logged_in

AUTO_ASSIGN_TASK = "reviews.tasks.claim_auto_assign"


def on_claim_created(sender, claim_id: int, **kwargs) -> None:
    """AUTO_ASSIGN: a new claim goes to the least-loaded matching fact-checker, in the background."""
    if settings.AUTO_ASSIGN:
        tasks_send(AUTO_ASSIGN_TASK, [(claim_id,)], what="auto-assignment")


def connect_claim_signals() -> None:
    claim_created.connect(on_claim_created, dispatch_uid="reviews.auto_assign")
    user_logged_in.connect(on_user_logged_in, dispatch_uid="reviews.preferred_language")
