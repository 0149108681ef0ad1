"""The read API's fast paths stay correct: the published-set version, cached pages, full-text search, one-trip limits."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings as conf
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from rest_framework.test import APIClient

from claims.choices import ClaimStatus
from claims.models import Claim, Source
from factcheck.ratelimit import count_request
from reviews import published, workflow
from reviews.published import published_set_version, text_search
from tests.factories import CitationFactory, ClaimFactory
from tests.reviews.desk import claim_in_state, desk, published_correction

LIST = "/api/v1/verdicts/"
SEARCH = "/api/v1/claims:search"


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    settings.API_ANON_RATE = "100000/minute"
    settings.API_KEY_RATE = "100000/minute"
    cache.clear()


def search_texts(**params) -> list[str]:
    response = APIClient().get(SEARCH, params)
    assert response.status_code == 200, response.content
    return [item["text"] for item in response.json().get("claims", [])]


@pytest.mark.django_db
def test_the_version_moves_with_public_changes_only():
    team = desk()
    claim = claim_in_state(ClaimStatus.PUBLISHED, team)
    source = CitationFactory(claim=claim).source
    version = published_set_version()

    # Intake, the queue and fetching sources nobody public cites leave the read API's caches alone.
    ClaimFactory()
    queued = claim_in_state(ClaimStatus.ASSIGNED, team)
    Source.objects.filter(pk=CitationFactory(claim=queued).source_id).update(fetched_at=timezone.now())
    Claim.objects.filter(pk=queued.pk).update(text="A queued claim, edited.")
    get_user_model().objects.filter(pk=team.chief.pk).update(last_login=timezone.now())
    Source.objects.filter(pk=source.pk).update(fetched_at=source.fetched_at)  # an update that changes nothing
    assert published_set_version() == version

    # Whatever a reader sees bumps it, also through queryset updates that fire no signal.
    changes = [
        lambda: Source.objects.filter(pk=source.pk).update(title="Archived title"),
        lambda: Claim.objects.filter(pk=claim.pk).update(claimant="Someone else"),
        lambda: get_user_model().objects.filter(pk=team.assignee.pk).update(first_name="Renamed"),
        lambda: claim.tags.create(name="health"),
        lambda: published_correction(team.chief, team.editor, claim.pk, {"summary": "Corrected."}, "Fixed."),
        lambda: workflow.verdict_retract(team.chief, claim.pk, "Fabricated."),
    ]
    for change in changes:
        change()
        assert published_set_version() != version
        version = published_set_version()


@pytest.mark.django_db
def test_a_cached_page_is_served_without_rows_and_a_change_shows_at_once(django_assert_max_num_queries):
    team = desk()
    claim = claim_in_state(ClaimStatus.PUBLISHED, team, text="Wind turbines cause droughts.")
    client = APIClient()
    first = client.get(LIST)
    with django_assert_max_num_queries(1):  # the version only: the body comes from the cache whole
        again = client.get(LIST)
    assert again.content == first.content and again["ETag"] == first["ETag"]
    with django_assert_max_num_queries(1):
        assert client.get(LIST, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert search_texts(query="turbines") == ["Wind turbines cause droughts."]

    # An edit outside the workflow (as an admin's queryset update would make) shows at once everywhere.
    Claim.objects.filter(pk=claim.pk).update(text="Wind farms cause droughts.")
    changed = client.get(LIST, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed.json()["results"][0]["claim"]["text"] == "Wind farms cause droughts."
    assert search_texts(query="turbines") == []
    assert search_texts(query="farms") == ["Wind farms cause droughts."]
    detail = client.get(f"{LIST}{claim.verdict.pk}/")
    assert detail.json()["claim"]["text"] == "Wind farms cause droughts."


@pytest.mark.django_db
def test_pages_differ_by_query_but_not_by_parameter_order():
    team = desk()
    for rating in ("false", "true"):
        claim = ClaimFactory()
        workflow.claim_assign(team.chief, claim.pk, team.assignee)
        workflow.verdict_save_draft(team.assignee, claim.pk, {"rating": rating, "summary": "Rated.", "analysis": ""})
        workflow.review_submit(team.assignee, claim.pk)
        workflow.review_approve(team.chief, claim.pk)
    client = APIClient()
    one = client.get(LIST, {"rating": "false", "limit": 5})
    assert [item["rating"]["slug"] for item in one.json()["results"]] == ["false"]
    swapped = client.get(f"{LIST}?limit=5&rating=false")
    assert swapped["ETag"] == one["ETag"] and swapped.content == one.content
    other = client.get(LIST, {"rating": "true", "limit": 5})
    assert other["ETag"] != one["ETag"] and [i["rating"]["slug"] for i in other.json()["results"]] == ["true"]
    assert client.get(LIST, {"limit": "x"}, HTTP_IF_NONE_MATCH="*").status_code == 400


@pytest.mark.django_db
def test_full_text_search_matches_word_beginnings_in_text_claimant_and_summary(monkeypatch):
    team = desk()
    texts = ["Hospitals closed 12 wards in 2023.", "COVID-19 vaccines alter DNA.", "Inflation hit 3.5% in May."]
    for text in texts:
        claim_in_state(ClaimStatus.PUBLISHED, team, text=text, claimant="Jane Roe")
    newest_first = list(reversed(texts))
    assert search_texts(query="hospital") == [texts[0]]  # a word's beginning
    assert search_texts(query="covid-19 vaccine") == [texts[1]]
    assert search_texts(query="3.5") == [texts[2]]
    assert search_texts(query="roe") == newest_first  # the claimant
    assert search_texts(query="not so") == newest_first  # the summary ("It is not so.")
    assert search_texts(query="hospital vaccines") == []  # every word must match
    assert search_texts(query="spital") == []  # word beginnings, not any substring
    assert search_texts(query="?!") == []
    assert Claim.objects.filter(verdict__in=published.published_verdicts_base().filter(text_search("?!"))).count() == 0
    # Past SEARCH_ID_LIST matches the search stays a subquery: same answers.
    monkeypatch.setattr(published, "SEARCH_ID_LIST", 1)
    cache.clear()
    assert search_texts(query="roe") == newest_first
    assert search_texts(query="hospital") == [texts[0]]


def test_the_rate_limit_counts_in_redis_with_one_expiring_key():
    redis_cache = RedisCache(conf.TEST_REDIS_URL, {"KEY_PREFIX": f"perf4-{uuid.uuid4().hex}"})
    key = "throttle:test:ip:198.51.100.1:60:1"
    try:
        assert [count_request(redis_cache, key, timeout=61) for _ in range(3)] == [1, 2, 3]
        client = redis_cache._cache.get_client(write=True)
        assert 0 < client.ttl(redis_cache.make_and_validate_key(key)) <= 61
    finally:
        redis_cache.delete(key)
