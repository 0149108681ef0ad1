"""Issue 5 end to end: an article URL becomes ranked candidate claims, three become claims, one is known already.

Everything is real: the API through the URL conf, PostgreSQL, Redis as the broker, a Celery worker
process that fetches the article from a loopback server, scores its sentences and matches claims
with the MiniLM model.
"""

from __future__ import annotations

import time

import pytest

from claims.articles.checkworthiness import CHECKWORTHY_THRESHOLD
from claims.models import ClaimEmbedding, ClaimMatch
from tests.claims.servers import LoopbackServer, Reply
from tests.conftest import celery_worker_args, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

HTML = {"Content-Type": "text/html; charset=utf-8"}
EXISTING = "The city council doubled the road repair budget to 24 million euros."
ROADS = '"We doubled what the city spends on mending its roads, to 24 million euros this year," said Mayor Jane Doe.'
JOBS = (
    '"Unemployment in Easthaven fell to 4.2 percent in March, the lowest rate since 2008," '
    "Finance Minister Tom Ryan told reporters."
)
BURGLARIES = (
    '"Police recorded 312 burglaries in 2023, down from 450 the year before," said Anna Berg, the police chief.'
)
OPINION = "I think the new cycle lanes are wonderful."
BOILERPLATE = "Subscribe to our newsletter for more local news."


def article_html(pages: LoopbackServer) -> bytes:
    """A local news page: three attributed, sourced claims among opinion, navigation and boilerplate."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Easthaven council defends its spending | The Easthaven Echo</title>
<meta property="og:site_name" content="The Easthaven Echo">
<meta property="og:title" content="Easthaven council defends its spending">
<meta name="author" content="Sam Okoro">
<meta property="article:published_time" content="2024-03-14T08:00:00+00:00">
</head>
<body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav></header>
<main><article>
<h1>Easthaven council defends its spending</h1>
<p>The council met on Monday evening to answer questions from residents about the new budget and the state of
the town's finances, in a hall that was full long before the meeting began.</p>
<p>{ROADS} The <a href="{pages.url("/budget-2024")}">budget papers</a> list every street to be resurfaced.</p>
<p>{JOBS} The <a href="{pages.url("/labour-survey")}">labour survey</a> was published on Friday.</p>
<p>{BURGLARIES} Her figures come from the <a href="{pages.url("/crime-report")}">annual crime report</a>.</p>
<p>{OPINION} Residents should be proud of their city.</p>
<p>{BOILERPLATE}</p>
</article></main>
<aside><h2>Most read</h2><ul><li><a href="/a">Ferry timetable changes</a></li></ul></aside>
<footer><p>© 2024 The Easthaven Echo. All rights reserved.</p></footer>
</body>
</html>""".encode()


def poll(client, path: str, done, timeout: float = 40, log=lambda: "") -> dict:
    """GET ``path`` until ``done(body)``; the last body."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(path).json()
        if done(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} still {body} after {timeout}s:\n{log()}")
        time.sleep(0.3)


@pytest.fixture
def worker(publish_to, start_process, redis_queue_clean):
    publish_to()
    process = start_process("worker", celery_worker_args())
    process.wait_for_log("ready.", timeout=30)
    return process


def test_an_article_url_becomes_three_claims_and_one_is_known_already(intake_client, pages, worker):
    def log() -> str:
        return worker.log()[-3000:]

    # A claim already in the desk, matched (indexed) by the worker.
    existing = intake_client.post("/api/v1/claims/", {"text": EXISTING, "claimant": "Easthaven council"}, format="json")
    assert existing.status_code == 201, existing.content
    existing_id = existing.json()["id"]
    wait_until(
        lambda: ClaimEmbedding.objects.filter(claim_id=existing_id, matched=True).exists(),
        timeout=40,
        message=f"the existing claim was never matched:\n{log()}",
    )

    pages.route("/news/council-spending", Reply(200, HTML, article_html(pages)))
    for path in ("/budget-2024", "/labour-survey", "/crime-report"):
        pages.route(path, Reply(200, HTML, f"<title>{path}</title><p>The figures.</p>".encode()))
    article_url = pages.url("/news/council-spending")

    started = time.monotonic()
    submitted = intake_client.post("/api/v1/articles/", {"url": article_url}, format="json")
    assert submitted.status_code == 202, submitted.content
    assert submitted.json()["status"] == "pending"
    article_id = submitted.json()["id"]
    article = poll(
        intake_client, f"/api/v1/articles/{article_id}/", lambda b: b["status"] in ("ready", "failed"), log=log
    )
    read_in = time.monotonic() - started
    assert article["status"] == "ready", article["error"]
    assert article["title"] == "Easthaven council defends its spending"
    assert article["outlet"] == "The Easthaven Echo"
    assert article["published_date"] == "2024-03-14"
    assert [r.path for r in pages.requests] == ["/news/council-spending"]  # fetched once

    # Candidates are ranked by score, each with its reasons; opinion and boilerplate are not among them.
    candidates = article["candidates"]
    scores = [c["score"] for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(c["score"] >= CHECKWORTHY_THRESHOLD and c["reasons"] for c in candidates)
    by_sentence = {c["sentence"]: c for c in candidates}
    assert {ROADS, JOBS, BURGLARIES} <= set(by_sentence), list(by_sentence)
    assert {r["code"] for r in by_sentence[JOBS]["reasons"]} >= {"quantity", "attribution"}
    every = intake_client.get(f"/api/v1/articles/{article_id}/?all=1").json()["candidates"]
    rank = {c["sentence"]: i for i, c in enumerate(every)}
    worst_claim = max(rank[s] for s in (ROADS, JOBS, BURGLARIES))
    for filler in (OPINION, BOILERPLATE):
        assert rank[filler] > worst_claim, [(c["score"], c["sentence"]) for c in every]
        assert every[rank[filler]]["score"] < CHECKWORTHY_THRESHOLD
    assert {r["code"] for r in every[rank[BOILERPLATE]]["reasons"]} & {"boilerplate", "call_to_action"}
    # The restating sentence already shows the claim in the desk.
    assert existing_id in [m["claim_id"] for m in by_sentence[ROADS]["matches"]]
    assert not any(m["claim_id"] == existing_id for m in by_sentence[BURGLARIES]["matches"])

    # Accept three: each becomes a claim with its speaker, the article's date and address, the paragraph's links.
    expected = {
        ROADS: ("Mayor Jane Doe", "/budget-2024"),
        JOBS: ("Finance Minister Tom Ryan", "/labour-survey"),
        BURGLARIES: ("Anna Berg", "/crime-report"),
    }
    claim_ids = {}
    for sentence, (speaker, link) in expected.items():
        candidate = by_sentence[sentence]
        assert candidate["speaker"] == speaker
        response = intake_client.post(f"/api/v1/articles/{article_id}/candidates/{candidate['id']}/accept/")
        assert response.status_code == 201, response.content
        claim = intake_client.get(f"/api/v1/claims/{response.json()['id']}/").json()
        assert claim["text"] == sentence
        assert claim["claimant"] == speaker
        assert claim["claim_date"] == "2024-03-14"
        assert claim["appeared_at"] == article_url
        assert claim["channel"] == "article"
        assert [s["url"] for s in claim["sources"]] == [pages.url(link)]
        claim_ids[sentence] = claim["id"]
    statuses = {
        c["sentence"]: (c["status"], c["claim_id"])
        for c in intake_client.get(f"/api/v1/articles/{article_id}/").json()["candidates"]
    }
    assert all(statuses[s] == ("accepted", claim_ids[s]) for s in expected)

    # Once the worker has matched the new claims, the restating one points at the claim already in the desk.
    roads_id = claim_ids[ROADS]
    wait_until(
        lambda: ClaimEmbedding.objects.filter(claim_id__in=claim_ids.values(), matched=True).count() == 3,
        timeout=40,
        message=f"the accepted claims were never matched:\n{log()}",
    )
    match = ClaimMatch.objects.get(claim_id=roads_id, matched_id=existing_id)
    similar = intake_client.get(f"/api/v1/claims/{roads_id}/similar/").json()
    assert similar[0]["claim_id"] == existing_id, similar
    assert similar[0]["kind"] in ("duplicate", "similar") and similar[0]["kind"] == match.kind
    for other in (JOBS, BURGLARIES):
        assert not ClaimMatch.objects.filter(claim_id=claim_ids[other], matched_id=existing_id).exists()
    print(
        f"article read {read_in:.1f}s after the POST; roads claim matched #{existing_id} ({match.kind}, {match.score})"
    )


def test_an_article_at_a_private_address_fails_with_a_reason(intake_client, worker):
    submitted = intake_client.post("/api/v1/articles/", {"url": "http://10.0.0.1/news"}, format="json")
    assert submitted.status_code == 202, submitted.content
    article = poll(
        intake_client,
        f"/api/v1/articles/{submitted.json()['id']}/",
        lambda b: b["status"] in ("ready", "failed"),
        log=lambda: worker.log()[-3000:],
    )
    assert article["status"] == "failed"
    assert article["error"] == "The address is not publicly routable (private)."
    assert article["candidates"] == []
