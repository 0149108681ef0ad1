"""Many people at the same queue, two editors on the same verdict: on the real PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count

from claims.choices import ClaimStatus
from claims.models import Claim
from claims.normalize import claim_text_key
from reviews import workflow
from reviews.models import Assignment, WorkflowEvent
from reviews.people import user_add
from tests.reviews.desk import claim_in_state, desk, ratings_ensure

THREADS = 20
CALLS_PER_THREAD = 100
QUEUED = 1500

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
# No serialized_rollback: restoring the serialized rows clashes with the role groups that
# post_migrate re-creates after another transactional test's flush. The scale is re-added instead.


def run_threads(count: int, target) -> list[BaseException]:
    """Run ``target(index)`` in ``count`` threads started together; return what they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return errors


def test_twenty_people_taking_from_the_queue_never_get_the_same_claim():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    people = [user_add(f"checker{i}", "factchecker", []).pk for i in range(THREADS)]
    Claim.objects.bulk_create(
        Claim(text=f"Queued claim {i}", text_key=claim_text_key(f"Queued claim {i}"), priority=i % 4)
        for i in range(QUEUED)
    )
    taken: list[list[int | None]] = [[] for _ in range(THREADS)]

    def take(index: int) -> None:
        user = get_user_model().objects.get(pk=people[index])  # each thread its own user object
        for _ in range(CALLS_PER_THREAD):
            claim = workflow.claim_take_next(user)
            taken[index].append(claim.pk if claim else None)

    errors = run_threads(THREADS, take)

    assert errors == []
    claim_ids = [claim_id for results in taken for claim_id in results if claim_id is not None]
    assert len(claim_ids) == QUEUED, "every queued claim is handed out (2,000 calls for 1,500 claims)"
    assert len(set(claim_ids)) == QUEUED, "no claim is handed out twice"
    assert sum(results.count(None) for results in taken) == THREADS * CALLS_PER_THREAD - QUEUED
    per_claim = Assignment.objects.active().values("claim").annotate(n=Count("id")).values_list("n", flat=True)
    assert Counter(per_claim) == {1: QUEUED}
    assert WorkflowEvent.objects.filter(action="take").count() == QUEUED
    assert WorkflowEvent.objects.filter(action="take").values("claim").distinct().count() == QUEUED
    assert not Claim.objects.filter(status=ClaimStatus.NEW).exists()
    # The holder of each claim is the person whose call returned it.
    holders = dict(Assignment.objects.active().values_list("claim_id", "assignee_id"))
    for index, results in enumerate(taken):
        for claim_id in filter(None, results):
            assert holders[claim_id] == people[index]


@pytest.mark.parametrize("round_", range(5))
def test_approve_and_send_back_at_once_exactly_one_wins(round_):
    ratings_ensure()
    team = desk()
    second_editor = user_add("eda2", "editor", [])
    claim = claim_in_state(ClaimStatus.SUBMITTED, team)
    outcomes: dict[str, object] = {}

    def decide(index: int) -> None:
        try:
            if index == 0:
                workflow.review_approve(get_user_model().objects.get(pk=team.editor.pk), claim.pk)
            else:
                workflow.review_send_back(
                    get_user_model().objects.get(pk=second_editor.pk), claim.pk, "Needs a second source."
                )
            outcomes["approve" if index == 0 else "send_back"] = "won"
        except workflow.WorkflowError as exc:
            outcomes["approve" if index == 0 else "send_back"] = exc

    assert run_threads(2, decide) == []
    winners = [action for action, outcome in outcomes.items() if outcome == "won"]
    losers = [outcome for outcome in outcomes.values() if isinstance(outcome, workflow.WorkflowError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    claim.refresh_from_db()
    expected_state = ClaimStatus.PUBLISHED if winners == ["approve"] else ClaimStatus.ASSIGNED
    assert claim.status == expected_state
    decisions = WorkflowEvent.objects.filter(claim=claim, action__in=["approve", "send_back"])
    assert list(decisions.values_list("action", flat=True)) == winners


MIXED = {"en": 360, "en-GB": 120, "fr": 240, "de": 80}  # queued claims per language
TAKERS = [["en"]] * 6 + [["en-GB"]] * 2 + [["fr"]] * 4  # de: nobody


def test_people_in_different_languages_taking_at_once_each_get_only_their_own():
    people = [user_add(f"taker{i}", "factchecker", languages).pk for i, languages in enumerate(TAKERS)]
    Claim.objects.bulk_create(
        Claim(text=f"{tag} claim {i}", text_key=claim_text_key(f"{tag} claim {i}"), language=tag, priority=i % 3)
        for tag, count in MIXED.items()
        for i in range(count)
    )
    taken: list[list[int]] = [[] for _ in people]

    def take(index: int) -> None:
        user = get_user_model().objects.get(pk=people[index])
        while (claim := workflow.claim_take_next(user)) is not None:
            taken[index].append(claim.pk)

    assert run_threads(len(people), take) == []

    language = dict(Claim.objects.values_list("id", "language"))
    for index, claim_ids in enumerate(taken):
        wanted = TAKERS[index][0]
        assert all(language[pk] == wanted or language[pk].startswith(f"{wanted}-") for pk in claim_ids)
    claim_ids = [pk for claim_ids in taken for pk in claim_ids]
    assert len(claim_ids) == len(set(claim_ids)) == MIXED["en"] + MIXED["en-GB"] + MIXED["fr"]
    assert set(Claim.objects.filter(status=ClaimStatus.NEW).values_list("language", flat=True)) == {"de"}
    holders = dict(Assignment.objects.active().values_list("claim_id", "assignee_id"))
    assert holders == {pk: people[index] for index, claim_ids in enumerate(taken) for pk in claim_ids}
    events = WorkflowEvent.objects.filter(action="take")
    assert sorted(events.values_list("claim_id", flat=True)) == sorted(claim_ids)
    assert all(holders[event.claim_id] == event.actor_id for event in events), "each audit row names the holder"
