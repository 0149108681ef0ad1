"""``POST /api/v1/queue/take/`` renders the claim it took from the objects in hand: same body, few queries."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from claims.api.serializers import ClaimSerializer
from claims.models import Claim, Tag
from tests.factories import CitationFactory, ClaimFactory, UserFactory
from tests.reviews.desk import desk, review_client

# Key, permissions (one query), languages, the take (one UPDATE … RETURNING), the assignment
# and the event, tags and sources; the savepoints of the test's transaction come on top.
MAX_TAKE_QUERIES = 10


@pytest.mark.django_db
def test_take_answers_what_the_claim_page_shows_in_a_bounded_number_of_queries():
    team = desk()
    claim = ClaimFactory(language="en", submitted_by=UserFactory(username="reporter"))
    claim.tags.add(Tag.objects.create(name="budget"))
    for _ in range(2):
        CitationFactory(claim=claim)
    client = review_client(team.assignee)
    client.get("/api/v1/me/")  # warm up (content types, key last-use stamp)

    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/queue/take/")

    assert response.status_code == 200
    request = APIRequestFactory().get("/")
    request.user = team.assignee
    stored = ClaimSerializer(Claim.objects.with_sources().get(pk=claim.pk), context={"request": request}).data
    body = response.json()
    assert body == json.loads(JSONRenderer().render(stored)), "the body is the claim as stored, re-read"
    assert body["status"] == "assigned"
    assert body["tags"] == ["budget"]
    assert body["submitter"] == "reporter"
    assert len(body["sources"]) == 2
    assert body["workflow"]["assignee"] == team.assignee.username
    assert body["workflow"]["allowed_actions"] == ["submit"]
    assert body["workflow"]["due_at"]
    assert len(queries) <= MAX_TAKE_QUERIES + 1, [q["sql"][:80] for q in queries]  # +1: the submitter
