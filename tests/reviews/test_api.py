"""The workflow API through the real URL conf: what each endpoint returns and refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.choices import Channel, ClaimStatus, FetchStatus, Priority
from claims.models import Claim, Tag
from reviews import workflow
from reviews.models import Assignment, WorkflowEvent
from reviews.people import user_add
from tests.factories import CitationFactory, ClaimFactory, SourceFactory, UserFactory
from tests.reviews.desk import claim_in_state, desk, key_client, published_correction, review_client


def ids(response) -> list[int]:
    return [claim["id"] for claim in response.json()["results"]]


# --- The queue --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_queue_lists_new_claims_most_urgent_first_then_oldest():
    team = desk()
    now = timezone.now()
    old_normal = ClaimFactory(priority=Priority.NORMAL, created_at=now - timedelta(days=2))
    new_normal = ClaimFactory(priority=Priority.NORMAL, created_at=now - timedelta(days=1))
    urgent = ClaimFactory(priority=Priority.URGENT, created_at=now)
    low = ClaimFactory(priority=Priority.LOW, created_at=now - timedelta(days=9))
    claim_in_state(ClaimStatus.ASSIGNED, team)  # not in the queue
    claim_in_state(ClaimStatus.DISMISSED, team)
    response = review_client(team.assignee).get("/api/v1/queue/")
    assert response.status_code == 200
    assert ids(response) == [urgent.pk, old_normal.pk, new_normal.pk, low.pk]
    assert response.json()["results"][0]["priority"] == "urgent"


@pytest.mark.django_db
def test_the_queue_filters():
    team = desk()
    english = ClaimFactory(language="en-GB", channel=Channel.FORM)
    french = ClaimFactory(language="fr", channel=Channel.API)
    french.tags.add(Tag.objects.create(name="health"))
    fetched, pending = SourceFactory(fetch_status=FetchStatus.FETCHED), SourceFactory()
    CitationFactory(claim=english, source=fetched)
    CitationFactory(claim=french, source=pending)
    no_sources = ClaimFactory(language="de")
    client = review_client(team.editor)

    def listed(query: str) -> set[int]:
        response = client.get(f"/api/v1/queue/?{query}")
        assert response.status_code == 200, response.content
        return set(ids(response))

    assert listed("language=en") == {english.pk}
    assert listed("language=fr,de") == {french.pk, no_sources.pk}
    assert listed("tag=Health") == {french.pk}
    assert listed("channel=form") == {english.pk}
    assert listed("has_sources_fetched=true") == {english.pk, no_sources.pk}
    assert listed("has_sources_fetched=false") == {french.pk}
    assert client.get("/api/v1/queue/?channel=pigeon").status_code == 400
    assert client.get("/api/v1/queue/?has_sources_fetched=maybe").status_code == 400


@pytest.mark.django_db
def test_the_queue_pages_through_ties_without_gaps_or_repeats(settings):
    settings.API_MAX_PAGE_SIZE = 4
    team = desk()
    created = timezone.now()
    claims = [ClaimFactory(priority=i % 2, created_at=created) for i in range(11)]  # many exact ties
    expected = [c.pk for c in sorted(claims, key=lambda c: (-c.priority, c.pk))]
    client = review_client(team.assignee)
    seen, url = [], "/api/v1/queue/?limit=1000"
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 4, "the page size is bounded"
        seen += [claim["id"] for claim in body["results"]]
        url = body["next"]
    assert seen == expected
    assert client.get("/api/v1/queue/?cursor=bogus").status_code == 404


@pytest.mark.django_db
def test_take_assigns_the_top_claim_in_my_languages_then_204_when_empty():
    team = desk()
    ClaimFactory(language="fr", priority=Priority.URGENT)
    mine = ClaimFactory(language="en-US")
    client = review_client(team.assignee)  # works in English
    response = client.post("/api/v1/queue/take/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == mine.pk
    assert body["workflow"]["state"] == ClaimStatus.ASSIGNED
    assert body["workflow"]["assignee"] == team.assignee.username
    assert "submit" in body["workflow"]["allowed_actions"]
    response = client.post("/api/v1/queue/take/")
    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.django_db
def test_my_claims_lists_only_my_active_assignments():
    team = desk()
    mine = claim_in_state(ClaimStatus.ASSIGNED, team)
    claim_in_state(ClaimStatus.PUBLISHED, team)  # assignment released on publication
    theirs = ClaimFactory()
    workflow.claim_assign(team.editor, theirs.pk, team.other)
    body = review_client(team.assignee).get("/api/v1/my-claims/").json()
    assert [row["claim"]["id"] for row in body["results"]] == [mine.pk]
    assert body["results"][0]["assigned_by"] == team.chief.username
    assert body["results"][0]["due_at"]


@pytest.mark.django_db
def test_load_counts_active_assignments_per_person():
    team = desk()
    for _ in range(3):
        claim_in_state(ClaimStatus.ASSIGNED, team)
    workflow.claim_assign(team.editor, ClaimFactory().pk, team.other)
    claim_in_state(ClaimStatus.PUBLISHED, team)  # released: not counted
    UserFactory(username="outsider")  # not on the desk
    rows = {row["username"]: row for row in review_client(team.editor).get("/api/v1/load/").json()}
    assert set(rows) == {"ana", "olu", "eda", "adm", "chief"}
    assert rows["ana"]["active_assignments"] == 3
    assert rows["olu"]["active_assignments"] == 1
    assert rows["eda"]["active_assignments"] == 0
    assert rows["ana"]["role"] == "factchecker" and rows["ana"]["languages"] == ["en"]


# --- Assignment ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_assign_one_claim_and_refuse_bad_input():
    team = desk()
    claim = ClaimFactory()
    client = review_client(team.editor)
    response = client.post(f"/api/v1/claims/{claim.pk}/assign/", {"user": "olu"}, format="json")
    assert response.status_code == 200
    assert response.json()["workflow"]["assignee"] == "olu"
    assert client.post(f"/api/v1/claims/{claim.pk}/assign/", {"user": "nobody"}, format="json").json()["error"][
        "fields"
    ] == {"user": ["No active user named 'nobody'."]}
    UserFactory(username="reader")
    response = client.post(f"/api/v1/claims/{claim.pk}/assign/", {"user": "reader"}, format="json")
    assert response.status_code == 400 and "user" in response.json()["error"]["fields"]
    response = client.post(f"/api/v1/claims/{claim.pk}/assign/", {"user": "olu", "due": 1}, format="json")
    assert response.status_code == 400 and response.json()["error"]["fields"] == {"due": ["Unknown field."]}
    assert client.post("/api/v1/claims/999999/assign/", {"user": "olu"}, format="json").status_code == 404


@pytest.mark.django_db
def test_bulk_assign_is_all_or_nothing():
    team = desk()
    fresh = [ClaimFactory() for _ in range(3)]
    submitted = claim_in_state(ClaimStatus.SUBMITTED, team)
    client = review_client(team.editor)
    response = client.post(
        "/api/v1/claims/assign/", {"claims": [c.pk for c in fresh] + [submitted.pk], "user": "olu"}, format="json"
    )
    assert response.status_code == 409
    assert f"Claim {submitted.pk}" in response.json()["error"]["message"]
    assert not Assignment.objects.filter(assignee=team.other).exists()
    assert Claim.objects.filter(pk__in=[c.pk for c in fresh], status=ClaimStatus.NEW).count() == 3

    response = client.post("/api/v1/claims/assign/", {"claims": [fresh[0].pk, 999999], "user": "olu"}, format="json")
    assert response.status_code == 404
    assert not Assignment.objects.filter(assignee=team.other).exists()

    response = client.post("/api/v1/claims/assign/", {"claims": [c.pk for c in fresh], "user": "olu"}, format="json")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == sorted(c.pk for c in fresh)
    assert Assignment.objects.active().filter(assignee=team.other).count() == 3
    assert client.post("/api/v1/claims/assign/", {"claims": [], "user": "olu"}, format="json").status_code == 400


# --- The verdict --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_assignee_writes_the_draft_with_put_and_patch():
    team = desk()
    claim = claim_in_state(ClaimStatus.NEW, team)
    workflow.claim_assign(team.editor, claim.pk, team.assignee)
    client = review_client(team.assignee)
    url = f"/api/v1/claims/{claim.pk}/verdict/"
    body = {
        "rating": "mostly-false",
        "summary": "Not quite.",
        "analysis": "The **budget** says otherwise.\n\n<script>alert(1)</script>",
        "evidence": ["https://city.example.org/budget.pdf", {"url": "https://stats.example.org/", "note": "Table 4"}],
    }
    response = client.put(url, body, format="json")
    assert response.status_code == 200, response.content
    draft = response.json()["draft"]
    assert draft["rating"] == "mostly-false" and draft["summary"] == "Not quite."
    assert "<strong>budget</strong>" in draft["analysis_html"] and "<script" not in draft["analysis_html"]
    assert [item["url"] for item in draft["evidence"]] == [
        "https://city.example.org/budget.pdf",
        "https://stats.example.org/",
    ]
    cited = set(claim.citations.values_list("source__url", flat=True))
    assert {"https://city.example.org/budget.pdf", "https://stats.example.org/"} <= cited

    draft = client.patch(url, {"summary": "Mostly not."}, format="json").json()["draft"]
    assert draft["summary"] == "Mostly not." and draft["rating"] == "mostly-false"  # untouched by PATCH

    draft = client.put(url, {"summary": "Only a summary."}, format="json").json()["draft"]
    assert draft["rating"] is None and draft["evidence"] == [] and draft["analysis"] == ""  # PUT replaces

    response = client.patch(url, {"rating": "pants-on-fire", "evidence": ["ftp://x"]}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"rating", "evidence"}
    assert client.patch(url, {"summary": "x" * 2001}, format="json").status_code == 400


@pytest.mark.django_db
def test_the_verdict_shows_the_draft_and_every_version():
    team = desk()
    claim = claim_in_state(ClaimStatus.PUBLISHED, team)
    published_correction(team.editor, team.chief, claim.pk, {"summary": "Corrected."}, "Typo.")
    body = review_client(team.other).get(f"/api/v1/claims/{claim.pk}/verdict/").json()
    assert body["state"] == ClaimStatus.PUBLISHED and body["published_version"] == 2
    assert [(v["number"], v["kind"], v["author"]) for v in body["versions"]] == [
        (1, "submitted", "ana"),
        (2, "correction", "eda"),
    ]
    assert body["versions"][0]["approved_by"] == "chief"
    assert body["versions"][0]["analysis_html"] == "<p><em>Because.</em></p>"
    assert body["versions"][1]["note"] == "Typo."

    empty = review_client(team.other).get(f"/api/v1/claims/{ClaimFactory().pk}/verdict/").json()
    assert empty["versions"] == [] and empty["draft"]["rating"] is None
    assert review_client(team.other).get("/api/v1/claims/999999/verdict/").status_code == 404


@pytest.mark.django_db
def test_ratings_lists_the_scale():
    team = desk()
    body = key_client("read").get("/api/v1/ratings/").json()
    assert team and {"true", "false", "mostly-false"} <= {row["slug"] for row in body}
    assert set(body[0]) == {"slug", "label", "value", "colour", "definition"}


# --- Transitions, corrections, history ------------------------------------------------------


@pytest.mark.django_db
def test_submitting_an_incomplete_draft_names_the_missing_fields():
    team = desk()
    claim = claim_in_state(ClaimStatus.NEW, team)
    workflow.claim_assign(team.editor, claim.pk, team.assignee)
    response = review_client(team.assignee).post(
        f"/api/v1/claims/{claim.pk}/transition/", {"action": "submit"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"rating", "summary"}


@pytest.mark.django_db
def test_transition_refuses_unknown_actions_and_claims():
    team = desk()
    client = review_client(team.editor)
    claim = ClaimFactory()
    response = client.post(f"/api/v1/claims/{claim.pk}/transition/", {"action": "publish"}, format="json")
    assert response.status_code == 400 and "action" in response.json()["error"]["fields"]
    response = client.post(f"/api/v1/claims/{claim.pk}/transition/", {"action": "correct"}, format="json")
    assert response.status_code == 400  # corrections go through /correct/ with their content
    response = client.post("/api/v1/claims/999999/transition/", {"action": "dismiss", "comment": "x"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_correct_needs_a_note_and_a_published_verdict():
    team = desk()
    published = claim_in_state(ClaimStatus.PUBLISHED, team)
    client = review_client(team.editor)
    response = client.post(f"/api/v1/claims/{published.pk}/correct/", {"summary": "Better."}, format="json")
    assert response.status_code == 400 and "note" in response.json()["error"]["fields"]
    response = client.post(f"/api/v1/claims/{published.pk}/correct/", {"rating": "nope", "note": "n"}, format="json")
    assert response.status_code == 400 and "rating" in response.json()["error"]["fields"]
    response = client.post(
        f"/api/v1/claims/{published.pk}/correct/", {"rating": "true", "note": "New data."}, format="json"
    )
    assert response.status_code == 202 and response.json()["pending"] and response.json()["version"] == 2
    assert response.json()["claim"]["workflow"]["verdict"]["rating"] == "false"  # not public yet
    approve = {"action": "approve_correction", "comment": ""}
    response = client.post(f"/api/v1/claims/{published.pk}/transition/", approve, format="json")
    assert response.status_code == 403  # the editor who proposed it
    response = review_client(team.chief).post(f"/api/v1/claims/{published.pk}/transition/", approve, format="json")
    assert response.status_code == 200
    assert response.json()["claim"]["workflow"]["verdict"]["rating"] == "true"
    assert response.json()["claim"]["workflow"]["verdict"]["version"] == 2
    submitted = claim_in_state(ClaimStatus.SUBMITTED, team)
    response = client.post(f"/api/v1/claims/{submitted.pk}/correct/", {"note": "n"}, format="json")
    assert response.status_code == 409 and "state: submitted" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_history_lists_every_event_in_order():
    team = desk()
    claim = claim_in_state(ClaimStatus.SUBMITTED, team)
    workflow.review_send_back(team.editor, claim.pk, "Cite the budget line.")
    body = review_client(team.assignee).get(f"/api/v1/claims/{claim.pk}/history/").json()
    assert [(e["actor"], e["action"], e["from_state"], e["to_state"]) for e in body] == [
        ("chief", "assign", "new", "assigned"),
        ("ana", "submit", "assigned", "submitted"),
        ("eda", "send_back", "submitted", "assigned"),
    ]
    assert body[-1]["comment"] == "Cite the budget line." and body[-1]["created_at"]
    assert review_client(team.assignee).get("/api/v1/claims/999999/history/").status_code == 404


# --- The claim's ``workflow`` field ------------------------------------------------------------


@pytest.mark.django_db
def test_the_claim_detail_shows_its_workflow_and_published_verdict():
    team = desk()
    claim = claim_in_state(ClaimStatus.ASSIGNED, team)
    workflow_field = review_client(team.assignee).get(f"/api/v1/claims/{claim.pk}/").json()["workflow"]
    assert workflow_field["state"] == "assigned" and workflow_field["assignee"] == "ana"
    assert workflow_field["due_at"] and workflow_field["verdict"] is None
    assert workflow_field["allowed_actions"] == ["submit"]
    editor_view = review_client(team.editor).get(f"/api/v1/claims/{claim.pk}/").json()["workflow"]
    assert set(editor_view["allowed_actions"]) == {"assign", "dismiss"}

    workflow.review_submit(team.assignee, claim.pk)
    workflow.review_approve(team.editor, claim.pk)
    body = key_client("read").get(f"/api/v1/claims/{claim.pk}/").json()["workflow"]
    assert body["state"] == "published" and body["assignee"] is None and body["allowed_actions"] == []
    verdict = body["verdict"]
    assert verdict["rating"] == "false" and verdict["summary"] == "It is not so." and verdict["version"] == 1
    assert verdict["url"] == f"http://testserver/fact-checks/{verdict['slug']}/"
    assert verdict["published_at"]


# --- Query counts ------------------------------------------------------------------------------


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def tagged_claim_with_sources(tag: Tag) -> Claim:
    claim = ClaimFactory()
    claim.tags.add(tag)
    CitationFactory(claim=claim)
    CitationFactory(claim=claim)
    return claim


@pytest.mark.django_db
def test_the_queue_costs_the_same_queries_for_5_or_60_claims(django_assert_max_num_queries):
    team = desk()
    tag = Tag.objects.create(name="roads")
    client = review_client(team.assignee)
    for _ in range(5):
        tagged_claim_with_sources(tag)
    few = queries_for(client, "/api/v1/queue/")
    for _ in range(55):
        tagged_claim_with_sources(tag)
    with django_assert_max_num_queries(few):
        response = client.get("/api/v1/queue/?limit=60")
    assert len(response.json()["results"]) == 60


@pytest.mark.django_db
def test_my_claims_costs_the_same_queries_for_5_or_60_assignments(django_assert_max_num_queries):
    checker = user_add("busy", "factchecker", [])
    editor = user_add("boss", "editor", [])
    tag = Tag.objects.create(name="roads")
    client = review_client(checker)
    for _ in range(5):
        workflow.claim_assign(editor, tagged_claim_with_sources(tag).pk, checker)
    few = queries_for(client, "/api/v1/my-claims/")
    for _ in range(55):
        workflow.claim_assign(editor, tagged_claim_with_sources(tag).pk, checker)
    with django_assert_max_num_queries(few):
        response = client.get("/api/v1/my-claims/?limit=60")
    assert len(response.json()["results"]) == 60
    assert WorkflowEvent.objects.filter(action="assign").count() == 60
