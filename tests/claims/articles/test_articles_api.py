"""The articles API (``/api/v1/articles/``) and the staff pages (``/articles/``), through the real URL conf."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from rest_framework.test import APIClient

from claims.articles.checkworthiness import CHECKWORTHY_THRESHOLD
from claims.articles.services import ARTICLE_MAX_TEXT_CHARS, article_process
from claims.choices import CandidateStatus, Channel
from claims.models import Article, ArticleCandidate, Claim
from tests.factories import ArticleCandidateFactory, ArticleFactory, StaffFactory, UserFactory

PAGES = Path(__file__).parent.parent / "pages" / "articles"
ARTICLES = "/api/v1/articles/"

pytestmark = pytest.mark.django_db


def keyed(make_key, *scopes: str) -> APIClient:
    _, raw = make_key(*scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def accept_url(candidate: ArticleCandidate) -> str:
    return f"{ARTICLES}{candidate.article_id}/candidates/{candidate.pk}/accept/"


def dismiss_url(candidate: ArticleCandidate) -> str:
    return f"{ARTICLES}{candidate.article_id}/candidates/{candidate.pk}/dismiss/"


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(username="editor"))
    return client


# --------------------------------------------------------------------------- submit and read


def test_submit_html_then_read_the_ranked_candidates(intake_client, django_capture_on_commit_callbacks):
    html = (PAGES / "news_links.html").read_text()
    with django_capture_on_commit_callbacks() as callbacks:
        response = intake_client.post(
            ARTICLES, {"html": html, "url": "https://herald.example/business/port-traffic"}, format="json"
        )

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and body["candidates"] == [] and len(callbacks) == 1
    article_process(body["id"])

    response = intake_client.get(f"{ARTICLES}{body['id']}/")
    assert response.status_code == 200
    data = response.json()
    assert {key: data[key] for key in ("url", "title", "author", "outlet", "published_date", "language")} == {
        "url": "https://herald.example/business/port-traffic",
        "title": "Port traffic fell by a fifth last year, figures show",
        "author": "Priya Raman",
        "outlet": "The Harbour Herald",
        "published_date": "2024-05-02",
        "language": "en-GB",
    }
    assert (data["status"], data["error"]) == ("ready", "")
    candidates = data["candidates"]
    assert candidates and all(c["score"] >= CHECKWORTHY_THRESHOLD for c in candidates)
    assert [c["score"] for c in candidates] == sorted((c["score"] for c in candidates), reverse=True)
    first = candidates[0]
    assert set(first) >= {"id", "sentence", "paragraph", "score", "reasons", "speaker", "status", "claim_id", "matches"}
    assert first["status"] == "open" and first["claim_id"] is None and first["reasons"]

    everything = intake_client.get(f"{ARTICLES}{body['id']}/?all=true").json()["candidates"]
    assert len(everything) == ArticleCandidate.objects.filter(article_id=body["id"]).count() > len(candidates)
    assert any(c["score"] < CHECKWORTHY_THRESHOLD for c in everything)


def test_submit_url_is_pending_until_the_worker_reads_it(intake_client):
    response = intake_client.post(ARTICLES, {"url": "https://herald.example/story"}, format="json")

    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    article = Article.objects.get()
    assert (article.url, article.body, article.body_format) == ("https://herald.example/story", "", "")
    assert article.submitted_by_key is not None


def test_private_url_ends_failed_with_the_fetchers_message(intake_client):
    article_id = intake_client.post(ARTICLES, {"url": "http://10.0.0.1/"}, format="json").json()["id"]
    article_process(article_id)

    data = intake_client.get(f"{ARTICLES}{article_id}/").json()
    assert (data["status"], data["error"]) == ("failed", "The address is not publicly routable (private).")
    assert data["candidates"] == []


def test_list_is_paginated_without_candidates(intake_client, django_assert_max_num_queries):
    for _ in range(3):
        ArticleCandidateFactory.create_batch(2, article=ArticleFactory())

    with django_assert_max_num_queries(3):  # key lookup, key last-used, the page
        response = intake_client.get(ARTICLES)

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 3 and "candidates" not in results[0]


def test_detail_query_count_does_not_grow_with_candidates(intake_client, django_assert_max_num_queries):
    article = ArticleFactory()
    ArticleCandidateFactory.create_batch(40, article=article)

    with django_assert_max_num_queries(4):
        response = intake_client.get(f"{ARTICLES}{article.pk}/")
    assert len(response.json()["candidates"]) == 40


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "url"),
        ({"html": "<p>a</p>", "text": "a"}, "text"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"html": "  "}, "html"),
        ({"text": ""}, "text"),
        ({"text": "a" * (ARTICLE_MAX_TEXT_CHARS + 1)}, "text"),
        ({"text": "\u0000\u0001\u0002\u0003garbage" * 20}, "text"),
        ({"text": ["a list"]}, "text"),
        ({"text": "ok", "language": "not a language"}, "language"),
        ({"text": "ok", "colour": "blue"}, "colour"),
    ],
)
def test_bad_input_is_400_naming_the_field(intake_client, payload, field):
    response = intake_client.post(ARTICLES, payload, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert not Article.objects.exists()


def test_non_json_and_non_object_bodies_are_refused(intake_client):
    assert intake_client.post(ARTICLES, "<html>", content_type="text/html").status_code == 415
    response = intake_client.post(ARTICLES, json.dumps(["https://a.example/"]), content_type="application/json")
    assert response.status_code == 400 and "_" in response.json()["error"]["fields"]
    response = intake_client.post(ARTICLES, b"\xff\xfe\x00garbage", content_type="application/json")
    assert response.status_code == 400
    assert not Article.objects.exists()


# --------------------------------------------------------------------------- accept and dismiss


def test_accept_creates_the_claim_then_returns_it_again(intake_client):
    candidate = ArticleCandidateFactory(speaker="Olivia Grant", links=["https://stats.example.org/ports/2023.csv"])

    response = intake_client.post(accept_url(candidate), {}, format="json")

    assert response.status_code == 201, response.content
    claim = response.json()
    assert claim["text"] == candidate.sentence and claim["duplicate"] is False
    assert claim["claimant"] == "Olivia Grant" and claim["claim_date"] == "2024-05-02"
    assert claim["appeared_at"] == candidate.article.url and claim["channel"] == Channel.ARTICLE
    assert [source["url"] for source in claim["sources"]] == ["https://stats.example.org/ports/2023.csv"]

    again = intake_client.post(accept_url(candidate), {"text": "Other words, 5 percent."}, format="json")
    assert again.status_code == 200 and again.json()["id"] == claim["id"]
    assert Claim.objects.count() == 1

    shown = intake_client.get(f"{ARTICLES}{candidate.article_id}/").json()["candidates"][0]
    assert (shown["status"], shown["claim_id"]) == ("accepted", claim["id"])


def test_accept_with_edited_text(intake_client):
    candidate = ArticleCandidateFactory()

    response = intake_client.post(accept_url(candidate), {"text": "Port traffic fell 21% in 2023."}, format="json")

    assert response.status_code == 201
    assert response.json()["text"] == "Port traffic fell 21% in 2023."


def test_accept_without_body_works(intake_client):
    candidate = ArticleCandidateFactory()
    assert intake_client.post(accept_url(candidate)).status_code == 201


@pytest.mark.parametrize("text", ["", "   ", 12, "x" * 5001])
def test_accept_with_bad_text_is_400_and_saves_nothing(intake_client, text):
    candidate = ArticleCandidateFactory()

    response = intake_client.post(accept_url(candidate), {"text": text}, format="json")

    assert response.status_code == 400
    assert "text" in response.json()["error"]["fields"]
    assert not Claim.objects.exists()
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.OPEN


def test_dismiss_then_accept_is_409(intake_client):
    candidate = ArticleCandidateFactory()

    first = intake_client.post(dismiss_url(candidate))
    again = intake_client.post(dismiss_url(candidate))
    refused = intake_client.post(accept_url(candidate), {}, format="json")

    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "dismissed"
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "conflict"
    assert "dismissed" in refused.json()["error"]["message"]
    assert not Claim.objects.exists()


def test_dismiss_after_accept_is_409_naming_the_claim(intake_client):
    candidate = ArticleCandidateFactory()
    claim_id = intake_client.post(accept_url(candidate), {}, format="json").json()["id"]

    response = intake_client.post(dismiss_url(candidate))

    assert response.status_code == 409
    assert f"accepted as claim {claim_id}" in response.json()["error"]["message"]


def test_unknown_or_mismatched_candidate_is_404(intake_client):
    candidate = ArticleCandidateFactory()
    other = ArticleFactory()

    assert intake_client.post(f"{ARTICLES}{other.pk}/candidates/{candidate.pk}/accept/").status_code == 404
    assert intake_client.post(f"{ARTICLES}{candidate.article_id}/candidates/999999/dismiss/").status_code == 404
    assert intake_client.get(f"{ARTICLES}999999/").status_code == 404


# --------------------------------------------------------------------------- permissions


def test_no_key_is_refused(api_client):
    candidate = ArticleCandidateFactory()

    assert api_client.get(ARTICLES).status_code in (401, 403)
    assert api_client.get(f"{ARTICLES}{candidate.article_id}/").status_code in (401, 403)
    assert api_client.post(ARTICLES, {"text": "Prices rose 5%."}, format="json").status_code in (401, 403)
    assert api_client.post(accept_url(candidate)).status_code in (401, 403)
    assert api_client.post(dismiss_url(candidate)).status_code in (401, 403)
    assert not Article.objects.exclude(pk=candidate.article_id).exists() and not Claim.objects.exists()


def test_read_key_cannot_submit_or_decide(make_key):
    client = keyed(make_key, "read")
    candidate = ArticleCandidateFactory()

    assert client.get(f"{ARTICLES}{candidate.article_id}/").status_code == 200
    for response in (
        client.post(ARTICLES, {"text": "Prices rose 5%."}, format="json"),
        client.post(accept_url(candidate)),
        client.post(dismiss_url(candidate)),
    ):
        assert response.status_code == 403
        assert "'intake' scope" in response.json()["error"]["message"]
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.OPEN


def test_intake_key_cannot_read(make_key):
    client = keyed(make_key, "intake")
    article = ArticleFactory()

    response = client.get(f"{ARTICLES}{article.pk}/")

    assert response.status_code == 403
    assert "'read' scope" in response.json()["error"]["message"]


def test_staff_session_may_use_the_api(staff_client):
    candidate = ArticleCandidateFactory()

    assert staff_client.get(f"{ARTICLES}{candidate.article_id}/").status_code == 200


# --------------------------------------------------------------------------- web pages


@pytest.mark.parametrize("path", ["/articles/", "/articles/new/", "/articles/1/"])
def test_pages_need_a_staff_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(UserFactory())
    assert client.get(path).status_code in (302, 403)


def test_paste_text_in_the_page(staff_client):
    response = staff_client.post(
        "/articles/new/", {"url": "", "text": "Unemployment fell to 4.1 percent in March.", "language": ""}
    )

    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/articles/{article.pk}/"
    assert (article.body_format, article.status, article.submitted_by.username) == ("text", "pending", "editor")
    page = staff_client.get(response["Location"])
    assert page.status_code == 200 and b'http-equiv="refresh"' in page.content


def test_page_form_shows_service_errors(staff_client):
    response = staff_client.post("/articles/new/", {"url": "ftp://example.org/x", "text": "", "language": ""})

    assert response.status_code == 400
    assert "Only http and https URLs are accepted." in response.content.decode()
    assert not Article.objects.exists()


def test_article_page_highlights_candidates_and_decides(staff_client):
    article = ArticleFactory()
    worthy = ArticleCandidateFactory(article=article, position=0, score=0.91, sentence="Traffic fell 21% in 2023.")
    plain = ArticleCandidateFactory(article=article, position=1, score=0.2, sentence="It was a grey morning.")
    other = ArticleCandidateFactory(article=article, position=2, paragraph=1, score=0.7, sentence="Prices rose 4%.")

    page = staff_client.get(f"/articles/{article.pk}/").content.decode()

    assert 'class="sentence worthy open" style="--score: 0.910"' in page
    assert '<span class="sentence open">It was a grey morning.</span>' in page
    assert page.count(f'action="/articles/{article.pk}/candidates/{worthy.pk}/accept/"') == 2  # plain and reworded
    assert f"/candidates/{plain.pk}/accept/" not in page  # below the threshold: in the text, not the list
    assert b"refresh" not in page.encode()

    response = staff_client.post(f"/articles/{article.pk}/candidates/{worthy.pk}/accept/", {"text": ""})
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/articles/{article.pk}/#c{worthy.pk}"
    assert claim.text == "Traffic fell 21% in 2023." and claim.submitted_by.username == "editor"
    staff_client.post(f"/articles/{article.pk}/candidates/{other.pk}/dismiss/")
    page = staff_client.get(f"/articles/{article.pk}/").content.decode()
    assert f'<a href="/claims/{claim.pk}/">claim {claim.pk}</a>' in page
    assert "Dismissed." in page

    response = staff_client.post(f"/articles/{article.pk}/candidates/{other.pk}/accept/")
    assert "dismissed" in [str(m) for m in get_messages(response.wsgi_request)][-1]
    assert Claim.objects.count() == 1


def test_page_accept_with_edited_text(staff_client):
    candidate = ArticleCandidateFactory()

    staff_client.post(f"/articles/{candidate.article_id}/candidates/{candidate.pk}/accept/", {"text": "Reworded 5%."})

    assert Claim.objects.get().text == "Reworded 5%."


def test_page_actions_need_post_and_staff(staff_client):
    candidate = ArticleCandidateFactory()
    url = f"/articles/{candidate.article_id}/candidates/{candidate.pk}/accept/"

    assert staff_client.get(url).status_code == 405
    response = Client().post(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Claim.objects.exists()
