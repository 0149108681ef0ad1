"""``/metrics`` under gunicorn with two workers and a real Celery worker: counts add up across processes.

A claim is submitted over HTTP with a chosen request id; its source is fetched by the worker. The
scrape (answered by either web worker) then shows the request, the fetch, the task and the claim,
and the worker's JSON log carries the request id into the task that the request started.
"""

from __future__ import annotations

import json
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.claims.servers import Reply, free_port
from tests.conftest import celery_worker_args, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOKEN = "e2e-metrics-token"
ARTICLE = (Path(__file__).parent.parent / "claims" / "pages" / "news_article.html").read_bytes()


def http(url: str, *, method: str = "GET", body: dict | None = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    except OSError:
        return 0, {}, b""


def metric(body: bytes, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def healthz_from_both_workers(port: int, count: int) -> set[int]:
    """Send ``count`` /healthz requests, half answered by each of two sync gunicorn workers.

    A connection that sends nothing keeps the worker that accepted it busy, so the other answers;
    then a second idle connection pins that one while the first is released.
    """
    statuses: set[int] = set()
    held: list[socket.socket] = []
    for phase in range(2):
        held.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(0.5)  # the idle worker accepts it
        if phase:
            held.pop(0).close()
            time.sleep(0.5)
        statuses |= {http(f"http://127.0.0.1:{port}/healthz")[0] for _ in range(count // 2)}
    for connection in held:
        connection.close()
    return statuses


def test_metrics_add_up_across_two_web_workers_and_a_celery_worker(
    make_key, pages, publish_to, start_process, redis_queue_clean, tmp_path
):
    publish_to()
    pages.route("/article", Reply(200, {"Content-Type": "text/html; charset=utf-8"}, ARTICLE))
    shared = {"METRICS_TOKEN": TOKEN, "METRICS_DIR": str(tmp_path / "metrics"), "LOG_FORMAT": "json"}
    port = free_port()
    web = start_process(
        "gunicorn",
        [sys.executable, "-m", "gunicorn", "factcheck.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        **shared,
    )
    worker = start_process("worker", celery_worker_args(), **shared)
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: http(f"{base}/healthz")[0] == 200, timeout=30, message=web.log()[-3000:])
    worker.wait_for_log("ready.", timeout=30)
    auth = {"Authorization": f"Bearer {TOKEN}"}

    assert http(f"{base}/metrics")[0] == 401
    assert http(f"{base}/metrics", headers={"Authorization": "Bearer wrong"})[0] == 401
    status, _, before = http(f"{base}/metrics", headers=auth)
    assert status == 200

    assert healthz_from_both_workers(port, 40) == {200}

    _, raw_key = make_key("intake", "read")
    status, headers, body = http(
        f"{base}/api/v1/claims/",
        method="POST",
        body={"text": "The council doubled the road budget to 24 million euros.", "sources": [pages.url("/article")]},
        headers={"Authorization": f"Bearer {raw_key}", "X-Request-ID": "e2e-claim-0001"},
    )
    assert status == 201, body[:300]
    assert headers["X-Request-ID"] == "e2e-claim-0001"
    claim_id = json.loads(body)["id"]

    def fetched() -> bool:
        _, _, scraped = http(f"{base}/metrics", headers=auth)
        return metric(scraped, "factcheck_source_fetches_total", outcome="fetched") >= 1

    wait_until(fetched, timeout=30, message=worker.log()[-3000:])
    _, _, after = http(f"{base}/metrics", headers=auth)

    healthz = metric(after, "factcheck_http_requests_total", view="healthz") - metric(
        before, "factcheck_http_requests_total", view="healthz"
    )
    assert healthz == 40, "every request counted once, whichever web worker answered"
    web_pids = {path.stem.rsplit("_", 1)[-1] for path in (tmp_path / "metrics").glob("counter_*.db")}
    assert len(web_pids) >= 3, f"files of both web workers and the celery worker expected: {web_pids}"
    assert metric(after, "factcheck_http_requests_total", method="POST", status="201") == 1
    assert metric(after, "factcheck_tasks_total", task="claims.tasks.fetch_source", outcome="success") >= 1
    assert metric(after, "factcheck_claims") >= 1
    assert metric(after, "factcheck_sources", state="fetched") >= 1
    assert metric(after, "factcheck_http_request_duration_seconds_count", view="healthz") >= 40
    families = {family.name for family in text_string_to_metric_families(after.decode())}
    assert "factcheck_queue_messages" in families

    task_lines = [
        line
        for line in (json.loads(text) for text in worker.log().splitlines() if text.startswith("{"))
        if line.get("task_id")
    ]
    carried = [line for line in task_lines if line.get("request_id") == "e2e-claim-0001"]
    assert carried, f"no task log line carries the request id: {task_lines[-5:]}"
    assert any(line.get("source_id") for line in carried)
    assert claim_id
