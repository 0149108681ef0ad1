"""``POST /api/v1/claims/`` stays lean: a fixed handful of queries, and a response built from what was stored.

The create response of a new claim is built from the rows intake just wrote instead of reading
them back; these tests check that it says exactly what the claim's detail says afterwards.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.choices import FetchStatus
from claims.models import Source
from tests.claims.broker import drain
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"


def submit(client, body: dict, capture_callbacks):
    """POST a claim and run its after-commit work (publishing the fetches), as a real request does."""
    with capture_callbacks(execute=True):
        return client.post(CLAIMS, data=json.dumps(body), content_type="application/json")


def queries_for_post(client, body: dict, capture_callbacks) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = submit(client, body, capture_callbacks)
    assert response.status_code == 201, response.content[:500]
    return [query["sql"] for query in ctx.captured_queries]


def test_a_new_claim_costs_a_fixed_handful_of_queries(intake_client, django_capture_on_commit_callbacks):
    # The key's first use records its last use, a tag's first use creates it: warm up so that
    # both requests below take the common path.
    warm_up = {"text": "Warm-up claim", "tags": ["health", "budget"], "sources": []}
    submit(intake_client, warm_up, django_capture_on_commit_callbacks)
    one = queries_for_post(
        intake_client,
        {"text": "One source cited", "tags": ["health"], "sources": ["https://one.example.org/a"]},
        django_capture_on_commit_callbacks,
    )
    ten = queries_for_post(
        intake_client,
        {
            "text": "Ten sources cited",
            "tags": ["health", "budget"],
            "sources": [f"https://ten.example.org/{n}" for n in range(10)],
        },
        django_capture_on_commit_callbacks,
    )
    assert len(ten) == len(one), "\n".join(ten)
    # Key lookup; insert the claim (no look-up first: ON CONFLICT tells a stored text); find the tags,
    # insert the links; insert the sources, insert the citations; after commit, mark the sources sent;
    # plus the savepoint pair the test transaction adds. No re-reading of what was just written.
    assert len(one) <= 9, "\n".join(one)
    assert not any(sql.lstrip().startswith('SELECT "claims_citation"') for sql in one), "\n".join(one)


def test_a_new_claim_publishes_one_message_whatever_its_sources(intake_client, django_capture_on_commit_callbacks):
    """Each message costs the web process a Redis round trip and Celery's message building: a claim with
    ten sources publishes one, and the worker that runs it sends the ten fetches and the claim to the matcher."""
    drain(run_followups=False)
    urls = [f"https://ten.example.org/{n}" for n in range(10)]
    response = submit(
        intake_client, {"text": "Ten sources, one message", "sources": urls}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 201
    published = drain(run_followups=False)
    assert [message.task for message in published.followups + published.others] == ["claims.tasks.intake_followup"]

    claim_id, source_ids = published.followups[0].args
    assert claim_id == [response.json()["id"]]
    assert sorted(source_ids) == sorted(source["id"] for source in response.json()["sources"])
    assert Source.objects.filter(pk__in=source_ids, enqueued_at__isnull=False).count() == 10

    from claims.tasks import intake_followup

    intake_followup(*published.followups[0].args)  # as a worker runs it
    fanned_out = drain(run_followups=False).others
    assert sorted(message.args[0] for message in fanned_out if message.task == "claims.tasks.fetch_source") == sorted(
        source_ids
    )
    assert [message.args[0] for message in fanned_out if message.task == "claims.tasks.match_claims"] == [claim_id]


def test_the_create_response_says_what_the_detail_says_afterwards(intake_client, django_capture_on_commit_callbacks):
    failed = SourceFactory(url="https://flaky.example.org/x", fetch_status=FetchStatus.FAILED, attempts=5)
    known = SourceFactory(url="https://known.example.org/y", title="Known page")
    response = submit(
        intake_client,
        {
            "text": "The budget doubled",
            "claimant": "A senator",
            "language": "pt-br",
            "tags": ["Budget", "economy", "budget"],
            "priority": "urgent",
            "sources": [
                {"url": "https://new.example.org/z?utm_source=x", "context": "paragraph 2"},
                failed.url,
                known.url,
            ],
        },
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 201
    created = response.json()
    assert created.pop("duplicate") is False
    detail = intake_client.get(f"{CLAIMS}{created['id']}/").json()
    detail.pop("workflow", None)  # other apps' extensions belong to the detail, not to the create response
    assert created == detail
    assert created["tags"] == ["budget", "economy"]
    by_url = {source["canonical_url"]: source for source in created["sources"]}
    assert by_url["https://flaky.example.org/x"]["fetch_status"] == "pending"  # a newly cited failure is retried
    assert by_url["https://flaky.example.org/x"]["attempts"] == 0
    assert by_url["https://known.example.org/y"]["title"] == "Known page"
    assert Source.objects.get(pk=failed.pk).fetch_status == FetchStatus.PENDING


def test_a_duplicate_shows_every_source_of_the_existing_claim(intake_client, django_capture_on_commit_callbacks):
    first = submit(
        intake_client,
        {"text": "Taxes fell", "tags": ["tax"], "sources": ["https://a.example.org/1"]},
        django_capture_on_commit_callbacks,
    )
    again = submit(
        intake_client,
        {"text": "taxes  fell", "tags": ["economy"], "sources": ["https://b.example.org/2"]},
        django_capture_on_commit_callbacks,
    )
    assert again.status_code == 200
    body = again.json()
    assert body["id"] == first.json()["id"] and body["duplicate"] is True
    assert [source["canonical_url"] for source in body["sources"]] == [
        "https://a.example.org/1",
        "https://b.example.org/2",
    ]
    assert body["tags"] == ["economy", "tax"]
