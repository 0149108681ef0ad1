"""Articles to candidate claims (``claims.articles.services``): extraction, processing, accept and dismiss.

The services are called directly, as the ``process_article`` task calls them; URL articles are
fetched from a real loopback server. Scores come from the real scorer (``claims.articles.checkworthiness``)
and matches from the real matcher (``claims.matching.services``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from claims.articles import services as articles
from claims.articles.checkworthiness import CHECKWORTHY_THRESHOLD
from claims.articles.services import (
    ARTICLE_MAX_TEXT_CHARS,
    CandidateDecided,
    article_candidates,
    article_process,
    article_submit,
    candidate_accept,
    candidate_dismiss,
)
from claims.choices import ArticleStatus, CandidateStatus, Channel
from claims.intake.validation import InvalidInput
from claims.models import Article, ArticleCandidate, Claim, Source
from claims.sources.extraction import extract_article_html
from claims.tasks import process_article
from factcheck.queue import broker_breaker
from tests.claims.broker import drain
from tests.claims.servers import Reply
from tests.factories import ArticleCandidateFactory, ArticleFactory, ClaimFactory, StaffFactory

PAGES = Path(__file__).parent.parent / "pages" / "articles"
HTML = {"Content-Type": "text/html; charset=utf-8"}

pytestmark = pytest.mark.django_db


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def processed(data: dict) -> Article:
    """Submit and process an article the way the worker would, and read it back."""
    article = article_submit(data)
    article_process(article.pk)
    article.refresh_from_db()
    return article


def sentences(article: Article) -> list[str]:
    return list(article.candidates.order_by("position").values_list("sentence", flat=True))


def queued_messages() -> list[tuple[str, list, str | None]]:
    """Drain the in-memory broker's queues: (task name, args, eta) of every message sent."""
    return [(message.task, message.args, message.eta) for message in drain(run_followups=False).others]


@pytest.fixture(autouse=True)
def empty_queue() -> Iterator[None]:
    queued_messages()
    yield
    queued_messages()


# --------------------------------------------------------------------------- extraction


def test_news_article_metadata_and_paragraph_links():
    extracted = extract_article_html(page("news_links.html"), "https://herald.example/business/port-traffic")

    assert extracted.title == "Port traffic fell by a fifth last year, figures show"
    assert extracted.author == "Priya Raman"
    assert extracted.outlet == "The Harbour Herald"
    assert extracted.published_date == date(2024, 5, 2)
    assert extracted.language == "en-GB"
    by_text = {paragraph.text[:30]: paragraph.links for paragraph in extracted.paragraphs}
    assert by_text["Container traffic through the "] == ("https://stats.example.org/ports/2023.csv",)
    # Relative links are made absolute; javascript: and mailto: links are not sources.
    assert by_text["The port authority's annual re"] == (
        "https://herald.example/reports/annual-2023.pdf",
        "https://audit.example.gov/eastway?ref=herald",
    )
    assert by_text["The harbour master, Olivia Gra"] == ()
    assert not any("Ferry timetable" in p.text or "Privacy" in p.text for p in extracted.paragraphs)


def test_blog_comments_are_not_candidates():
    article = processed({"html": page("blog_comments.html"), "url": "https://numbers.example/school-meals"})

    assert article.status == ArticleStatus.READY, article.error
    assert article.title == "What the school meal numbers really say"
    assert article.author == "Sam Whitfield"
    assert article.outlet == "Numbers Notebook"
    assert article.published_date == date(2023, 9, 18)
    text = " ".join(sentences(article))
    assert "640,000 children received free school meals" in text
    for comment in ("my cousin says 90 percent", "footnotes of the ministry", "Leave a reply", "Powered by"):
        assert comment not in text


def test_cookie_banner_is_not_a_candidate():
    article = processed({"html": page("cookie_banner.html")})

    assert article.status == ArticleStatus.READY, article.error
    assert article.outlet == "Midland Courier"
    assert article.published_date == date(2024, 1, 9)
    text = " ".join(sentences(article))
    assert "rose to 48,300 in December" in text
    for banner in ("cookies", "742 partners", "Accept all", "Manage cookie preferences"):
        assert banner not in text


def test_paywall_stub_keeps_the_teaser_only():
    article = processed({"html": page("paywall.html"), "url": "https://ledger.example/tram-deal"})

    assert article.status == ArticleStatus.READY, article.error
    assert article.author == "Helena Park"
    text = sentences(article)
    assert any("cover 40 percent of the tram extension" in sentence for sentence in text)
    assert not any("subscri" in sentence.lower() for sentence in text)


def test_french_article():
    article = processed({"html": page("french_article.html"), "url": "https://courrier.example/transports"})

    assert article.status == ArticleStatus.READY, article.error
    assert article.language == "fr"
    assert article.title == "La ville annonce la gratuité des transports le week-end"
    assert article.author == "Camille Lefèvre"
    assert article.outlet == "Le Courrier du Rhône"
    assert article.published_date == date(2023, 3, 7)
    first = article.candidates.get(sentence__startswith="Le conseil municipal a voté mardi")
    assert first.links == ["https://mairie.example.fr/deliberation-2023-41.pdf"]
    assert first.score >= CHECKWORTHY_THRESHOLD  # 4,5 millions d'euros par an
    # "Mme Sophie Garnier." does not end a sentence at "Mme."
    assert any("a déclaré la maire, Mme Sophie Garnier." in sentence for sentence in sentences(article))


# --------------------------------------------------------------------------- processing


def test_every_sentence_is_stored_with_its_paragraph_and_position():
    article = processed({"html": page("news_links.html"), "url": "https://herald.example/business/port-traffic"})

    assert article.status == ArticleStatus.READY, article.error
    assert article.error == "" and article.processed_at is not None
    rows = list(article.candidates.order_by("position"))
    assert [row.position for row in rows] == list(range(len(rows)))
    assert [row.paragraph for row in rows] == sorted(row.paragraph for row in rows)
    # The quote and its attribution are two sentences of the same paragraph, without links.
    grant = [row for row in rows if "Olivia Grant" in row.sentence or "1.2 million containers" in row.sentence]
    assert len(grant) == 2 and grant[0].paragraph == grant[1].paragraph and grant[0].links == []
    # Both sentences of the links paragraph carry its links.
    linked = [row for row in rows if row.paragraph == grant[0].paragraph + 1]
    assert len(linked) == 2
    assert all(row.links == linked[0].links for row in linked) and len(linked[0].links) == 2
    figures = next(row for row in rows if "fell by 21 percent in 2023" in row.sentence)
    assert figures.score >= CHECKWORTHY_THRESHOLD
    assert {"code", "weight", "detail"} <= set(figures.reasons[0])
    scores = [row.score for row in article_candidates(article, include_all=True)]
    assert scores == sorted(scores, reverse=True)
    assert all(row.score >= CHECKWORTHY_THRESHOLD for row in article_candidates(article))
    assert article_candidates(article).count() < len(rows)  # some sentences are below the threshold


def test_text_is_split_into_paragraphs_and_sentences():
    text = (
        "The minister said unemployment fell to 4.1 percent in March. It was 5.3 percent a year earlier.\n\n"
        "Critics were not convinced.\nThey called the speech a campaign event."
    )
    article = processed({"text": text, "language": "en-GB"})

    assert article.status == ArticleStatus.READY, article.error
    assert article.language == "en-GB"
    assert article.text.count("\n\n") == 2
    assert [(row.paragraph, row.sentence) for row in article.candidates.order_by("position")] == [
        (0, "The minister said unemployment fell to 4.1 percent in March."),
        (0, "It was 5.3 percent a year earlier."),
        (1, "Critics were not convinced."),
        (2, "They called the speech a campaign event."),
    ]


def test_processing_twice_changes_nothing():
    article = article_submit({"text": "Inflation reached 7 percent in 2022. Prices doubled since 2010."})
    assert article_process(article.pk).outcome == ArticleStatus.READY
    first = list(article.candidates.values_list("id", flat=True))

    assert article_process(article.pk).outcome == "skipped"
    assert list(article.candidates.values_list("id", flat=True)) == first


def test_an_article_whose_worker_died_is_taken_again_but_not_one_being_read():
    article = article_submit({"text": "Inflation reached 7 percent in 2022."})
    Article.objects.filter(pk=article.pk).update(
        status=ArticleStatus.PROCESSING, attempts=1, lease_expires_at=timezone.now() + timedelta(minutes=1)
    )
    assert article_process(article.pk).outcome == "skipped"

    Article.objects.filter(pk=article.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert article_process(article.pk).outcome == ArticleStatus.READY
    article.refresh_from_db()
    assert (article.status, article.attempts, article.lease_expires_at) == (ArticleStatus.READY, 2, None)


def test_page_without_text_fails_with_a_message():
    article = processed({"html": "<html><body><nav><a href='/'>Home</a></nav></body></html>"})

    assert article.status == ArticleStatus.FAILED
    assert article.error == "No article text could be found in this page."
    assert not article.candidates.exists()


def test_matches_name_similar_claims_already_in_the_desk():
    existing = ClaimFactory(text="Container traffic at the port of Easthaven fell by 21 percent in 2023.")
    article = processed({"text": "Container traffic through the port of Easthaven fell by 21% in 2023."})

    candidate = article.candidates.get()
    assert candidate.score >= CHECKWORTHY_THRESHOLD
    assert [match["claim_id"] for match in candidate.matches] == [existing.pk]
    assert candidate.matches[0]["kind"] == "duplicate"
    assert set(candidate.matches[0]) == {"claim_id", "text", "score", "kind"}


def test_sentences_below_the_threshold_are_not_matched():
    ClaimFactory(text="Critics were not convinced.")
    article = processed({"text": "Critics were not convinced."})

    candidate = article.candidates.get()
    assert candidate.score < CHECKWORTHY_THRESHOLD
    assert candidate.matches == []


# --------------------------------------------------------------------------- URL articles


def test_url_article_is_fetched_through_the_safe_fetcher(server, allow_loopback, django_capture_on_commit_callbacks):
    body = page("news_links.html").encode()
    server.route("/story", Reply(301, {"Location": "/business/port-traffic"}))
    server.route("/business/port-traffic", Reply(200, HTML, body))

    with django_capture_on_commit_callbacks(execute=True):
        article = article_submit({"url": server.url("/story")})
    assert article.status == ArticleStatus.PENDING
    assert queued_messages() == [("claims.tasks.process_article", [article.pk], None)]  # sent after commit
    assert process_article(article.pk) == ArticleStatus.READY  # what the worker runs
    article.refresh_from_db()

    assert article.status == ArticleStatus.READY, article.error
    assert article.final_url == server.url("/business/port-traffic")
    assert article.title == "Port traffic fell by a fifth last year, figures show"
    assert article.body == ""  # a fetched page is not kept as the submitted body
    relative = article.candidates.filter(links__contains=[server.url("/reports/annual-2023.pdf")])
    assert relative.count() == 2  # resolved against the URL that answered
    assert [request.path for request in server.requests] == ["/story", "/business/port-traffic"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:9/", "Port 9 is not allowed."),
        ("http://127.0.0.1/", "The address is not publicly routable (loopback)."),
        ("http://10.0.0.1/", "The address is not publicly routable (private)."),
    ],
)
def test_private_address_is_refused_and_the_article_fails(url, message):
    article = processed({"url": url})

    assert article.status == ArticleStatus.FAILED
    assert article.error == message  # the fetcher's own words
    assert not article.candidates.exists()


def test_http_error_fails_the_article(server, allow_loopback):
    server.route("/gone", Reply(404, HTML, b"<p>Not here</p>"))

    article = processed({"url": server.url("/gone")})

    assert article.status == ArticleStatus.FAILED
    assert article.error == "The page answers HTTP 404."


def test_server_errors_are_retried_then_fail(server, allow_loopback):
    server.route("/busy", Reply(503, HTML, b"busy"))
    article = article_submit({"url": server.url("/busy")})

    for attempt in range(1, articles.ARTICLE_MAX_ATTEMPTS):
        outcome = article_process(article.pk)
        article.refresh_from_db()
        assert outcome.outcome == "retry" and outcome.retry_in and outcome.retry_in > 0
        assert article.status == ArticleStatus.PENDING and article.attempts == attempt
        assert "503" in article.error and "will retry" in article.error
    assert article_process(article.pk).outcome == ArticleStatus.FAILED
    article.refresh_from_db()
    assert article.status == ArticleStatus.FAILED
    assert "gave up after 3 attempts" in article.error
    assert len(server.requests) == articles.ARTICLE_MAX_ATTEMPTS


def test_retry_is_sent_again_by_the_task(server, allow_loopback):
    server.route("/busy", Reply(503, HTML, b"busy"))
    article = article_submit({"url": server.url("/busy")})

    assert process_article(article.pk) == "retry"

    [(task, args, eta)] = queued_messages()
    assert (task, args) == ("claims.tasks.process_article", [article.pk]) and eta is not None


def test_sweep_resends_articles_whose_worker_died_or_whose_message_was_lost():
    dead = ArticleFactory(status=ArticleStatus.PROCESSING, attempts=1)
    lost = ArticleFactory(status=ArticleStatus.PENDING)
    ArticleFactory(status=ArticleStatus.PENDING)  # just submitted: its own message is on its way
    ArticleFactory(status=ArticleStatus.PROCESSING, attempts=1, lease_expires_at=timezone.now() + timedelta(minutes=1))
    Article.objects.filter(pk=dead.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    Article.objects.filter(pk=lost.pk).update(updated_at=timezone.now() - articles.ARTICLE_REENQUEUE_AFTER * 2)

    assert articles.articles_sweep() == 2

    assert sorted(args[0] for _, args, _ in queued_messages()) == [dead.pk, lost.pk]


def test_sweep_gives_up_on_an_article_that_keeps_losing_its_worker():
    article = ArticleFactory(status=ArticleStatus.PROCESSING, attempts=articles.ARTICLE_MAX_ATTEMPTS)
    Article.objects.filter(pk=article.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    assert articles.articles_sweep() == 0

    article.refresh_from_db()
    assert article.status == ArticleStatus.FAILED
    assert article.error == "Reading the article never finished; gave up after 3 attempts."
    assert queued_messages() == []


# --------------------------------------------------------------------------- input


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "url"),
        ({"language": "en"}, "url"),
        ({"html": "<p>a</p>", "text": "a"}, "text"),
        ({"url": "ftp://example.org/a"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"html": ""}, "html"),
        ({"text": "   \n "}, "text"),
        ({"text": 42}, "text"),
        ({"text": "a" * (ARTICLE_MAX_TEXT_CHARS + 1)}, "text"),
        ({"html": "x" * (articles.ARTICLE_MAX_HTML_CHARS + 1)}, "html"),
        ({"text": "\x00\x01\x02binary\x03\x04" * 50}, "text"),
        ({"html": "<p>\x00</p>"}, "html"),
        ({"text": "Fine text.", "language": "xx-not-a-language"}, "language"),
        ({"text": "Fine text.", "title": "extra"}, "title"),
    ],
)
def test_bad_input_is_refused_naming_the_field(data, field):
    with pytest.raises(InvalidInput) as caught:
        article_submit(data)

    assert field in caught.value.fields
    assert not Article.objects.exists()


def test_non_object_input_is_refused():
    with pytest.raises(InvalidInput) as caught:
        article_submit(["https://example.org/"])
    assert "_" in caught.value.fields


# --------------------------------------------------------------------------- accept and dismiss


def test_accept_makes_a_claim_from_the_sentence(django_capture_on_commit_callbacks):
    editor = StaffFactory()
    links = ["https://stats.example.org/ports/2023.csv", "https://audit.example.gov/eastway"]
    candidate = ArticleCandidateFactory(speaker="Olivia Grant", links=links)
    article = candidate.article

    with django_capture_on_commit_callbacks():
        accepted = candidate_accept(article.pk, candidate.pk, user=editor)

    claim = accepted.claim
    assert accepted.created
    assert claim.text == candidate.sentence
    assert claim.claimant == "Olivia Grant"
    assert claim.claim_date == date(2024, 5, 2)
    assert claim.appeared_at == article.url
    assert claim.channel == Channel.ARTICLE
    assert claim.language == "en"
    assert claim.submitted_by == editor
    assert sorted(claim.sources.values_list("url", flat=True)) == sorted(links)
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.ACCEPTED
    assert candidate.claim_id == claim.pk and candidate.decided_by == editor and candidate.decided_at


def test_accept_without_speaker_names_the_outlet_and_takes_edited_text():
    candidate = ArticleCandidateFactory(speaker="")

    claim = candidate_accept(
        candidate.article_id, candidate.pk, text="  Easthaven port traffic fell 21% in 2023  "
    ).claim

    assert claim.claimant == "The Harbour Herald"
    assert claim.text == "Easthaven port traffic fell 21% in 2023"
    assert claim.sources.count() == 0


def test_accept_cites_at_most_fifty_links_and_skips_refused_ones():
    links = ["https://user:pw@evil.example/x"] + [f"https://stats.example.org/t/{n}" for n in range(60)]
    candidate = ArticleCandidateFactory(links=links)

    claim = candidate_accept(candidate.article_id, candidate.pk).claim

    urls = set(claim.sources.values_list("url", flat=True))
    assert len(urls) == articles.ARTICLE_MAX_SOURCES
    assert "https://user:pw@evil.example/x" not in urls


def test_pasted_text_without_url_or_date_makes_a_plain_claim():
    candidate = ArticleCandidateFactory(article__url="", article__published_date=None, article__outlet="")

    claim = candidate_accept(candidate.article_id, candidate.pk).claim

    assert (claim.appeared_at, claim.claim_date, claim.claimant) == ("", None, "")


def test_accepting_twice_returns_the_same_claim():
    candidate = ArticleCandidateFactory()

    first = candidate_accept(candidate.article_id, candidate.pk)
    again = candidate_accept(candidate.article_id, candidate.pk, text="Something else entirely, 99 percent.")

    assert first.created and not again.created
    assert again.claim.pk == first.claim.pk
    assert Claim.objects.count() == 1


def test_accepting_a_sentence_already_claimed_links_the_existing_claim():
    existing = ClaimFactory(text="Container traffic fell by 21 percent in 2023.")
    candidate = ArticleCandidateFactory(sentence="Container  traffic fell by 21 percent in 2023.")

    accepted = candidate_accept(candidate.article_id, candidate.pk)

    assert not accepted.created and accepted.claim.pk == existing.pk
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.ACCEPTED and candidate.claim_id == existing.pk


def test_invalid_edited_text_saves_nothing():
    candidate = ArticleCandidateFactory(links=["https://stats.example.org/a"])

    with pytest.raises(InvalidInput) as caught:
        candidate_accept(candidate.article_id, candidate.pk, text="   ")

    assert "text" in caught.value.fields
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.OPEN
    assert (Claim.objects.count(), Source.objects.count()) == (0, 0)


def test_dismiss_then_accept_is_refused():
    candidate = ArticleCandidateFactory()

    candidate_dismiss(candidate.article_id, candidate.pk)
    candidate_dismiss(candidate.article_id, candidate.pk)  # again: nothing changes

    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.DISMISSED
    with pytest.raises(CandidateDecided, match="dismissed"):
        candidate_accept(candidate.article_id, candidate.pk)
    assert not Claim.objects.exists()


def test_accepted_candidate_cannot_be_dismissed():
    candidate = ArticleCandidateFactory()
    claim = candidate_accept(candidate.article_id, candidate.pk).claim

    with pytest.raises(CandidateDecided, match=f"accepted as claim {claim.pk}"):
        candidate_dismiss(candidate.article_id, candidate.pk)


def test_candidate_of_another_article_is_not_found():
    candidate = ArticleCandidateFactory()
    other = ArticleFactory()

    with pytest.raises(ArticleCandidate.DoesNotExist):
        candidate_accept(other.pk, candidate.pk)
    with pytest.raises(ArticleCandidate.DoesNotExist):
        candidate_dismiss(other.pk, candidate.pk)


def test_a_recent_broker_failure_leaves_new_articles_to_the_sweep(django_capture_on_commit_callbacks):
    """Like sources and claims: a request does not wait out a broker that just failed."""
    broker_breaker.trip()
    with django_capture_on_commit_callbacks(execute=True):
        article = articles.article_submit({"text": "The council spent 5 million euros on roads in 2024."})
    assert queued_messages() == []
    assert Article.objects.get(pk=article.pk).status == ArticleStatus.PENDING
    broker_breaker.reset()
    assert articles.articles_enqueue([article.pk]) == 1
    assert queued_messages() == [("claims.tasks.process_article", [article.pk], None)]
