"""Background work of the desk: idle assignments go back to the queue; AUTO_ASSIGN hands out new claims."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from claims.choices import ClaimStatus
from reviews import tasks, workflow
from reviews.models import Assignment, Notification, WorkflowEvent
from reviews.people import user_add
from tests.factories import ClaimFactory
from tests.reviews.desk import claim_in_state, desk


def make_idle(claim, hours: float = 1) -> None:
    """Simulate time passing: the assignment's deadline is already behind us."""
    Assignment.objects.active().filter(claim=claim).update(due_at=timezone.now() - timedelta(hours=hours))


@pytest.mark.django_db
def test_idle_assignments_return_to_the_queue():
    team = desk()
    idle = claim_in_state(ClaimStatus.ASSIGNED, team)
    busy = claim_in_state(ClaimStatus.ASSIGNED, team)
    waiting_for_approval = claim_in_state(ClaimStatus.SUBMITTED, team)
    make_idle(idle)
    make_idle(waiting_for_approval)

    assert tasks.assignments_release_stale() == 1

    idle.refresh_from_db()
    busy.refresh_from_db()
    waiting_for_approval.refresh_from_db()
    assert idle.status == ClaimStatus.NEW
    assert busy.status == ClaimStatus.ASSIGNED
    assert waiting_for_approval.status == ClaimStatus.SUBMITTED
    assert not Assignment.objects.active().filter(claim=idle).exists()
    assert Assignment.objects.get(claim=idle).release_reason == "timeout"
    event = WorkflowEvent.objects.filter(claim=idle).last()
    assert (event.action, event.actor, event.from_state, event.to_state) == ("release", None, "assigned", "new")
    # Back in the queue: someone can take it again.
    assert workflow.claim_take_next(team.other).pk == idle.pk
    assert tasks.assignments_release_stale() == 0, "running the job again changes nothing"


@pytest.mark.django_db
def test_saving_the_draft_pushes_the_deadline_back():
    team = desk()
    claim = claim_in_state(ClaimStatus.ASSIGNED, team)
    make_idle(claim)
    workflow.verdict_save_draft(team.assignee, claim.pk, {"summary": "Still working."})
    assert tasks.assignments_release_stale() == 0
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ASSIGNED


@pytest.mark.django_db
def test_auto_assign_picks_the_least_loaded_fact_checker_in_the_claims_language(django_capture_on_commit_callbacks):
    busy = user_add("busy", "factchecker", ["en"])
    idle = user_add("idle", "factchecker", ["en"])
    user_add("french", "factchecker", ["fr"])
    user_add("boss", "editor", ["en"])  # editors are not handed work by the machine
    workflow.claim_assign(user_add("chief", "editor", []), ClaimFactory().pk, busy)
    claim = ClaimFactory(language="en-GB")

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.claim_auto_assign(claim.pk) == "idle"

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ASSIGNED
    assert Assignment.objects.active().get(claim=claim).assignee == idle
    event = WorkflowEvent.objects.filter(claim=claim).get()
    assert event.action == "assign" and event.actor is None and event.data == {"assignee": "idle", "auto": True}
    assert Notification.objects.filter(user=idle, claim=claim).exists()
    assert tasks.claim_auto_assign(claim.pk) is None, "an assigned claim is left alone"


@pytest.mark.django_db
def test_auto_assign_leaves_a_claim_nobody_can_read_in_the_queue():
    user_add("english", "factchecker", ["en"])
    claim = ClaimFactory(language="pt-BR")
    assert workflow.claim_auto_assign(claim.pk) is None
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEW
    assert workflow.claim_auto_assign(999999) is None


@pytest.mark.django_db
def test_the_claim_created_receiver_only_acts_with_auto_assign(settings):
    from reviews.receivers import on_claim_created

    user_add("english", "factchecker", ["en"])
    claim = ClaimFactory()
    settings.AUTO_ASSIGN = False
    on_claim_created(sender=None, claim_id=claim.pk)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEW
