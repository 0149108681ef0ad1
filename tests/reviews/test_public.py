"""The public site through the real URL conf, anonymous: index and search, verdict pages,
archived copies of sources, methodology and corrections."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html

from claims.choices import ClaimStatus
from claims.models import Claim, Source, Tag
from reviews import public, workflow
from reviews.management.commands.load_demo import snapshot_store
from reviews.models import Rating, Verdict
from tests.factories import CitationFactory, SourceFactory
from tests.reviews.desk import Desk, claim_in_state, desk, published_correction

pytestmark = pytest.mark.django_db

Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture
def team() -> Desk:
    return desk()


def publish(
    team: Desk,
    rating: str = "false",
    summary: str = "It is not so.",
    evidence: list | None = None,
    tags: tuple[str, ...] = (),
    **claim_fields,
) -> Verdict:
    """A verdict published through the real workflow: assigned, drafted, submitted, approved by an editor."""
    claim = claim_in_state(ClaimStatus.ASSIGNED, team, **claim_fields)
    for name in tags:
        claim.tags.add(Tag.objects.get_or_create(name=name)[0])
    draft = {"rating": rating, "summary": summary, "analysis": "The **official** figures say otherwise."}
    if evidence is not None:
        draft["evidence"] = evidence
    workflow.verdict_save_draft(team.assignee, claim.pk, draft)
    workflow.review_submit(team.assignee, claim.pk)
    workflow.review_approve(team.chief, claim.pk)
    return Verdict.objects.select_related("claim", "published_version__rating").get(claim=claim)


def page_of(client, verdict: Verdict):
    return client.get(reverse("public:verdict", args=[verdict.slug]))


def index_texts(client, **params) -> set[str]:
    response = client.get(reverse("public:index"), params)
    assert response.status_code == 200
    return {verdict.claim.text for verdict in response.context["page"]}


# --- The verdict page -----------------------------------------------------------------------


def test_the_verdict_page_shows_everything_a_reader_needs(client, team):
    team.assignee.first_name, team.assignee.last_name = "Ana", "Silva"
    team.assignee.save()
    verdict = publish(
        team,
        rating="mostly-false",
        summary="The figure is from 2019, not last year.",
        evidence=[{"url": "https://stats.example.org/report", "note": "The statistics office's report"}],
        text="The city spent 40 million on roads last year.",
        claimant="Mayor Jones",
        claim_date=timezone.localdate() - timedelta(days=3),
        appeared_at="https://video.example.org/speech",
        tags=("budget",),
    )
    response = page_of(client, verdict)
    assert response.status_code == 200
    body = response.content.decode()
    doc = lxml_html.fromstring(response.content)
    assert doc.findtext(".//h1") == "The city spent 40 million on roads last year."
    assert "Mayor Jones" in body and "https://video.example.org/speech" in body
    rating = Rating.objects.get(slug="mostly-false")
    badge = doc.xpath('//span[@class="rating"]')[0]
    assert badge.text == "Mostly false" and rating.colour in badge.get("style")
    assert rating.definition in body
    assert "The figure is from 2019, not last year." in body
    assert "<strong>official</strong>" in body  # the analysis is rendered Markdown
    assert "The statistics office&#x27;s report" in body
    assert "By Ana Silva" in body and f"edited by {team.chief.username}" in body
    assert "budget" in body
    # SEO and social: title, description, canonical, Open Graph.
    canonical = f"{settings.SITE_URL}/fact-checks/{verdict.slug}/"
    assert doc.findtext(".//title").startswith("Fact-check: The city spent 40 million")
    assert doc.xpath('//meta[@name="description"]/@content')[0].startswith("Mostly false: The figure is from 2019")
    assert doc.xpath('//link[@rel="canonical"]/@href') == [canonical]
    og = {m.get("property"): m.get("content") for m in doc.xpath('//meta[starts-with(@property, "og:")]')}
    assert og["og:type"] == "article" and og["og:url"] == canonical
    assert og["og:site_name"] == settings.ORGANIZATION_NAME
    assert og["og:title"].startswith("Mostly false: The city spent") and og["og:description"]


def test_public_pages_do_not_show_the_desk_navigation_even_to_desk_users(client, team):
    verdict = publish(team)
    client.force_login(team.chief)
    for url in (
        reverse("public:verdict", args=[verdict.slug]),
        reverse("public:index"),
        reverse("public:methodology"),
        reverse("public:corrections"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert reverse("reviews:queue").encode() not in response.content
        assert b"Log out" not in response.content


def test_unpublished_and_unknown_slugs_are_404(client, team):
    claim = claim_in_state(ClaimStatus.SUBMITTED, team)
    Verdict.objects.filter(claim=claim).update(slug="not-yet")
    assert client.get(reverse("public:verdict", args=["not-yet"])).status_code == 404
    assert client.get(reverse("public:verdict", args=["no-such-thing"])).status_code == 404
    assert "not-yet" not in str(client.get(reverse("public:index")).content)


def test_a_retracted_verdict_stays_reachable_with_a_notice(client, team):
    verdict = publish(team)
    workflow.verdict_retract(team.chief, verdict.claim_id, "The quote was fabricated by a third party.")
    response = page_of(client, verdict)
    assert response.status_code == 200
    notice = lxml_html.fromstring(response.content).xpath('//*[@role="alert"]')[0].text_content()
    assert "This fact-check was retracted on" in notice
    assert "The quote was fabricated by a third party." in notice
    index = client.get(reverse("public:index"))
    assert b"Retracted" in index.content


def test_the_correction_log_shows_on_the_page(client, team):
    verdict = publish(team)
    published_correction(
        team.chief, team.editor, verdict.claim_id, {"rating": "half-true"}, "A second source was found."
    )
    body = page_of(client, verdict).content.decode()
    assert "Half true" in body
    corrections = lxml_html.fromstring(body).xpath('//section[@id="corrections"]')[0].text_content()
    assert "Corrected: A second source was found." in corrections


# --- Sources and their archived copies ------------------------------------------------------


def test_sources_link_to_their_archived_copies_in_the_sandbox(client, team):
    verdict = publish(team, evidence=[{"url": "https://stats.example.org/a", "note": "Report A"}])
    cited = Source.objects.get(citations__claim=verdict.claim)
    snapshot_store(cited, "Report A", "Spending was 12 million.")
    page = page_of(client, verdict)
    archive = reverse("public:archive", args=[verdict.slug, cited.pk])
    assert archive.encode() in page.content

    copy = client.get(archive)
    assert copy.status_code == 200
    assert copy["Content-Security-Policy"].startswith("sandbox")
    assert b"Spending was 12 million." in copy.content
    text = client.get(archive, {"view": "text"})
    assert text["Content-Type"].startswith("text/plain") and b"12 million" in text.content


def test_a_source_without_a_copy_has_no_archive_link_and_is_404(client, team):
    verdict = publish(team, evidence=["https://stats.example.org/pending"])
    source = Source.objects.get(citations__claim=verdict.claim)
    archive = reverse("public:archive", args=[verdict.slug, source.pk])
    assert archive.encode() not in page_of(client, verdict).content
    assert client.get(archive).status_code == 404


def test_the_archive_refuses_sources_of_other_claims_and_unpublished_verdicts(client, team):
    verdict = publish(team)
    foreign = SourceFactory()
    CitationFactory(claim=claim_in_state(ClaimStatus.NEW, team), source=foreign)
    snapshot_store(foreign, "Elsewhere", "Not cited by this fact-check.")
    assert client.get(reverse("public:archive", args=[verdict.slug, foreign.pk])).status_code == 404

    draft = claim_in_state(ClaimStatus.SUBMITTED, team)
    Verdict.objects.filter(claim=draft).update(slug="draft-slug")
    own = SourceFactory()
    CitationFactory(claim=draft, source=own)
    snapshot_store(own, "Draft", "Under review.")
    assert client.get(reverse("public:archive", args=["draft-slug", own.pk])).status_code == 404
    # The same source becomes public with its claim's verdict (control for the 404 above).
    CitationFactory(claim=verdict.claim, source=own)
    assert client.get(reverse("public:archive", args=[verdict.slug, own.pk])).status_code == 200


# --- The index ------------------------------------------------------------------------------


def test_the_index_lists_published_verdicts_newest_first_with_links(client, team):
    older = publish(team, text="Older claim about trains.")
    newer = publish(team, text="Newer claim about buses.")
    claim_in_state(ClaimStatus.SUBMITTED, team, text="Draft claim about trams.")
    Verdict.objects.filter(pk=older.pk).update(published_at=timezone.now() - timedelta(days=2))
    response = client.get(reverse("public:index"))
    assert [v.pk for v in response.context["page"]] == [newer.pk, older.pk]
    for verdict in (older, newer):
        assert reverse("public:verdict", args=[verdict.slug]).encode() in response.content
    assert b"Draft claim about trams." not in response.content


def test_the_index_search_filters(client, team):
    publish(
        team,
        text="Vaccines contain microchips.",
        claimant="Anon Blogger",
        rating="false",
        tags=("health",),
        language="en",
    )
    publish(team, text="Unemployment fell to 4 percent.", claimant="Finance Minister", rating="true", language="en-GB")
    publish(team, text="Le chômage a baissé.", claimant="Ministre", rating="misleading", language="fr", tags=("eco",))
    old = publish(team, text="Roads cost 40 million.", claimant="Mayor Jones", rating="half-true")
    Verdict.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=30))

    everything = {"Vaccines contain microchips.", "Unemployment fell to 4 percent.", "Le chômage a baissé."}
    everything |= {"Roads cost 40 million."}
    assert index_texts(client) == everything
    assert index_texts(client, q="microchip") == {"Vaccines contain microchips."}
    assert index_texts(client, q="not so") == everything  # the summary is searched too
    assert index_texts(client, rating="true") == {"Unemployment fell to 4 percent."}
    assert index_texts(client, rating="misleading") == {"Le chômage a baissé."}
    assert index_texts(client, language="en") == everything - {"Le chômage a baissé."}
    assert index_texts(client, language="fr") == {"Le chômage a baissé."}
    assert index_texts(client, tag="health") == {"Vaccines contain microchips."}
    assert index_texts(client, claimant="mayor") == {"Roads cost 40 million."}
    past = (timezone.localdate() - timedelta(days=31)).isoformat()
    week_ago = (timezone.localdate() - timedelta(days=7)).isoformat()
    assert index_texts(client, published_to=week_ago) == {"Roads cost 40 million."}
    assert index_texts(client, published_from=week_ago) == everything - {"Roads cost 40 million."}
    assert index_texts(client, published_from=past, published_to=week_ago, claimant="jones") == {
        "Roads cost 40 million."
    }
    assert index_texts(client, rating="no-such-rating") == everything  # an invalid filter is shown, not applied
    assert client.get(reverse("public:index"), {"rating": "no-such-rating"}).context["form"].errors


def test_the_index_pages_and_keeps_the_filters(client, team, monkeypatch):
    monkeypatch.setattr(public, "INDEX_PAGE_SIZE", 3)
    for n in range(7):
        publish(team, text=f"Paged claim {n}.", tags=("paged",))
    publish(team, text="Other claim.")
    first = client.get(reverse("public:index"), {"tag": "paged"})
    assert first.context["page"].paginator.num_pages == 3
    assert b'href="?tag=paged&amp;page=2"' in first.content
    seen = []
    for number in (1, 2, 3):
        page = client.get(reverse("public:index"), {"tag": "paged", "page": number}).context["page"]
        seen += [v.claim.text for v in page]
    assert sorted(seen) == sorted(f"Paged claim {n}." for n in range(7))


def test_the_index_costs_the_same_queries_for_5_or_40_verdicts(
    client, team, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(public, "INDEX_PAGE_SIZE", 50)  # all 40 on one page
    for n in range(5):
        publish(team, text=f"Counted claim {n}.", tags=(f"t{n}", "common"))
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(reverse("public:index")).context["page"]) == 5
    for n in range(5, 40):
        publish(team, text=f"Counted claim {n}.", tags=(f"t{n}", "common"))
    with django_assert_max_num_queries(len(small)):
        assert len(client.get(reverse("public:index")).context["page"]) == 40


# --- Methodology and corrections ------------------------------------------------------------


def test_methodology_lists_the_active_scale_with_definitions_and_colours(client):
    Rating.objects.filter(slug="unproven").update(active=False)
    response = client.get(reverse("public:methodology"))
    assert response.status_code == 200
    doc = lxml_html.fromstring(response.content)
    for rating in Rating.objects.filter(active=True):
        term = doc.xpath(f'//dt[@id="rating-{rating.slug}"]')[0]
        badge = term.xpath('.//span[@class="rating"]')[0]
        assert badge.text == rating.label and rating.colour in badge.get("style")
        assert term.getnext().text_content() == rating.definition
    assert not doc.xpath('//dt[@id="rating-unproven"]')
    labels = [dt.xpath('.//span[@class="rating"]')[0].text for dt in doc.xpath("//dl/dt")]
    assert labels == list(Rating.objects.filter(active=True).order_by("position").values_list("label", flat=True))


def test_corrections_lists_every_correction_and_retraction_newest_first(client, team):
    first = publish(team, text="First claim.")
    second = publish(team, text="Second claim.")
    publish(team, text="Never corrected.")
    published_correction(team.chief, team.editor, first.claim_id, {"summary": "Amended."}, "Typo in the figure.")
    workflow.verdict_retract(team.chief, second.claim_id, "Misattributed quote.")
    published_correction(team.chief, team.editor, first.claim_id, {"rating": "half-true"}, "New data.")

    response = client.get(reverse("public:corrections"))
    items = lxml_html.fromstring(response.content).xpath('//ul[@class="results"]/li')
    texts = [" ".join(item.text_content().split()) for item in items]
    assert len(texts) == 3
    assert "Corrected" in texts[0] and "New data." in texts[0] and "First claim." in texts[0]
    assert "Retracted" in texts[1] and "Misattributed quote." in texts[1] and "Second claim." in texts[1]
    assert "Typo in the figure." in texts[2]
    assert items[1].xpath(".//a/@href") == [reverse("public:verdict", args=[second.slug])]
    assert b"Never corrected." not in response.content


def test_claims_are_not_made_public_by_status_alone(client, team):
    """A claim marked published without an approved verdict (bad data) is not shown."""
    claim = claim_in_state(ClaimStatus.ASSIGNED, team)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.PUBLISHED)
    assert len(client.get(reverse("public:index")).context["page"]) == 0
