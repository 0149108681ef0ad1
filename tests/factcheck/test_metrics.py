"""``/metrics`` behind its token, the request id, and the structured log line of each request."""

from __future__ import annotations

import json
import logging
import logging.config

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from factcheck import settings as project_settings
from factcheck.observability import HEADER
from tests.factories import ClaimFactory
from tests.reviews.desk import desk

pytestmark = pytest.mark.django_db

TOKEN = "metrics-secret-for-tests"


def samples(body: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(body: str, name: str, **labels: str) -> float:
    return samples(body).get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client: Client) -> str:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_without_a_token_setting_there_is_no_endpoint(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "])
def test_a_request_without_the_right_token_is_refused(client, settings, header):
    settings.METRICS_TOKEN = TOKEN
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"factcheck_" not in response.content


def test_the_address_allow_list_is_enforced(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 403
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "127.0.0.1"]
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_requests_and_claims_by_state_are_counted(client, settings):
    settings.METRICS_TOKEN = TOKEN
    before = scrape(client)
    ClaimFactory.create_batch(3)
    for _ in range(4):
        assert client.get("/healthz").status_code in (200, 503)
    after = scrape(client)
    healthz = {"view": "healthz", "method": "GET"}
    counted = sum(
        value(after, "factcheck_http_requests_total", **healthz, status=status)
        - value(before, "factcheck_http_requests_total", **healthz, status=status)
        for status in ("200", "503")
    )
    assert counted == 4
    assert value(after, "factcheck_http_request_duration_seconds_count", **healthz) >= 4
    assert value(after, "factcheck_claims", state="new") == 3
    families = {family.name for family in text_string_to_metric_families(after)}
    assert {"factcheck_claims", "factcheck_sources", "factcheck_queue_messages"} <= families


def test_every_response_carries_a_request_id_and_a_sane_offered_one_is_kept(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first[HEADER]) == 32 and first[HEADER] != second[HEADER]
    assert client.get("/healthz", HTTP_X_REQUEST_ID="edge-proxy-0001")[HEADER] == "edge-proxy-0001"
    for hostile in ("short", "x" * 65, "bad id with spaces", "<script>", "ok\nInjected: 1"):
        assert client.get("/healthz", HTTP_X_REQUEST_ID=hostile)[HEADER] not in (hostile, "")


def test_one_json_log_line_per_request_with_request_user_and_claim(client, caplog):
    staff = desk().editor
    claim = ClaimFactory()
    client.force_login(staff)
    with caplog.at_level(logging.INFO, logger="factcheck.request"):
        response = client.get(f"/desk/claims/{claim.pk}/")
    assert response.status_code == 200
    record = next(r for r in caplog.records if r.name == "factcheck.request")
    configurator = logging.config.DictConfigurator(project_settings.LOGGING)
    formatter = configurator.configure_formatter(dict(project_settings.LOGGING["formatters"]["json"]))
    line = json.loads(formatter.format(record))
    assert line["request_id"] == response[HEADER]
    assert line["user_id"] == staff.pk
    assert line["claim_id"] == claim.pk
    assert line["status"] == 200 and line["method"] == "GET" and line["view"] == "reviews:claim"
    assert line["level"] == "INFO" and line["logger"] == "factcheck.request"
    assert "\n" not in formatter.format(record)
