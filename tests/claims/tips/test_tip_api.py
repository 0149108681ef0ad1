"""``POST /api/v1/tips/``: anonymous, the same rules as the page, errors naming the field, 429 with Retry-After."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from claims.choices import Channel, TipChannel
from claims.models import Claim, Tip, TipContact
from tests.claims.tips.conftest import RESTATED

pytestmark = pytest.mark.django_db
URL = "/api/v1/tips/"


def send(client: APIClient, address: str = "203.0.113.8", **body):
    body.setdefault("text", "The minister said 3 in 10 trains ran late in May.")
    return client.post(URL, body, format="json", REMOTE_ADDR=address)


def test_an_anonymous_tip_is_created(api_client):
    response = send(api_client, url="https://news.example.org/trains", email="t@example.org", language="fr")
    assert response.status_code == 201, response.content
    body = response.json()
    tip = Tip.objects.get()
    assert body == {"reference": tip.reference, "already_checked": []}
    assert tip.channel == TipChannel.API and tip.claim.channel == Channel.TIP and tip.claim.language == "fr"
    assert TipContact.objects.get(tip=tip).kind == "email"


def test_a_logged_in_browser_needs_no_csrf_token_and_stays_anonymous(team):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(team.editor)
    assert send(client).status_code == 201
    assert Tip.objects.get().claim.submitted_by is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "y" * 5001}, "text"),
        ({"text": 42}, "text"),
        ({"url": "http://192.168.1.1/router"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"email": "nobody@"}, "email"),
        ({"language": "??"}, "language"),
        ({"phone": "+1 555"}, "phone"),
        ({"text": "Nul\u0000 inside"}, "text"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(api_client, body, field):
    response = send(api_client, **body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert not Tip.objects.exists() and not Claim.objects.exists()


def test_a_body_over_the_limit_is_413(api_client):
    response = api_client.post(URL, {"text": "z" * 200_000}, format="json")
    assert response.status_code == 413
    assert not Tip.objects.exists()


def test_the_31st_tip_from_one_address_is_429_with_retry_after(api_client, settings, one_window):
    settings.TIP_RATE_PER_ADDRESS = "30/minute"
    for n in range(30):
        assert send(api_client, text=f"API tip {n}: the dam holds {n} cubic metres.").status_code == 201
    refused = send(api_client, text="API tip 31: the dam holds 31 cubic metres.")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["error"]["code"] == "throttled"
    assert Tip.objects.count() == 30


def test_a_restated_published_verdict_comes_back_with_its_link(api_client, published):
    response = send(api_client, text=RESTATED)
    assert response.status_code == 201
    [checked] = response.json()["already_checked"]
    assert checked["claim_id"] == published.pk
    assert checked["verdict_url"].endswith(f"/fact-checks/{published.verdict.slug}/")
    assert checked["rating"] == published.verdict.published_version.rating.label
