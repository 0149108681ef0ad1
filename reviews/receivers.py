"""What the review desk does when the claims app announces something (claims never imports reviews)."""

from __future__ import annotations

from django.conf import settings


def on_claim_created(sender, claim_id: int, **kwargs) -> None:
    """AUTO_ASSIGN: a new claim goes to the least-loaded matching fact-checker, in the background."""
    if not settings.AUTO_ASSIGN:
        return
    from reviews.tasks import claim_auto_assign

    claim_auto_assign.delay(claim_id)


def connect_claim_signals() -> None:
    from claims.signals import claim_created

    claim_created.connect(on_claim_created, dispatch_uid="reviews.auto_assign")
