"""``POST /api/v1/queue/take/`` renders the claim it took from the objects in hand: same body, few queries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from claims.api.serializers import ClaimSerializer
from claims.choices import ClaimStatus, Priority
from claims.models import Claim, Tag
from claims.normalize import claim_text_key
from reviews import workflow
from reviews.choices import Action
from reviews.models import Assignment, WorkflowEvent
from reviews.people import user_add
from tests.factories import CitationFactory, ClaimFactory, UserFactory
from tests.reviews.desk import desk, review_client

# The key, the person's permissions and languages (one query), the take (one statement: the claim,
# its assignment and its audit row), its tags and its sources. The test's transaction adds a
# savepoint around the take, not counted.
MAX_TAKE_QUERIES = 5


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
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(statements) <= MAX_TAKE_QUERIES + 1, [sql[:80] for sql in statements]  # +1: the submitter
    writes = [sql for sql in statements if sql.startswith(("WITH", "UPDATE", "INSERT"))]
    assert len(writes) == 1, "the claim, its assignment and its audit row are written by one statement"


def _queue(*specs: tuple[str, int, int]) -> list[Claim]:
    """Claims (language, priority, hours ago) created in this order."""
    now = timezone.now()
    return [
        ClaimFactory(language=language, priority=priority, created_at=now - timedelta(hours=hours))
        for language, priority, hours in specs
    ]


@pytest.mark.django_db
def test_take_serves_priority_then_age_then_id_and_only_my_languages():
    team = desk()  # the assignee works in English
    a_low_old, b_normal_new, c_urgent_new, d_french_urgent, e_normal_old, f_en_us = _queue(
        ("en", Priority.LOW, 90),
        ("en", Priority.NORMAL, 1),
        ("en", Priority.URGENT, 2),
        ("fr", Priority.URGENT, 99),
        ("en-GB", Priority.NORMAL, 50),
        ("EN-us", Priority.NORMAL, 50),
    )
    f_en_us.created_at = e_normal_old.created_at  # a tie on (priority, created_at): the older id goes first
    f_en_us.save(update_fields=["created_at"])

    taken = [workflow.claim_take_next(team.assignee) for _ in range(6)]

    assert [claim.pk if claim else None for claim in taken] == [
        c_urgent_new.pk,
        e_normal_old.pk,
        f_en_us.pk,
        b_normal_new.pk,
        a_low_old.pk,
        None,  # the French claim is not for an English fact-checker
    ]
    d_french_urgent.refresh_from_db()
    assert d_french_urgent.status == ClaimStatus.NEW


@pytest.mark.django_db
def test_a_regional_language_takes_only_its_region_and_several_families_take_from_each():
    team = desk()
    british = user_add("bea", "factchecker", ["en-GB"])
    bilingual = user_add("fran", "factchecker", ["fr", "de"])
    en, en_gb, fr_ca, de, es = _queue(("en", 2, 5), ("en-gb", 1, 1), ("fr-CA", 1, 3), ("de", 1, 4), ("es", 3, 9))

    assert workflow.claim_take_next(british).pk == en_gb.pk
    assert workflow.claim_take_next(british) is None, "plain 'en' is not 'en-GB'"
    assert [workflow.claim_take_next(bilingual).pk for _ in range(2)] == [de.pk, fr_ca.pk]
    assert workflow.claim_take_next(bilingual) is None
    assert workflow.claim_take_next(team.assignee).pk == en.pk
    assert Claim.objects.get(pk=es.pk).status == ClaimStatus.NEW


@pytest.mark.django_db
def test_take_writes_the_assignment_and_the_audit_row_with_the_claim():
    team = desk()
    (claim,) = _queue(("en", Priority.NORMAL, 3))
    before = timezone.now()

    taken = workflow.claim_take_next(team.assignee)

    assert taken.pk == claim.pk and taken.status == ClaimStatus.ASSIGNED
    stored = Claim.objects.get(pk=claim.pk)
    assert stored.status == ClaimStatus.ASSIGNED and stored.updated_at >= before
    assignment = Assignment.objects.active().get(claim=claim)
    assert (assignment.assignee, assignment.assigned_by, assignment.release_reason) == (
        team.assignee,
        team.assignee,
        "",
    )
    expected_due = before + timedelta(hours=settings.ASSIGNMENT_TIMEOUT_HOURS)
    assert expected_due <= assignment.due_at <= timezone.now() + timedelta(hours=settings.ASSIGNMENT_TIMEOUT_HOURS)
    in_hand = workflow.active_assignment(taken)
    assert (in_hand.pk, in_hand.assignee_id, in_hand.due_at) == (assignment.pk, team.assignee.pk, assignment.due_at)
    event = WorkflowEvent.objects.get(claim=claim)
    assert (event.actor, event.action, event.from_state, event.to_state) == (
        team.assignee,
        Action.TAKE,
        ClaimStatus.NEW,
        ClaimStatus.ASSIGNED,
    )
    assert (event.comment, event.public, event.data) == ("", False, {})
    assert before <= event.created_at <= timezone.now()


@pytest.mark.django_db
def test_the_portable_path_takes_the_same_claims_with_the_same_rows():
    """SQLite takes in three statements in a transaction; run here, it must agree with the one statement."""
    team = desk()
    first, second = _queue(("en", Priority.HIGH, 1), ("en", Priority.NORMAL, 8))
    actor = team.assignee

    def portable_take() -> Claim | None:
        assignment = Assignment(assignee=actor, assigned_by=actor, due_at=timezone.now() + timedelta(hours=1))
        event = WorkflowEvent(actor=actor, action=Action.TAKE, from_state="new", to_state="assigned")
        return workflow._take_in_a_transaction(("en",), assignment, event)

    assert portable_take().pk == first.pk
    assert workflow.claim_take_next(actor).pk == second.pk
    assert portable_take() is None
    rows = Assignment.objects.active().filter(assignee=actor).values_list("claim_id", flat=True)
    assert sorted(rows) == sorted([first.pk, second.pk])
    events = WorkflowEvent.objects.filter(action=Action.TAKE, actor=actor).values_list("claim_id", flat=True)
    assert sorted(events) == sorted([first.pk, second.pk])


@pytest.mark.django_db
def test_an_english_take_reads_the_english_part_of_the_queue_index_only():
    """Claims in languages nobody here takes pile up at the top; the take must not read past them."""
    team = desk()
    now = timezone.now()
    Claim.objects.bulk_create(
        Claim(
            text=f"Affirmation {i}",
            text_key=claim_text_key(f"Affirmation {i}"),
            language="fr",
            priority=Priority.URGENT,
            created_at=now - timedelta(days=10, seconds=i),
        )
        for i in range(3000)
    )
    (english,) = _queue(("en", Priority.LOW, 1))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
        sql, params = workflow._take_top_sql(tuple(workflow.languages_of(team.assignee)))
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", [ClaimStatus.ASSIGNED, timezone.now(), *params])
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "claim_take_queue_family" in plan, plan
    assert "Sort" not in plan and "Rows Removed by Filter" not in plan, plan
    assert Claim.objects.get(pk=english.pk).status == ClaimStatus.ASSIGNED
