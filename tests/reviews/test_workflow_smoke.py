import pytest

from claims.choices import ClaimStatus
from reviews import workflow
from reviews.models import VerdictVersion, WorkflowEvent
from reviews.people import user_add
from tests.factories import ClaimFactory


@pytest.mark.django_db
def test_walk_a_claim_from_queue_to_published():
    checker = user_add("checker", "factchecker", ["en"])
    editor = user_add("editor", "editor", ["en"])
    claim = ClaimFactory(language="en-GB")
    taken = workflow.claim_take_next(checker)
    assert taken.pk == claim.pk and taken.status == ClaimStatus.ASSIGNED
    workflow.verdict_save_draft(checker, claim.pk, {"rating": "false", "summary": "No.", "analysis": "**Because**"})
    workflow.review_submit(checker, claim.pk)
    workflow.review_send_back(editor, claim.pk, "Add a source")
    workflow.review_submit(checker, claim.pk)
    with pytest.raises(workflow.NotAllowed):
        workflow.review_approve(checker, claim.pk)
    workflow.review_approve(editor, claim.pk)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED
    assert claim.verdict.slug and claim.verdict.published_version.number == 2
    assert list(WorkflowEvent.objects.filter(claim=claim).values_list("action", flat=True)) == [
        "take", "submit", "send_back", "submit", "approve",
    ]  # fmt: skip
    workflow.verdict_correct(editor, claim.pk, {"rating": "mostly-false"}, "Rating softened after new data.")
    assert VerdictVersion.objects.filter(verdict=claim.verdict).count() == 3
    claim.verdict.refresh_from_db()
    assert claim.verdict.published_version.number == 2  # a new rating waits for a second editor
    with pytest.raises(workflow.NotAllowed):
        workflow.correction_approve(editor, claim.pk)
    workflow.correction_approve(user_add("chief", "editor", []), claim.pk)
    claim.verdict.refresh_from_db()
    assert claim.verdict.published_version.number == 3
    with pytest.raises(workflow.WorkflowError, match="published"):
        workflow.review_submit(checker, claim.pk)


@pytest.mark.django_db
def test_self_approval_refused_by_the_database():
    from django.db import IntegrityError

    editor = user_add("ed", "editor", [])
    claim = ClaimFactory()
    workflow.claim_take_next(editor)
    workflow.verdict_save_draft(editor, claim.pk, {"rating": "true", "summary": "Yes."})
    workflow.review_submit(editor, claim.pk)
    version = VerdictVersion.objects.get()
    version.approved_by = editor
    with pytest.raises(IntegrityError):
        version.save()
