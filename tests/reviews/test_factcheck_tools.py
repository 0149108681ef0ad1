"""``claims:search`` speaks Google Fact Check Tools: its parameters, its response shape, its client."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import googleapiclient.discovery
import pytest
from django.conf import settings as conf
from django.core.cache import cache
from django.urls import include, path
from django.utils import timezone
from rest_framework.test import APIClient

from claims.models import Claim
from reviews import workflow
from reviews.api.consumer_urls import factchecktools_urlpatterns
from reviews.models import Verdict
from tests.reviews.desk import desk, ratings_ensure
from tests.reviews.test_consumer_api import publish

SEARCH = "/api/v1/claims:search"
RECORDED = json.loads((Path(__file__).parent / "data" / "factchecktools_claims_search.json").read_text())
RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

# The site's URLs plus Google's path, where googleapiclient looks for the method (see the last test).
urlpatterns = [
    path("v1alpha1/", include((factchecktools_urlpatterns, "factchecktools"), namespace="factchecktools")),
    path("", include("factcheck.urls")),
]


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    settings.API_ANON_RATE = "100000/minute"
    cache.clear()


def shape(value: Any, prefix: str = "") -> dict[str, str]:
    """Every key path of a JSON document with its JSON type: ``claims[].claimReview[].url`` → ``str``."""
    if isinstance(value, dict):
        paths: dict[str, str] = {}
        for key, item in value.items():
            paths[f"{prefix}.{key}".lstrip(".")] = type(item).__name__
            paths.update(shape(item, f"{prefix}.{key}".lstrip(".")))
        return paths
    if isinstance(value, list):
        paths = {}
        for item in value:
            paths.update(shape(item, f"{prefix}[]"))
        return paths
    return {}


def dates_in(body: dict) -> list[str]:
    found = []
    for claim in body.get("claims", []):
        found += [claim[key] for key in ("claimDate",) if key in claim]
        found += [review["reviewDate"] for review in claim["claimReview"] if "reviewDate" in review]
    return found


@pytest.mark.django_db
def test_the_response_has_googles_fields_and_types(settings):
    settings.ORGANIZATION_NAME = "Example Fact Check"
    settings.ORGANIZATION_URL = "https://www.factcheck.example.org/"
    team = desk()
    publish(team, text="Hot water cures everything.", claimant="")  # no claimant, no date: left out
    publish(
        team,
        text="Hot water every fifteen minutes prevents infection.",
        claimant="Viral posts",
        claim_date=date(2020, 3, 9),
    )  # the newest: listed first

    body = APIClient().get(SEARCH, {"query": "hot water", "pageSize": 1}).json()
    recorded, ours = shape(RECORDED), shape(body)
    assert ours == recorded, "the same key paths with the same JSON types as Google's response"
    assert all(RFC3339_Z.match(value) for value in dates_in(body)) and all(
        RFC3339_Z.match(value) for value in dates_in(RECORDED)
    )
    review = body["claims"][0]["claimReview"][0]
    assert review["publisher"] == {"name": "Example Fact Check", "site": "factcheck.example.org"}
    assert review["url"].startswith(f"{conf.SITE_URL}/fact-checks/") and review["textualRating"] == "False"

    second = APIClient().get(SEARCH, {"query": "hot water", "pageToken": body["nextPageToken"]}).json()
    assert set(shape(second)) < set(recorded), "empty fields are left out, as Google does"
    assert "claimant" not in second["claims"][0] and "claimDate" not in second["claims"][0]
    assert "nextPageToken" not in second


@pytest.mark.django_db
def test_search_parameters_filter_like_googles():
    team = desk()
    english = publish(team, text="Unemployment doubled in one year.", language="en-US")
    french = publish(team, text="Le chômage a doublé en un an.", language="fr")
    old = publish(team, text="Unemployment fell in 1999.", claim_date=date(1999, 5, 1))
    Verdict.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=400))
    retracted = publish(team, text="Unemployment tripled.")
    workflow.verdict_retract(team.chief, retracted.claim_id, "Misquoted.")
    client = APIClient()

    def texts(**params) -> list[str]:
        response = client.get(SEARCH, params)
        assert response.status_code == 200, response.content
        return [claim["text"] for claim in response.json().get("claims", [])]

    claim_text = {v.pk: Claim.objects.get(verdict=v).text for v in (english, french, old)}
    assert texts(query="unemployment") == [claim_text[english.pk], claim_text[old.pk]]  # newest first
    assert texts(query="chômage", languageCode="fr") == [claim_text[french.pk]]
    assert texts(query="unemployment", languageCode="en") == [claim_text[english.pk], claim_text[old.pk]]
    assert texts(query="unemployment", maxAgeDays=30) == [claim_text[english.pk]]
    site = conf.ORGANIZATION_URL
    assert len(texts(reviewPublisherSiteFilter=site)) == 3  # everything of ours, no query needed
    assert texts(reviewPublisherSiteFilter="politifact.com", query="unemployment") == []
    assert client.get(SEARCH, {"reviewPublisherSiteFilter": "politifact.com"}).json() == {}
    assert texts(query="unemployment", offset=1) == [claim_text[old.pk]]

    missing = client.get(SEARCH, {"languageCode": "en"})
    assert missing.status_code == 400 and "query" in missing.json()["error"]["fields"]
    assert client.get(SEARCH, {"query": "x", "pageToken": "garbage"}).status_code == 400
    assert client.get(SEARCH, {"query": "x", "pageSize": 0}).status_code == 400


@pytest.mark.django_db
def test_page_tokens_walk_all_results_once():
    team = desk()
    expected = {publish(team, text=f"Claim about rivers number {n}.").claim.text for n in range(5)}
    client = APIClient()
    seen: list[str] = []
    params = {"query": "rivers", "pageSize": 2}
    while True:
        body = client.get(SEARCH, params).json()
        seen += [claim["text"] for claim in body["claims"]]
        if "nextPageToken" not in body:
            break
        params["pageToken"] = body["nextPageToken"]
    assert len(seen) == 5 and set(seen) == expected


@pytest.mark.urls(__name__)
def test_googles_python_client_works_against_us_by_changing_the_endpoint(transactional_db, live_server):
    ratings_ensure()
    team = desk()
    published = publish(team, text="The river rose ten metres overnight.", claimant="A local radio host")
    service = googleapiclient.discovery.build(
        "factchecktools",
        "v1alpha1",
        client_options={"api_endpoint": f"{live_server.url}/"},
        developerKey="x",  # Google clients always send one; we ignore it
        static_discovery=True,
        cache_discovery=False,
    )
    response = service.claims().search(query="river", languageCode="en", pageSize=5).execute()
    assert [claim["text"] for claim in response["claims"]] == [published.claim.text]
    review = response["claims"][0]["claimReview"][0]
    assert review["textualRating"] == "False" and review["url"].endswith(f"/fact-checks/{published.slug}/")
    assert service.claims().search(query="nothing matches this").execute() == {}
