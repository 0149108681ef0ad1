"""Every (state, action, role) of the workflow, allowed and refused, through the services and the API.

The expectations are written out by hand below (not derived from ``workflow.TRANSITIONS``),
so that a change of the rules has to change this table too.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from claims.choices import ClaimStatus
from claims.models import Claim
from reviews import workflow
from reviews.models import Verdict, VerdictVersion, WorkflowEvent
from tests.reviews.desk import ROLES, STATES, claim_in_state, desk, published_correction, review_client

COMMENT = "Checked against the budget documents."

# Columns: new, assigned, submitted, published, dismissed, retracted.
# ok: the action happens; 403: this person may not; 409: the claim's state does not allow it.
EXPECTED = {
    "submit": {
        "assignee": "409 ok  409 409 409 409",
        "other": "409 403 409 409 409 409",
        "editor": "409 403 409 409 409 409",
        "admin": "409 403 409 409 409 409",
    },
    "approve": {
        "assignee": "403 403 403 403 403 403",
        "other": "403 403 403 403 403 403",
        "editor": "409 409 ok  409 409 409",
        "admin": "409 409 ok  409 409 409",
    },
    "send_back": {
        "assignee": "403 403 403 403 403 403",
        "other": "403 403 403 403 403 403",
        "editor": "409 409 ok  409 409 409",
        "admin": "409 409 ok  409 409 409",
    },
    "dismiss": {
        "assignee": "403 403 403 403 403 403",
        "other": "403 403 403 403 403 403",
        "editor": "ok  ok  409 409 409 409",
        "admin": "ok  ok  409 409 409 409",
    },
    "reopen": {
        "assignee": "403 403 403 403 403 403",
        "other": "403 403 403 403 403 403",
        "editor": "409 409 409 409 ok  409",
        "admin": "409 409 409 409 ok  409",
    },
    "retract": {
        "assignee": "403 403 403 403 403 403",
        "other": "403 403 403 403 403 403",
        "editor": "409 409 409 ok  409 409",
        "admin": "409 409 409 ok  409 409",
    },
    "correct": {
        "assignee": "403 403 403 403 403 403",
        "other": "403 403 403 403 403 403",
        "editor": "409 409 409 ok  409 409",
        "admin": "409 409 409 ok  409 409",
    },
    "assign": {
        "assignee": "403 403 403 403 403 403",
        "other": "403 403 403 403 403 403",
        "editor": "ok  ok  409 409 409 409",
        "admin": "ok  ok  409 409 409 409",
    },
}
STATE_AFTER = {
    "submit": ClaimStatus.SUBMITTED,
    "approve": ClaimStatus.PUBLISHED,
    "send_back": ClaimStatus.ASSIGNED,
    "dismiss": ClaimStatus.DISMISSED,
    "reopen": ClaimStatus.NEW,
    "retract": ClaimStatus.RETRACTED,
    "correct": ClaimStatus.PUBLISHED,
    "assign": ClaimStatus.ASSIGNED,
}

CASES = [
    pytest.param(action, str(state), role, outcome, id=f"{action}-{state}-{role}")
    for action, by_role in EXPECTED.items()
    for role in ROLES
    for state, outcome in zip(STATES, by_role[role].split(), strict=True)
]


def run_service(action: str, actor, claim_id: int, team) -> None:
    if action == "assign":
        workflow.claim_assign(actor, claim_id, team.other)
    elif action == "correct":
        workflow.verdict_correct(actor, claim_id, {"analysis": "Corrected analysis."}, COMMENT)
    else:
        service = {
            "submit": workflow.review_submit,
            "approve": workflow.review_approve,
            "send_back": workflow.review_send_back,
            "dismiss": workflow.claim_dismiss,
            "reopen": workflow.claim_reopen,
            "retract": workflow.verdict_retract,
        }[action]
        service(actor, claim_id, COMMENT)


def call_api(action: str, client, claim_id: int, team):
    if action == "assign":
        return client.post(f"/api/v1/claims/{claim_id}/assign/", {"user": team.other.username}, format="json")
    if action == "correct":
        body = {"analysis": "Corrected analysis.", "note": COMMENT}
        return client.post(f"/api/v1/claims/{claim_id}/correct/", body, format="json")
    body = {"action": action, "comment": COMMENT}
    return client.post(f"/api/v1/claims/{claim_id}/transition/", body, format="json")


def assert_outcome(claim: Claim, state: str, action: str, outcome: str, events_before: int) -> None:
    claim.refresh_from_db()
    events = list(WorkflowEvent.objects.filter(claim=claim).order_by("id"))
    if outcome == "ok":
        assert claim.status == STATE_AFTER[action]
        assert len(events) == events_before + 1
        assert events[-1].action == action and events[-1].from_state == state
        assert events[-1].to_state == claim.status
    else:
        assert claim.status == state, "a refused action must not change the state"
        assert len(events) == events_before, "a refused action must not leave an audit row"


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "state", "role", "outcome"), CASES)
def test_service(action, state, role, outcome):
    team = desk()
    claim = claim_in_state(state, team)
    events_before = WorkflowEvent.objects.filter(claim=claim).count()
    refusal = {"403": workflow.NotAllowed, "409": workflow.WorkflowError}.get(outcome)
    if refusal is None:
        run_service(action, team.person(role), claim.pk, team)
    else:
        with pytest.raises(refusal):
            run_service(action, team.person(role), claim.pk, team)
    assert_outcome(claim, state, action, outcome, events_before)


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "state", "role", "outcome"), CASES)
def test_api(action, state, role, outcome):
    team = desk()
    claim = claim_in_state(state, team)
    events_before = WorkflowEvent.objects.filter(claim=claim).count()
    response = call_api(action, review_client(team.person(role)), claim.pk, team)
    expected_status = 200 if outcome == "ok" else int(outcome)
    assert response.status_code == expected_status, response.content
    if outcome == "ok":
        body = response.json()
        claim_body = body if action == "assign" else body["claim"]
        assert claim_body["workflow"]["state"] == STATE_AFTER[action]
        if action != "assign":
            assert body["state"] == STATE_AFTER[action]
    else:
        error = response.json()["error"]
        assert error["code"] == {"403": "permission_denied", "409": "conflict"}[outcome]
        if outcome == "409":
            assert f"state: {state}" in error["message"]
    assert_outcome(claim, state, action, outcome, events_before)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "state"),
    [("send_back", ClaimStatus.SUBMITTED), ("dismiss", ClaimStatus.NEW), ("retract", ClaimStatus.PUBLISHED)],
)
def test_a_required_comment_is_missing(action, state):
    team = desk()
    claim = claim_in_state(state, team)
    with pytest.raises(workflow.InvalidReview) as raised:
        run_service_without_comment(action, team.editor, claim.pk)
    assert "comment" in raised.value.fields
    response = review_client(team.editor).post(
        f"/api/v1/claims/{claim.pk}/transition/", {"action": action, "comment": "   "}, format="json"
    )
    assert response.status_code == 400
    assert "comment" in response.json()["error"]["fields"]
    claim.refresh_from_db()
    assert claim.status == state


def run_service_without_comment(action, actor, claim_id):
    {"send_back": workflow.review_send_back, "dismiss": workflow.claim_dismiss, "retract": workflow.verdict_retract}[
        action
    ](actor, claim_id, "  ")


@pytest.mark.django_db
def test_an_editor_cannot_approve_their_own_verdict():
    team = desk()
    claim = claim_in_state(ClaimStatus.NEW, team)
    workflow.claim_assign(team.chief, claim.pk, team.editor)
    workflow.verdict_save_draft(team.editor, claim.pk, {"rating": "true", "summary": "Yes."})
    workflow.review_submit(team.editor, claim.pk)
    claim.refresh_from_db()
    assert "approve" not in workflow.allowed_actions(team.editor, claim)
    assert "approve" in workflow.allowed_actions(team.admin, claim)

    with pytest.raises(workflow.NotAllowed, match="You wrote or edited"):
        workflow.review_approve(team.editor, claim.pk)
    response = review_client(team.editor).post(
        f"/api/v1/claims/{claim.pk}/transition/", {"action": "approve"}, format="json"
    )
    assert response.status_code == 403
    assert "You wrote or edited" in response.json()["error"]["message"]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED

    workflow.review_approve(team.admin, claim.pk)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED


@pytest.mark.django_db
def test_the_database_refuses_an_approver_who_is_the_author():
    team = desk()
    claim = claim_in_state(ClaimStatus.SUBMITTED, team)
    version = VerdictVersion.objects.get(verdict__claim=claim)
    with pytest.raises(IntegrityError, match=r"four-eyes|verdictversion_approver_is_not_author"):
        VerdictVersion.objects.filter(pk=version.pk).update(approved_by=team.assignee)


@pytest.mark.django_db
def test_a_correction_keeps_the_old_version_and_is_public():
    team = desk()
    claim = claim_in_state(ClaimStatus.PUBLISHED, team)
    published_correction(team.editor, team.chief, claim.pk, {"rating": "mostly-false"}, "New figures from the city.")
    verdict = Verdict.objects.get(claim=claim)
    numbers = list(verdict.versions.values_list("number", "kind", "rating__slug"))
    assert numbers == [(1, "submitted", "false"), (2, "correction", "mostly-false")]
    assert verdict.published_version.number == 2
    event = WorkflowEvent.objects.filter(claim=claim).last()
    assert event.action == "correct" and event.public and event.comment == "New figures from the city."
