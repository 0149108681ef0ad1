"""The public tip page: a reader with no account sends a claim; abuse limits; the already-checked link."""

from __future__ import annotations

import pytest
from django.urls import reverse

from claims.choices import Channel, TipChannel
from claims.models import Claim, Source, Tip, TipContact
from tests.claims.tips.conftest import RESTATED
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db
NEW = "/tips/new/"


def post_tip(client, address: str = "203.0.113.7", **fields):
    data = {"text": "The mayor said the new bridge cost 40 million euros.", "url": "", "email": "", "language": "en"}
    data.update(fields)
    return client.post(NEW, data, REMOTE_ADDR=address)


def test_an_anonymous_tip_becomes_a_claim_in_the_staff_queue_with_channel_tip(client, team):
    response = post_tip(client, url="https://news.example.org/bridge", email="Reader@Example.org")
    assert response.status_code == 200, response.content
    tip = Tip.objects.get()
    assert tip.reference in response.content.decode()
    assert tip.channel == TipChannel.WEB
    assert tip.claim.channel == Channel.TIP and tip.claim.text == tip.text
    assert [c.source.canonical_url for c in tip.claim.citations.all()] == ["https://news.example.org/bridge"]
    assert TipContact.objects.get(tip=tip).address == "Reader@Example.org"

    client.force_login(team.assignee)
    queue = client.get(reverse("reviews:queue"), {"channel": "tip"})
    assert list(queue.context["page"]) == [tip.claim]
    assert "Reader tip" in queue.content.decode()
    assert "Reader@Example.org" not in queue.content.decode()


def test_the_page_needs_no_account_and_is_accessible(client):
    page = client.get(NEW)
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("text", "url", "email", "language"):
        assert f'for="id_{name}"' in html and f'id="id_{name}"' in html
    assert 'aria-describedby="id_text_helptext"' in html
    assert "<script" not in html.split("</head>")[1]  # no inline script (CSP)
    assert "'unsafe-inline'" not in page["Content-Security-Policy"].split("script-src")[1].split(";")[0]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"text": "   "}, "text", "Tell us what was said or shown."),
        ({"text": "x" * 5001}, "text", "limited to 5000 characters"),
        ({"url": "not a url"}, "url", "URL"),
        ({"url": "ftp://files.example.org/a"}, "url", "Only http and https"),
        ({"url": "http://127.0.0.1/admin"}, "url", "This link cannot be used"),
        ({"url": "http://10.1.2.3/internal"}, "url", "not publicly routable"),
        ({"url": "http://localhost:8000/"}, "url", "This link cannot be used"),
        ({"email": "not-an-address"}, "email", "valid e-mail address"),
        ({"language": "xx-nope-nope-nope"}, "language", "language tag"),
    ],
)
def test_bad_input_is_refused_clearly_and_stores_nothing(client, fields, field, message):
    response = post_tip(client, **fields)
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html and 'aria-invalid="true"' in html
    assert not Tip.objects.exists() and not Claim.objects.exists() and not Source.objects.exists()


def test_nul_bytes_are_refused_naming_the_field(client):
    response = post_tip(client, text="The mayor\x00 said so.")
    assert response.status_code == 400
    assert "text: Control characters" in response.content.decode()
    assert not Tip.objects.exists() and not Claim.objects.exists()


def test_markup_is_removed_and_only_plain_text_is_stored(client):
    text = '<p onclick="steal()">The <b>port</b> &amp; the airport cost <script>alert(1)</script>2 billion.</p>'
    assert post_tip(client, text=text).status_code == 200
    tip = Tip.objects.get()
    assert tip.text == "The port & the airport cost 2 billion."
    assert tip.claim.text == tip.text


def test_a_filled_honeypot_gets_a_neutral_answer_and_nothing_is_stored(client):
    response = post_tip(client, website="http://spam.example/")
    assert response.status_code == 200
    assert "Thank you for your tip" in response.content.decode()
    assert not Tip.objects.exists() and not Claim.objects.exists() and not TipContact.objects.exists()


def test_the_31st_tip_from_one_address_within_a_minute_is_refused(client, settings, one_window):
    settings.TIP_RATE_PER_ADDRESS = "30/minute"
    for n in range(30):
        assert post_tip(client, text=f"Tip number {n}: the harbour moved {n} tonnes.").status_code == 200
    refused = post_tip(client, text="Tip number 31: the harbour moved 31 tonnes.")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many tips have come from your address" in refused.content.decode()
    assert Tip.objects.count() == 30
    # Another address still gets through.
    assert (
        post_tip(client, text="From elsewhere: the harbour moved 7 tonnes.", address="198.51.100.9").status_code == 200
    )


def test_the_global_limit_refuses_every_address(client, settings, one_window):
    settings.TIP_RATE_GLOBAL = "2/minute"
    assert post_tip(client, text="First: the tram line cost 3 million.", address="198.51.100.1").status_code == 200
    assert post_tip(client, text="Second: the tram line cost 4 million.", address="198.51.100.2").status_code == 200
    assert post_tip(client, text="Third: the tram line cost 5 million.", address="198.51.100.3").status_code == 429
    assert Tip.objects.count() == 2


def test_a_tip_restating_a_published_verdict_shows_its_link_at_once(client, published):
    response = post_tip(client, text=RESTATED)
    assert response.status_code == 200
    url = reverse("public:verdict", args=[published.verdict.slug])
    assert url in response.content.decode()
    assert "We have already checked this" in response.content.decode()
    tip = Tip.objects.get()
    assert tip.claim != published  # its own claim, linked by the matcher like any other


def test_an_unrelated_tip_shows_no_verdict(client, published):
    response = post_tip(client, text="The zoo bought three new giraffes in May.", email="a@example.org")
    assert "We have already checked this" not in response.content.decode()
    assert "We will write to you once" in response.content.decode()


def test_an_exact_repeat_attaches_the_tip_to_the_existing_claim(client):
    existing = ClaimFactory(text="The mayor said the new bridge cost 40 million euros.")
    assert post_tip(client).status_code == 200
    assert Tip.objects.get().claim == existing
    assert Claim.objects.count() == 1


def test_the_bookmarklet_and_the_prefill(client):
    help_page = client.get("/tips/")
    html = help_page.content.decode()
    assert 'href="javascript:(function(){' in html
    assert "/tips/new/" in html and "encodeURIComponent(location.href)" in html
    assert "window.getSelection" in html
    prefilled = client.get(NEW, {"url": "https://news.example.org/a", "text": "Selected sentence."})
    form = prefilled.context["form"]
    assert form["url"].value() == "https://news.example.org/a"
    assert form["text"].value() == "Selected sentence."
    assert "Selected sentence." in prefilled.content.decode()
