"""Articles in a real browser: an editor pastes a text, triages its candidate claims, and sees the claims made.

Chromium driven by Playwright against the live test server. The article is read by
``claims.articles.services.article_process``, called here as the ``process_article`` task calls it
(the test settings' broker is in memory, so no worker runs). Screenshots go to ``var/screenshots/``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from claims.articles.services import article_process
from claims.choices import ArticleStatus, CandidateStatus, Channel
from claims.intake.services import claim_submit
from claims.models import Article, Claim
from reviews.people import user_add
from tests.reviews.test_browser import PASSWORD, browser, page, shoot, site_static  # noqa: F401 - fixtures

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

EXISTING = "The city council doubled the road repair budget to 24 million euros."
INTRO = "Mayor Jane Doe presented the budget to 40 councillors on Monday."
ROADS = '"We doubled what the city spends on mending its roads, to 24 million euros this year," said Mayor Jane Doe.'
JOBS = (
    '"Unemployment in Easthaven fell to 4.2 percent in March, the lowest rate since 2008," '
    "Finance Minister Tom Ryan told reporters."
)
BURGLARIES = (
    '"Police recorded 312 burglaries in 2023, down from 450 the year before," said Anna Berg, the police chief.'
)
OPINION = "I think the new cycle lanes are wonderful."
TEXT = f"{INTRO} {ROADS}\n\n{JOBS}\n\n{BURGLARIES}\n\n{OPINION} Residents should be proud of their city."


def test_an_editor_pastes_an_article_and_accepts_three_candidates(django_db_setup, live_server, page):  # noqa: F811
    # django_db_setup first: the test database then outlives the (session-wide) live server.
    base = live_server.url
    user_add("editor", "editor", ["en"], PASSWORD)
    existing = claim_submit({"text": EXISTING, "claimant": "Easthaven council"}, channel=Channel.API).claim

    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Articles").click()
    page.get_by_role("link", name="Read an article").click()
    page.get_by_label("…or paste the article text").fill(TEXT)
    page.get_by_role("button", name="Read the article").click()
    page.wait_for_url(re.compile(r"/articles/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("The article is being read")
    expect(page.locator(".status")).to_have_text("Pending")

    article = Article.objects.get()
    assert article.body_format == "text" and article.submitted_by.username == "editor"
    assert article_process(article.pk).outcome == ArticleStatus.READY  # what the worker's task runs
    page.reload()
    expect(page.locator(".status")).to_have_text("Ready")
    expect(page.get_by_text("this page reloads")).to_have_count(0)

    # The check-worthy sentences are highlighted in the text with their scores; the opinion is not.
    text = page.get_by_role("region", name="Text")
    for sentence in (ROADS, JOBS, BURGLARIES):
        expect(text.locator(".sentence.worthy", has_text=sentence)).to_have_count(1)
    expect(text.locator(".sentence:not(.worthy)", has_text=OPINION)).to_have_count(1)
    expect(text.locator("a.score")).to_have_count(4)  # the three claims and the intro sentence

    # The candidates, best first, each with its score, speaker and reasons; one is in the desk already.
    candidates = page.locator(".candidate")
    expect(candidates).to_have_count(4)
    expect(candidates.last).to_contain_text(INTRO)  # the weakest: a checkable detail of no consequence
    scores = [float(s) for s in candidates.locator(":scope > p > .score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 0.5, scores
    jobs = candidates.filter(has_text=JOBS)
    expect(jobs).to_contain_text("Said by Finance Minister Tom Ryan")
    expect(jobs.locator(".reasons li").first).to_contain_text("wording reads like a checkable statement (+")
    expect(jobs.locator(".reasons li", has_text="figure")).to_contain_text("figure 4.2 percent (+")
    expect(jobs.locator(".reasons li", has_text="attributed")).to_contain_text("Finance Minister Tom Ryan: told")
    roads = candidates.filter(has_text=ROADS)
    known = roads.locator(".matches li")
    expect(known).to_have_count(1)
    expect(known).to_contain_text(EXISTING)
    expect(known).to_contain_text(re.compile(r"\((duplicate|similar), 0\.\d\d\)"))
    expect(known.get_by_role("link", name=f"#{existing.pk}")).to_have_attribute("href", f"/claims/{existing.pk}/")
    expect(candidates.filter(has_text=JOBS).locator(".matches")).to_have_count(0)
    shoot(page, "articles-01-candidates")

    # Accept three, dismiss one.
    for sentence in (ROADS, JOBS, BURGLARIES):
        candidates.filter(has_text=sentence).get_by_role("button", name="Accept", exact=True).click()
        expect(page.locator(".messages")).to_contain_text("created from the sentence")
    candidates.filter(has_text=INTRO).get_by_role("button", name="Dismiss").click()
    expect(candidates.filter(has_text=INTRO)).to_contain_text("Dismissed.")
    expect(text.locator(".sentence.dismissed", has_text=INTRO)).to_have_count(1)
    shoot(page, "articles-02-decided")

    made = {c.text: c for c in Claim.objects.filter(channel=Channel.ARTICLE)}
    assert set(made) == {ROADS, JOBS, BURGLARIES}
    assert {c.claimant for c in made.values()} == {"Mayor Jane Doe", "Finance Minister Tom Ryan", "Anna Berg"}
    assert list(article.candidates.filter(status=CandidateStatus.DISMISSED).values_list("sentence", flat=True)) == [
        INTRO
    ]
    for sentence, claim in made.items():
        expect(candidates.filter(has_text=sentence).get_by_role("link", name=f"claim {claim.pk}")).to_be_visible()

    # The link leads to the claim, with its speaker.
    candidates.filter(has_text=JOBS).get_by_role("link", name=f"claim {made[JOBS].pk}").click()
    page.wait_for_url(f"{base}/claims/{made[JOBS].pk}/")
    expect(page.get_by_role("heading", name=f"Claim {made[JOBS].pk}")).to_be_visible()
    expect(page.get_by_text("Finance Minister Tom Ryan", exact=True)).to_be_visible()
    shoot(page, "articles-03-claim")
