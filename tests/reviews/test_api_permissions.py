"""Who may call each workflow endpoint: anonymous, each role, keys without the scope or without a user."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from claims.choices import ClaimStatus
from tests.reviews.desk import claim_in_state, desk, key_client, review_client


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {id} is the claim's id
    state: str = ClaimStatus.NEW
    body: dict | None = None
    scope: str = "review"  # the scope a key needs
    # expected status per role: assignee, other fact-checker, editor, admin
    assignee: int = 200
    other: int = 200
    editor: int = 200
    admin: int = 200


ENDPOINTS = {
    "queue": Endpoint("get", "/api/v1/queue/", scope="read"),
    "take": Endpoint("post", "/api/v1/queue/take/"),
    "my-claims": Endpoint("get", "/api/v1/my-claims/", scope="read"),
    "load": Endpoint("get", "/api/v1/load/", scope="read", assignee=403, other=403),
    "ratings": Endpoint("get", "/api/v1/ratings/", scope="read"),
    "assign": Endpoint("post", "/api/v1/claims/{id}/assign/", body={"user": "olu"}, assignee=403, other=403),
    "bulk-assign": Endpoint(
        "post", "/api/v1/claims/assign/", body={"claims": ["{id}"], "user": "olu"}, assignee=403, other=403
    ),
    "verdict-get": Endpoint("get", "/api/v1/claims/{id}/verdict/", state=ClaimStatus.ASSIGNED, scope="read"),
    "verdict-put": Endpoint(
        "put",
        "/api/v1/claims/{id}/verdict/",
        state=ClaimStatus.ASSIGNED,
        body={"rating": "true", "summary": "Yes."},
        other=403,
        editor=403,
        admin=403,
    ),
    "verdict-patch": Endpoint(
        "patch",
        "/api/v1/claims/{id}/verdict/",
        state=ClaimStatus.ASSIGNED,
        body={"summary": "Yes."},
        other=403,
        editor=403,
        admin=403,
    ),
    "transition": Endpoint(
        "post",
        "/api/v1/claims/{id}/transition/",
        state=ClaimStatus.SUBMITTED,
        body={"action": "approve"},
        assignee=403,
        other=403,
    ),
    "correct": Endpoint(
        "post",
        "/api/v1/claims/{id}/correct/",
        state=ClaimStatus.PUBLISHED,
        body={"analysis": "Fixed.", "note": "A typo."},
        assignee=403,
        other=403,
    ),
    "history": Endpoint("get", "/api/v1/claims/{id}/history/", state=ClaimStatus.ASSIGNED, scope="read"),
}
CALLERS = ["anonymous", "assignee", "other", "editor", "admin", "key-without-scope", "review-key-without-user"]


def call(client: APIClient, endpoint: Endpoint, claim_id: int):
    path = endpoint.path.format(id=claim_id)
    send = getattr(client, endpoint.method)
    if endpoint.body is None:
        return send(path)
    body = {name: [claim_id] if value == ["{id}"] else value for name, value in endpoint.body.items()}
    return send(path, body, format="json")


def client_for(caller: str, endpoint: Endpoint, team) -> APIClient:
    if caller == "anonymous":
        return APIClient()
    if caller == "key-without-scope":
        # A key for the right person that lacks the scope: intake for reads, read for writes.
        return key_client("intake" if endpoint.scope == "read" else "read", user=team.editor)
    if caller == "review-key-without-user":
        return key_client("review", "read")
    return review_client(team.person(caller))


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_who_may_call(name, caller):
    endpoint = ENDPOINTS[name]
    team = desk()
    claim = claim_in_state(endpoint.state, team)
    expected = {"anonymous": 401, "key-without-scope": 403, "review-key-without-user": 403}.get(caller)
    if expected is None:
        expected = getattr(endpoint, caller)
    response = call(client_for(caller, endpoint, team), endpoint, claim.pk)
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()["error"]) == {"code", "message", "fields"}
    if caller == "key-without-scope":
        assert f"'{endpoint.scope}' scope" in response.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["queue", "ratings"])
def test_a_read_key_without_a_user_reads_the_queue_and_the_scale(name):
    team = desk()
    claim_in_state(ClaimStatus.NEW, team)
    response = call(key_client("read"), ENDPOINTS[name], 0)
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["my-claims", "verdict-get", "history", "take"])
def test_a_read_key_without_a_user_cannot_see_desk_work(name):
    team = desk()
    claim = claim_in_state(ENDPOINTS[name].state, team)
    response = call(key_client("read", "intake"), ENDPOINTS[name], claim.pk)
    assert response.status_code == 403


@pytest.mark.django_db
def test_an_editor_session_works_and_a_fact_checker_session_does_not():
    team = desk()
    claim = claim_in_state(ClaimStatus.SUBMITTED, team)
    editor = APIClient()
    editor.force_login(team.editor)
    assert editor.get("/api/v1/queue/").status_code == 200
    response = editor.post(f"/api/v1/claims/{claim.pk}/transition/", {"action": "approve"}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == ClaimStatus.PUBLISHED
    checker = APIClient()
    checker.force_login(team.other)
    # Only staff use the API by session; fact-checkers use a key created with --user.
    assert checker.get("/api/v1/my-claims/").status_code == 401
