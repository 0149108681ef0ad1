"""A claim submitted through the API has its sources fetched by a real Celery worker process."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from claims.choices import AttemptOutcome
from claims.models import FetchAttempt, Snapshot
from tests.claims.servers import Reply, Request
from tests.conftest import celery_worker_args, wait_until

ARTICLE = (Path(__file__).parent.parent / "claims" / "pages" / "news_article.html").read_bytes()
HTML = {"Content-Type": "text/html; charset=utf-8"}

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def first_then(first: Reply, then: Reply):
    served: list[int] = []

    def answer(request: Request) -> Reply:
        served.append(1)
        return first if len(served) == 1 else then

    return answer


def test_worker_fetches_every_cited_source_to_its_final_state(
    intake_client, pages, publish_to, start_process, redis_queue_clean
):
    publish_to()
    pages.route("/article", Reply(200, HTML, ARTICLE))
    pages.route("/flaky", first_then(Reply(500, HTML, b"oops"), Reply(200, HTML, b"<title>Flaky</title><p>ok</p>")))
    pages.route(
        "/throttled",
        first_then(Reply(429, {"Retry-After": "1"}, b""), Reply(200, HTML, b"<title>Throttled</title><p>ok</p>")),
    )
    refused = f"http://127.0.0.2:{pages.port}/internal"  # loopback, but not on the allow-list
    worker = start_process("worker", celery_worker_args(), FETCH_RETRY_BASE_SECONDS="0.2")
    worker.wait_for_log("ready.", timeout=30)

    started = time.monotonic()
    response = intake_client.post(
        "/api/v1/claims/",
        {
            "text": "The council doubled the road budget to 24 million euros.",
            "sources": [pages.url("/article"), pages.url("/flaky"), pages.url("/throttled"), refused],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    claim_id = response.json()["id"]
    assert {s["fetch_status"] for s in response.json()["sources"]} == {"pending"}

    def sources() -> dict[str, dict]:
        body = intake_client.get(f"/api/v1/claims/{claim_id}/").json()
        return {s["url"]: s for s in body["sources"]}

    final = {"fetched", "failed", "blocked", "gone"}
    wait_until(
        lambda: all(s["fetch_status"] in final for s in sources().values()),
        timeout=30,
        message=f"sources not settled: {sources()}\n{worker.log()[-3000:]}",
    )
    settled_in = time.monotonic() - started
    by_url = sources()

    article = by_url[pages.url("/article")]
    assert article["fetch_status"] == "fetched"
    assert article["title"] == "City council doubles road budget"
    assert article["author"] == "Maria Okafor"
    assert article["published_date"] == date(2024, 3, 14).isoformat()
    assert "road repairs" in article["text"]
    assert article["snapshot_url"] and article["http_status"] == 200

    flaky = by_url[pages.url("/flaky")]
    assert (flaky["fetch_status"], flaky["title"], flaky["error"]) == ("fetched", "Flaky", "")
    assert flaky["attempts"] >= 2

    throttled = by_url[pages.url("/throttled")]
    assert (throttled["fetch_status"], throttled["title"]) == ("fetched", "Throttled")
    assert throttled["attempts"] >= 2
    throttle_attempts = FetchAttempt.objects.filter(source_id=throttled["id"]).order_by("started_at")
    assert [a.outcome for a in throttle_attempts] == [AttemptOutcome.RETRY, AttemptOutcome.FETCHED]
    waited = (throttle_attempts[1].started_at - throttle_attempts[0].finished_at).total_seconds()
    assert waited >= 1  # Retry-After: 1 was respected

    blocked = by_url[refused]
    assert blocked["fetch_status"] == "blocked"
    assert blocked["error"]
    assert blocked["attempts"] == 1

    # One request per fetch, one snapshot per fetched source: nothing ran twice.
    assert [r.path for r in pages.requests].count("/article") == 1
    assert Snapshot.objects.count() == 3
    snapshot = intake_client.get(article["snapshot_url"])
    assert snapshot.status_code == 200 and b"City council doubles road budget" in snapshot.content
    print(f"all four sources settled {settled_in:.1f}s after the POST")
