"""The review side of matching: published verdicts of matched claims, and reusing one with one action."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from claims.choices import ClaimStatus, MatchKind
from claims.matching import services as matching
from claims.models import ClaimMatch
from reviews import workflow
from reviews.choices import Action
from reviews.matching import claim_matches, verdict_reuse
from reviews.models import VerdictVersion, WorkflowEvent
from tests.reviews.desk import claim_in_state, desk, review_client

pytestmark = pytest.mark.django_db

CHECKED = "Crime in London rose by 12% last year according to police figures."
RESTATED = "London crime rose 12% last year, according to police figures"


@pytest.fixture
def team():
    return desk()


@pytest.fixture
def published(team):
    claim = claim_in_state(ClaimStatus.PUBLISHED, team, text=CHECKED)
    matching.claims_index([claim.pk])
    return claim


@pytest.fixture
def duplicate(team, published):
    """A new claim restating the published one, matched and assigned to the fact-checker."""
    claim = claim_in_state(ClaimStatus.ASSIGNED, team, text=RESTATED)
    matching.claims_match([claim.pk])
    return claim


def test_matches_carry_the_published_verdict(duplicate, published):
    rows = claim_matches(duplicate)
    assert rows[0]["claim_id"] == published.pk
    assert rows[0]["kind"] == MatchKind.DUPLICATE
    assert rows[0]["verdict_id"] == published.verdict.pk
    assert rows[0]["rating"] == published.verdict.published_version.rating.label
    assert rows[0]["verdict_url"].endswith(f"/fact-checks/{published.verdict.slug}/")


def test_reuse_submits_the_published_verdict_for_approval_and_records_it(team, duplicate, published):
    claim = verdict_reuse(team.assignee, duplicate.pk, published.pk)
    assert claim.status == ClaimStatus.SUBMITTED
    source = published.verdict.published_version
    version = VerdictVersion.objects.get(verdict__claim=duplicate)
    assert (version.rating_id, version.summary, version.analysis) == (source.rating_id, source.summary, source.analysis)
    assert version.author == team.assignee and version.approved_by is None
    event = WorkflowEvent.objects.filter(claim=duplicate, action=Action.SUBMIT).get()
    assert event.data["reused_verdict"] == published.verdict.pk
    assert event.data["match_kind"] == MatchKind.DUPLICATE and event.data["match_score"] > 0
    assert str(published.pk) in event.comment
    # The four-eyes rule still holds: the reuser cannot approve; another editor publishes it.
    workflow.review_approve(team.editor, duplicate.pk)
    assert duplicate.verdict.__class__.objects.get(claim=duplicate).published_version_id == version.pk


def test_reuse_is_refused_without_a_live_published_verdict(team, duplicate, published):
    other = claim_in_state(ClaimStatus.SUBMITTED, team, text="Another claim about the harbour budget.")
    with pytest.raises(workflow.WorkflowError, match="no published verdict"):
        verdict_reuse(team.assignee, duplicate.pk, other.pk)
    workflow.verdict_retract(team.chief, published.pk, "Misquoted.")
    with pytest.raises(workflow.WorkflowError):
        verdict_reuse(team.assignee, duplicate.pk, published.pk)
    assert not VerdictVersion.objects.filter(verdict__claim=duplicate, kind="submitted").exists()


def test_only_the_assignee_reuses(team, duplicate, published):
    with pytest.raises(workflow.NotAllowed):
        verdict_reuse(team.other, duplicate.pk, published.pk)
    assert duplicate.__class__.objects.get(pk=duplicate.pk).status == ClaimStatus.ASSIGNED


def test_reuse_api(team, duplicate, published):
    response = review_client(team.assignee).post(
        f"/api/v1/claims/{duplicate.pk}/reuse-verdict/", {"claim_id": published.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == ClaimStatus.SUBMITTED
    again = review_client(team.assignee).post(
        f"/api/v1/claims/{duplicate.pk}/reuse-verdict/", {"claim_id": published.pk}, format="json"
    )
    assert again.status_code == 409
    bad = review_client(team.assignee).post(f"/api/v1/claims/{duplicate.pk}/reuse-verdict/", {}, format="json")
    assert bad.status_code == 400 and "claim_id" in bad.json()["error"]["fields"]


def test_public_verdict_match_api(published):
    response = APIClient().get(
        "/api/v1/verdicts/match/", {"text": "police say London crime was up 12 percent last year"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body[0]["claim_id"] == published.pk
    assert body[0]["verdict_id"] == published.verdict.pk
    assert body[0]["kind"] in {"duplicate", "similar"}
    assert 0 < body[0]["score"] <= 1


def test_public_verdict_match_ignores_unpublished_and_retracted(team, published):
    unpublished = claim_in_state(ClaimStatus.NEW, team, text="Sea levels have risen by 20 centimetres since 1900.")
    matching.claims_index([unpublished.pk])
    client = APIClient()
    assert client.get("/api/v1/verdicts/match/", {"text": "Sea levels rose 20 cm since 1900"}).json() == []
    workflow.verdict_retract(team.chief, published.pk, "Misquoted.")
    assert client.get("/api/v1/verdicts/match/", {"text": RESTATED}).json() == []
    missing = client.get("/api/v1/verdicts/match/")
    assert missing.status_code == 400 and "text" in missing.json()["error"]["fields"]


def test_claims_similar_api_carries_verdicts(team, published):
    body = review_client(team.assignee).get("/api/v1/claims/similar/", {"text": RESTATED}).json()
    assert body[0]["claim_id"] == published.pk and body[0]["verdict_id"] == published.verdict.pk


def test_workspace_shows_matches_and_reuses_with_one_click(client, team, duplicate, published):
    client.force_login(team.assignee)
    page = client.get(f"/desk/claims/{duplicate.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Checked before?" in html and "Reuse this verdict" in html and f"#{published.pk}" in html
    response = client.post(f"/desk/claims/{duplicate.pk}/", {"action": "reuse", "reuse_claim_id": str(published.pk)})
    assert response.status_code == 302
    assert duplicate.__class__.objects.get(pk=duplicate.pk).status == ClaimStatus.SUBMITTED


def test_queue_shows_the_match(client, team, published):
    new = claim_in_state(ClaimStatus.NEW, team, text=RESTATED)
    matching.claims_match([new.pk])
    assert ClaimMatch.objects.filter(claim=new, matched=published).exists()
    client.force_login(team.other)
    html = client.get("/desk/").content.decode()
    assert f"Duplicate of #{published.pk}" in html
    assert "rated" in html
