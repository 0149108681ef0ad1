"""The read-only consumer API through the real URL conf: payload, filters, cursor walks, 304s, access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as conf
from django.core.cache import cache
from django.utils import timezone
from django.utils.http import http_date
from rest_framework.test import APIClient

from claims.choices import ClaimStatus
from claims.models import Tag
from reviews import workflow
from reviews.models import Verdict
from tests.factories import CitationFactory, ClaimFactory, SourceFactory
from tests.reviews.desk import Desk, claim_in_state, desk, key_client, published_correction

LIST = "/api/v1/verdicts/"


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """These tests are about content: keep the shared in-process rate counters out of the way."""
    settings.API_ANON_RATE = "100000/minute"
    settings.API_KEY_RATE = "100000/minute"
    cache.clear()


def publish(team: Desk, rating: str = "false", tags: tuple[str, ...] = (), **claim_fields) -> Verdict:
    """A claim walked through the real workflow to a published verdict with this rating."""
    claim = ClaimFactory(**claim_fields)
    for name in tags:
        claim.tags.add(Tag.objects.get_or_create(name=name)[0])
    workflow.claim_assign(team.chief, claim.pk, team.assignee)
    workflow.verdict_save_draft(
        team.assignee, claim.pk, {"rating": rating, "summary": f"Rated {rating}.", "analysis": "It is *so*."}
    )
    workflow.review_submit(team.assignee, claim.pk)
    workflow.review_approve(team.chief, claim.pk)
    return Verdict.objects.get(claim=claim)


def walk(client: APIClient, url: str, between=None) -> list[int]:
    """Follow ``next`` links to the end; ``between()`` runs after each page (e.g. publishes more)."""
    seen: list[int] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [item["id"] for item in body["results"]]
        url = body["next"]
        if between is not None:
            between()
    return seen


# --- Payload ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_published_verdict_shows_everything_a_reader_needs():
    team = desk()
    claim = ClaimFactory(
        text="The bridge cost twice its budget.",
        claimant="Mayor Jane Doe",
        claim_date=timezone.now().date() - timedelta(days=3),
        appeared_at="https://news.example.org/bridge",
        language="en",
    )
    claim.tags.add(Tag.objects.create(name="budget"))
    archived = CitationFactory(claim=claim, source=SourceFactory(fetched_at=timezone.now(), title="Budget")).source
    pending = CitationFactory(claim=claim).source
    claim_in_state_from(claim, team)
    verdict = Verdict.objects.get(claim=claim)

    body = APIClient().get(f"{LIST}{verdict.pk}/").json()

    assert body["id"] == verdict.pk and body["status"] == "published"
    assert body["url"] == f"{conf.SITE_URL}/fact-checks/{verdict.slug}/"
    assert body["claim"] == {
        "id": claim.pk,
        "text": "The bridge cost twice its budget.",
        "claimant": "Mayor Jane Doe",
        "claim_date": claim.claim_date.isoformat(),
        "appearances": ["https://news.example.org/bridge"],
    }
    assert body["rating"]["slug"] == "false" and body["rating"]["label"] == "False"
    assert body["rating"]["worst"] <= body["rating"]["value"] <= body["rating"]["best"]
    assert body["summary"] == "It is not so." and body["analysis"] == "*Because.*"
    assert "<em>Because.</em>" in body["analysis_html"]
    assert body["language"] == "en" and body["tags"] == ["budget"]
    assert body["version"] == 1 and body["corrections"] == [] and body["retracted_at"] is None
    assert body["updated_at"] == body["published_at"]
    by_id = {source["id"]: source for source in body["sources"]}
    assert by_id[archived.pk]["archived_url"] == f"{body['url']}sources/{archived.pk}/archive/"
    assert by_id[pending.pk]["archived_url"] is None
    assert body["author"] == "ana" and body["editor"] == "chief"


def claim_in_state_from(claim, team: Desk) -> None:
    workflow.claim_assign(team.chief, claim.pk, team.assignee)
    workflow.verdict_save_draft(
        team.assignee, claim.pk, {"rating": "false", "summary": "It is not so.", "analysis": "*Because.*"}
    )
    workflow.review_submit(team.assignee, claim.pk)
    workflow.review_approve(team.chief, claim.pk)


@pytest.mark.django_db
def test_a_correction_and_a_retraction_show_in_the_payload():
    team = desk()
    claim = claim_in_state(ClaimStatus.PUBLISHED, team)
    published_correction(team.chief, team.editor, claim.pk, {"rating": "mostly-false"}, "The figure was 40%, not 50%.")
    client = APIClient()
    corrected = client.get(f"{LIST}{claim.verdict.pk}/").json()
    assert corrected["version"] == 2 and corrected["rating"]["slug"] == "mostly-false"
    assert corrected["updated_at"] > corrected["published_at"]
    assert [(c["kind"], c["note"]) for c in corrected["corrections"]] == [
        ("correction", "The figure was 40%, not 50%.")
    ]

    workflow.verdict_retract(team.chief, claim.pk, "The quote was fabricated.")
    retracted = client.get(f"{LIST}{claim.verdict.pk}/").json()
    assert retracted["status"] == "retracted" and retracted["retracted_at"] is not None
    assert [c["kind"] for c in retracted["corrections"]] == ["correction", "retraction"]


@pytest.mark.django_db
def test_only_published_and_retracted_verdicts_are_visible():
    team = desk()
    published = claim_in_state(ClaimStatus.PUBLISHED, team)
    retracted = claim_in_state(ClaimStatus.RETRACTED, team)
    submitted = claim_in_state(ClaimStatus.SUBMITTED, team)  # has a verdict row, not published
    claim_in_state(ClaimStatus.ASSIGNED, team)
    client = APIClient()
    listed = {item["id"]: item["status"] for item in client.get(LIST).json()["results"]}
    assert listed == {published.verdict.pk: "published", retracted.verdict.pk: "retracted"}
    hidden = client.get(f"{LIST}{submitted.verdict.pk}/")
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"


# --- Filters ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_filters_narrow_the_list():
    team = desk()
    old = publish(team, rating="true", tags=("health",), claimant="Dr Ruth Okafor", language="en-GB",
                  text="Vaccines contain microchips for tracking.")  # fmt: skip
    Verdict.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=30))
    french = publish(team, rating="false", tags=("economy",), claimant="Jean Martin", language="fr",
                     text="Le chômage a doublé en un an.")  # fmt: skip
    other = publish(team, rating="false", claimant="Senator Smith", language="en", text="Taxes fell last year.")
    client = APIClient()

    def ids(**params) -> set[int]:
        response = client.get(LIST, params)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["results"]}

    assert ids() == {old.pk, french.pk, other.pk}
    assert ids(rating="false") == {french.pk, other.pk}
    assert ids(language="en") == {old.pk, other.pk}  # en matches en-GB
    assert ids(language="en-gb") == {old.pk}
    assert ids(tag="Health") == {old.pk}
    assert ids(claimant="okafor") == {old.pk}
    assert ids(q="microchips tracking") == {old.pk}
    assert ids(q="rated false") == {french.pk, other.pk}  # the summary is searched too
    assert ids(q="microchips taxes") == set()  # every word must match
    assert ids(updated_since=(timezone.now() - timedelta(days=1)).isoformat()) == {french.pk, other.pk}

    published_correction(team.chief, team.editor, old.claim_id, {"summary": "Rated true, corrected."}, "Typo.")
    assert ids(updated_since=(timezone.now() - timedelta(minutes=5)).isoformat()) == {old.pk, french.pk, other.pk}

    bad = client.get(LIST, {"updated_since": "yesterday"})
    assert bad.status_code == 400 and "updated_since" in bad.json()["error"]["fields"]


# --- Cursor pagination ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_cursor_walks_every_verdict_once_and_the_page_size_is_bounded(settings):
    team = desk()
    verdicts = [publish(team) for _ in range(7)]
    # Several verdicts published at the same instant: the id breaks the tie.
    same_time = timezone.now() - timedelta(hours=1)
    Verdict.objects.filter(pk__in=[v.pk for v in verdicts[2:5]]).update(published_at=same_time)
    client = APIClient()
    assert sorted(walk(client, f"{LIST}?limit=2")) == sorted(v.pk for v in verdicts)
    assert len(walk(client, f"{LIST}?limit=2")) == 7

    settings.API_MAX_PAGE_SIZE = 3
    assert len(client.get(LIST, {"limit": 1000}).json()["results"]) == 3
    assert client.get(LIST, {"limit": "-1"}).status_code == 400
    bad_cursor = client.get(LIST, {"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 400 and bad_cursor.json()["error"]["code"] == "invalid"


@pytest.mark.django_db
def test_walking_while_verdicts_are_published_skips_and_repeats_nothing():
    team = desk()
    before = [publish(team).pk for _ in range(9)]
    published_during: list[int] = []

    def publish_more():
        if len(published_during) < 6:
            published_during.append(publish(team).pk)

    seen = walk(APIClient(), f"{LIST}?limit=2", between=publish_more)
    assert len(seen) == len(set(seen)), "a verdict was repeated"
    assert set(before) <= set(seen), "a verdict published before the walk was skipped"
    # Verdicts published during the walk come after the cursor: oldest-first order picks them up too.
    assert set(seen) == set(before) | set(published_during)


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_one_verdict_or_many(django_assert_max_num_queries):
    team = desk()
    for index in range(12):
        claim = ClaimFactory()
        claim.tags.add(Tag.objects.get_or_create(name=f"t{index % 3}")[0])
        CitationFactory(claim=claim)
        claim_in_state_from(claim, team)
        if index % 4 == 0:
            published_correction(team.chief, team.editor, claim.pk, {"summary": "Fixed."}, "Fixed a figure.")
    client = APIClient()
    with django_assert_max_num_queries(8):
        response = client.get(LIST, {"limit": 50})
    assert len(response.json()["results"]) == 12


# --- Conditional requests ----------------------------------------------------------------------


@pytest.mark.django_db
def test_detail_revalidates_with_304_until_a_correction_changes_it(django_assert_max_num_queries):
    team = desk()
    claim = claim_in_state(ClaimStatus.PUBLISHED, team)
    url = f"{LIST}{claim.verdict.pk}/"
    client = APIClient()
    first = client.get(url)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('W/"') and last_modified

    with django_assert_max_num_queries(1):  # the validator only: nothing is loaded or serialised
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert client.get(url, HTTP_IF_NONE_MATCH=f'"other", {etag}').status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    past = http_date((timezone.now() - timedelta(days=1)).timestamp())
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=past).status_code == 200

    published_correction(team.chief, team.editor, claim.pk, {"summary": "Corrected."}, "Corrected a figure.")
    after = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200 and after["ETag"] != etag
    assert after.json()["summary"] == "Corrected."


@pytest.mark.django_db
def test_list_revalidates_with_304_until_a_verdict_is_published(django_assert_max_num_queries):
    team = desk()
    publish(team)
    client = APIClient()
    first = client.get(LIST, {"limit": 10})
    etag = first["ETag"]
    with django_assert_max_num_queries(1):  # the published-set version: no rows, no cache read
        cached = client.get(LIST, {"limit": 10}, HTTP_IF_NONE_MATCH=etag)
    # RFC 9110 §15.4.5: with an ETag, a 304 needs no other representation metadata.
    assert cached.status_code == 304 and cached["ETag"] == etag and cached.content == b""
    assert client.get(LIST, {"limit": 10}, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    other_query = client.get(LIST, {"limit": 10, "rating": "false"}, HTTP_IF_NONE_MATCH=etag)
    assert other_query.status_code == 200, "the ETag covers the query"

    newer = publish(team)
    fresh = client.get(LIST, {"limit": 10}, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    assert newer.pk in [item["id"] for item in fresh.json()["results"]]

    retract_etag = fresh["ETag"]
    workflow.verdict_retract(team.chief, newer.claim_id, "Misquoted.")
    assert client.get(LIST, {"limit": 10}, HTTP_IF_NONE_MATCH=retract_etag).status_code == 200


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anyone_may_read_but_a_wrong_key_is_refused():
    team = desk()
    claim = claim_in_state(ClaimStatus.PUBLISHED, team)
    assert APIClient().get(LIST).status_code == 200
    assert key_client("read").get(LIST).status_code == 200
    assert key_client("intake").get(LIST).status_code == 200  # no read scope: read as the public
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-key")
    refused = wrong.get(f"{LIST}{claim.verdict.pk}/")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "authentication_failed"
    cors = APIClient().get(LIST, HTTP_ORIGIN="https://partner.example")
    assert cors["Access-Control-Allow-Origin"] == "*"
    assert APIClient().post(LIST, {}).status_code == 405


# --- ClaimReview DataFeed ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_claimreview_feed_lists_published_verdicts_as_a_datafeed():
    team = desk()
    published = [claim_in_state(ClaimStatus.PUBLISHED, team).verdict for _ in range(3)]
    retracted = claim_in_state(ClaimStatus.RETRACTED, team).verdict
    client = APIClient()
    response = client.get("/api/v1/claimreview/", {"limit": 2})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/ld+json")
    feed = response.json()
    assert feed["@context"] == "https://schema.org" and feed["@type"] == "DataFeed" and feed["dateModified"]
    first_page = [element["item"][0] for element in feed["dataFeedElement"]]
    assert all(item["@type"] == "ClaimReview" for item in first_page) and len(first_page) == 2
    assert 'rel="next"' in response["Link"]
    next_url = response["Link"].split(">")[0].lstrip("<")
    second = client.get(next_url).json()
    urls = [item["url"] for item in first_page] + [e["item"][0]["url"] for e in second["dataFeedElement"]]
    assert sorted(urls) == sorted(f"{conf.SITE_URL}/fact-checks/{v.slug}/" for v in published)
    assert not any(retracted.slug in url for url in urls), "retracted verdicts carry no ClaimReview"
    assert "Link" not in client.get(next_url)
