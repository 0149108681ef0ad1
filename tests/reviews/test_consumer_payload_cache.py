"""The verdict list serves cached payloads, yet every public change shows at once (and changes the ETag)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from claims.choices import ClaimStatus
from claims.models import Source, Tag
from reviews import workflow
from reviews.models import Rating
from tests.factories import CitationFactory
from tests.reviews.desk import claim_in_state, desk, published_correction

LIST = "/api/v1/verdicts/"


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    settings.API_ANON_RATE = "100000/minute"
    settings.API_KEY_RATE = "100000/minute"
    cache.clear()


def only_item(client: APIClient) -> tuple[dict, str]:
    response = client.get(LIST)
    assert response.status_code == 200, response.content
    [item] = response.json()["results"]
    return item, response["ETag"]


@pytest.mark.django_db
def test_a_cached_page_loads_no_verdicts_but_matches_a_fresh_one(django_assert_max_num_queries):
    team = desk()
    for _ in range(3):
        claim = claim_in_state(ClaimStatus.PUBLISHED, team)
        CitationFactory(claim=claim)
        claim.tags.add(Tag.objects.get_or_create(name="health")[0])
    client = APIClient()
    fresh = client.get(LIST).json()
    with django_assert_max_num_queries(1):  # the page's rows only: payloads come from the cache
        again = client.get(LIST).json()
    assert again == fresh
    cache.clear()
    assert client.get(LIST).json() == fresh


@pytest.mark.django_db
def test_corrections_retractions_snapshots_tags_and_scale_edits_show_through_the_cache():
    team = desk()
    claim = claim_in_state(ClaimStatus.PUBLISHED, team)
    source = CitationFactory(claim=claim).source
    client = APIClient()
    item, etag = only_item(client)
    assert item["summary"] == "It is not so." and item["sources"][0]["archived_url"] is None

    published_correction(team.chief, team.editor, claim.pk, {"summary": "Corrected."}, "Fixed a figure.")
    item, new_etag = only_item(client)
    assert item["summary"] == "Corrected." and item["version"] == 2 and new_etag != etag
    assert [c["note"] for c in item["corrections"]] == ["Fixed a figure."]

    # A snapshot arrives through a queryset update (as the fetch pipeline does): no signal fires.
    Source.objects.filter(pk=source.pk).update(fetched_at=timezone.now(), title="Archived title")
    item, etag = only_item(client)
    assert item["sources"][0]["archived_url"] and item["sources"][0]["title"] == "Archived title"
    assert etag != new_etag

    claim.tags.add(Tag.objects.create(name="health"))
    item, new_etag = only_item(client)
    assert item["tags"] == ["health"] and new_etag != etag

    Rating.objects.filter(slug="false").update(label="Untrue")
    worst_before = item["rating"]["worst"]
    item, etag = only_item(client)
    assert item["rating"]["label"] == "Untrue" and etag != new_etag
    lowest = Rating.objects.filter(active=True, value__isnull=False).order_by("value").first()
    Rating.objects.filter(pk=lowest.pk).update(value=lowest.value - 1)
    item, new_etag = only_item(client)
    assert item["rating"]["worst"] == min(worst_before, lowest.value) - 1 and new_etag != etag

    workflow.verdict_retract(team.chief, claim.pk, "Fabricated quote.")
    item, etag = only_item(client)
    assert item["status"] == "retracted" and [c["kind"] for c in item["corrections"]] == ["correction", "retraction"]
