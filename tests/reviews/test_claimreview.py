"""ClaimReview markup on verdict pages, read back as a search engine would (extruct)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import extruct
import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from reviews import workflow
from reviews.claimreview import claimreview, has_claimreview, verdict_public_url
from reviews.models import Rating, Verdict
from reviews.ratings import DEFAULT_RATINGS
from tests.reviews.desk import Desk, desk, published_correction
from tests.reviews.test_public import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Desk:
    return desk()


REQUIRED = {"@context", "@type", "url", "claimReviewed", "datePublished", "author", "reviewRating", "itemReviewed"}
NUMERIC = [slug for slug, _, value, _, _ in DEFAULT_RATINGS if value is not None]
NAMED_ONLY = [slug for slug, _, value, _, _ in DEFAULT_RATINGS if value is None]
SCALE_BEST = max(value for _, _, value, _, _ in DEFAULT_RATINGS if value is not None)
SCALE_WORST = min(value for _, _, value, _, _ in DEFAULT_RATINGS if value is not None)


def markup_of(client, verdict: Verdict) -> tuple[str, list[dict]]:
    """The page's HTML and its ClaimReview items, as extruct reads them."""
    response = client.get(reverse("public:verdict", args=[verdict.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    data = extruct.extract(html, base_url=verdict_public_url(verdict), syntaxes=["json-ld"])["json-ld"]
    return html, [item for item in data if item.get("@type") == "ClaimReview"]


def the_claimreview(client, verdict: Verdict) -> dict:
    html, reviews = markup_of(client, verdict)
    assert html.count('<script type="application/ld+json">') == 1
    assert len(reviews) == 1
    return reviews[0]


def iso_datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"{value} has no time zone"
    return parsed


def check_complete(review: dict, verdict: Verdict) -> None:
    claim = verdict.claim
    rating = verdict.published_version.rating
    assert review.keys() >= REQUIRED
    assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
    assert review["url"] == f"{settings.SITE_URL}/fact-checks/{verdict.slug}/"
    assert review["claimReviewed"] == claim.text
    assert iso_datetime(review["datePublished"]) == verdict.published_at
    assert review["inLanguage"] == claim.language
    assert review["author"]["@type"] == "Organization"
    assert review["author"]["name"] == settings.ORGANIZATION_NAME
    assert review["author"]["url"] == settings.ORGANIZATION_URL

    stars = review["reviewRating"]
    assert stars["@type"] == "Rating" and stars["alternateName"] == rating.label
    if rating.value is not None:
        assert stars["ratingValue"] == rating.value
        assert stars["worstRating"] <= stars["ratingValue"] <= stars["bestRating"]

    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"] == {"@type": "Person", "name": claim.claimant}
    assert date.fromisoformat(item["datePublished"]) == claim.claim_date
    assert item["appearance"][0]["@type"] == "CreativeWork"
    assert item["appearance"][0]["url"] == claim.appeared_at
    assert item["firstAppearance"]["url"] == claim.appeared_at


CLAIM = {
    "text": "Crime doubled in the last five years.",
    "claimant": "Senator Smith",
    "appeared_at": "https://tv.example.org/interview/42",
}


@pytest.mark.parametrize("rating", NUMERIC + NAMED_ONLY)
def test_every_verdict_page_carries_one_complete_claimreview(client, team, rating):
    verdict = publish(team, rating=rating, claim_date=timezone.localdate() - timedelta(days=10), **CLAIM)
    review = the_claimreview(client, verdict)
    check_complete(review, verdict)
    assert "dateModified" not in review  # never corrected


@pytest.mark.parametrize("rating", NUMERIC)
def test_numeric_ratings_use_the_scale_bounds(client, team, rating):
    verdict = publish(team, rating=rating, **CLAIM)
    stars = the_claimreview(client, verdict)["reviewRating"]
    value = Rating.objects.get(slug=rating).value
    assert (stars["ratingValue"], stars["bestRating"], stars["worstRating"]) == (value, SCALE_BEST, SCALE_WORST)


@pytest.mark.parametrize("rating", NAMED_ONLY)
def test_ratings_without_a_value_are_given_by_name_only(client, team, rating):
    verdict = publish(team, rating=rating, **CLAIM)
    stars = the_claimreview(client, verdict)["reviewRating"]
    label = Rating.objects.get(slug=rating).label
    assert stars["alternateName"] == label
    assert not {"ratingValue", "bestRating", "worstRating"} & stars.keys()


def test_bounds_follow_the_edited_scale_and_always_contain_the_value(client, team):
    verdict = publish(team, rating="false", **CLAIM)
    Rating.objects.filter(slug__in=["true", "false"]).update(active=False)  # the scale now runs 2..4
    stars = the_claimreview(client, verdict)["reviewRating"]
    assert (stars["worstRating"], stars["ratingValue"], stars["bestRating"]) == (1, 1, 4)


@override_settings(ORGANIZATION_NAME="Example Checks", ORGANIZATION_URL="https://checks.example.org/")
def test_the_author_is_the_organisation_from_settings_with_its_logo(client, team):
    verdict = publish(team, **CLAIM)
    assert "logo" not in the_claimreview(client, verdict)["author"]
    with override_settings(ORGANIZATION_LOGO_URL="https://checks.example.org/logo.png"):
        author = the_claimreview(client, verdict)["author"]
    assert author == {
        "@type": "Organization",
        "name": "Example Checks",
        "url": "https://checks.example.org/",
        "logo": {"@type": "ImageObject", "url": "https://checks.example.org/logo.png"},
    }


def test_a_claim_without_claimant_date_or_appearance_still_has_valid_markup(client, team):
    verdict = publish(team, text="Something someone said somewhere.", claimant="")
    review = the_claimreview(client, verdict)
    assert review["itemReviewed"] == {"@type": "Claim"}
    assert review.keys() >= REQUIRED


def test_a_correction_moves_date_modified_and_shows_on_the_page_and_corrections(client, team):
    verdict = publish(team, rating="false", claim_date=timezone.localdate(), **CLAIM)
    before = the_claimreview(client, verdict)
    published_correction(
        team.chief, team.editor, verdict.claim_id, {"rating": "mostly-false"}, "The base year was wrong."
    )
    verdict.refresh_from_db()
    html, reviews = markup_of(client, verdict)
    (after,) = reviews
    check_complete(after, verdict)
    assert after["datePublished"] == before["datePublished"]
    assert iso_datetime(after["dateModified"]) == verdict.updated_at
    assert iso_datetime(after["dateModified"]) > iso_datetime(after["datePublished"])
    assert after["reviewRating"]["alternateName"] == "Mostly false"
    assert "The base year was wrong." in html
    corrections = client.get(reverse("public:corrections")).content.decode()
    assert "The base year was wrong." in corrections
    assert reverse("public:verdict", args=[verdict.slug]) in corrections

    published_correction(team.chief, team.editor, verdict.claim_id, {"summary": "Still wrong."}, "Wording.")
    verdict.refresh_from_db()
    later = the_claimreview(client, verdict)
    assert iso_datetime(later["dateModified"]) > iso_datetime(after["dateModified"])


def test_a_retracted_page_has_no_claimreview_but_keeps_its_notice(client, team):
    verdict = publish(team, **CLAIM)
    assert has_claimreview(verdict)
    workflow.verdict_retract(team.chief, verdict.claim_id, "The interview was edited misleadingly.")
    verdict = Verdict.objects.select_related("claim").get(pk=verdict.pk)
    assert not has_claimreview(verdict)
    html, reviews = markup_of(client, verdict)
    assert reviews == [] and "application/ld+json" not in html
    assert "This fact-check was retracted" in html and "The interview was edited misleadingly." in html


@pytest.mark.parametrize(
    "text",
    [
        "</script><script>alert(1)</script>",
        "Ends with </SCRIPT > and <!-- a comment",
        "Quotes \" and ' and & and \u2028 line separator",
    ],
)
def test_claim_text_cannot_break_out_of_the_json_ld(client, team, text):
    verdict = publish(team, text=text, claimant="</script><img src=x onerror=alert(2)>")
    html, reviews = markup_of(client, verdict)
    assert html.count("<script") == 1 and html.lower().count("</script") == 1
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    (review,) = reviews
    assert review["claimReviewed"] == text
    assert review["itemReviewed"]["author"]["name"] == "</script><img src=x onerror=alert(2)>"


def test_the_dict_is_json_with_absolute_urls(team):
    verdict = publish(team, **CLAIM)
    data = json.loads(json.dumps(claimreview(verdict)))
    assert data["url"].startswith(settings.SITE_URL + "/")
    assert data["url"] == verdict_public_url(verdict)
