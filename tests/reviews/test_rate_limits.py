"""Rate limits of the read API: anonymous per IP, keys per key, counted in the shared cache."""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.claims.servers import free_port
from tests.conftest import wait_until
from tests.reviews.desk import key_client

LIST = "/api/v1/verdicts/"
ENDPOINTS = [LIST, "/api/v1/claims:search?query=x", "/api/v1/claimreview/", "/api/v1/verdicts/export/?format=csv"]


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def statuses(client: APIClient, count: int, url: str = LIST, **extra) -> list[int]:
    return [client.get(url, **extra).status_code for _ in range(count)]


@pytest.mark.django_db
def test_anonymous_callers_get_the_low_rate_and_a_retry_after(settings, one_window):
    settings.API_ANON_RATE = "3/minute"  # read at request time, not at import
    client = APIClient()
    assert statuses(client, 5) == [200, 200, 200, 429, 429]
    refused = client.get(LIST)
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) == 30  # what is left of the (pinned) minute
    # Another address has its own budget.
    assert client.get(LIST, REMOTE_ADDR="198.51.100.7").status_code == 200


@pytest.mark.django_db
def test_the_budget_is_shared_by_every_consumer_endpoint(settings, one_window):
    settings.API_ANON_RATE = f"{len(ENDPOINTS)}/hour"
    client = APIClient()
    assert [client.get(url).status_code for url in ENDPOINTS] == [200] * len(ENDPOINTS)
    refused = [client.get(url) for url in ENDPOINTS]
    assert [r.status_code for r in refused] == [429] * len(ENDPOINTS)
    # Windows are fixed hours of the clock: Retry-After is the time left in this one.
    assert all(int(r["Retry-After"]) == 3600 - one_window % 3600 for r in refused)


@pytest.mark.django_db
def test_read_keys_get_the_higher_rate_each_with_its_own_budget(settings, one_window):
    settings.API_ANON_RATE = "2/minute"
    settings.API_KEY_RATE = "5/minute"
    anonymous = APIClient()
    assert statuses(anonymous, 3) == [200, 200, 429]
    first_key, second_key = key_client("read"), key_client("read")
    assert statuses(first_key, 6) == [200] * 5 + [429]
    assert statuses(second_key, 5) == [200] * 5
    intake_only = key_client("intake")  # no read scope: counted as the public, by address
    assert intake_only.get(LIST).status_code == 429
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer wrong")
    assert wrong.get(LIST).status_code == 401


@pytest.mark.integration
def test_two_gunicorn_workers_share_one_limit_in_redis(db, start_process, redis_queue_clean):
    from django.conf import settings

    port = free_port()
    web = start_process(
        "gunicorn",
        [sys.executable, "-m", "gunicorn", "factcheck.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        CACHE_URL=settings.TEST_REDIS_URL,
        API_ANON_RATE="5/minute",
    )
    wait_until(lambda: web.log().count("Booting worker") >= 2, timeout=30, message=web.log())
    base = f"http://127.0.0.1:{port}"

    def get(_: int) -> tuple[int, str | None]:
        try:
            with urllib.request.urlopen(f"{base}{LIST}", timeout=10) as response:
                return response.status, None
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Retry-After")

    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return True
        except OSError:
            return False

    wait_until(ready, timeout=30, message=web.log())
    if time.time() % 60 > 55:  # all ten requests must fall in the same one-minute window
        time.sleep(60 - time.time() % 60 + 0.5)
    with ThreadPoolExecutor(max_workers=10) as pool:  # at once, so that both workers take some
        results = list(pool.map(get, range(10)))
    assert sorted(code for code, _ in results) == [200] * 5 + [429] * 5, (results, web.log()[-2000:])
    assert all(retry_after and 1 <= int(retry_after) <= 60 for code, retry_after in results if code == 429)
    counters = redis.Redis.from_url(settings.TEST_REDIS_URL).keys("*throttle:consumer:ip:*")
    assert counters, "the count lives in Redis, where every worker sees it"
