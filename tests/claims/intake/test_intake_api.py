"""The intake API through the real URL conf: ``/api/v1/claims/``, ``/api/v1/sources/``, ``/api/v1/me/``.

Every refused request is checked for the one error shape and for changing nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from claims.choices import FetchStatus
from claims.models import Citation, Claim, IdempotencyRecord, Snapshot, Source, Tag
from tests.factories import CitationFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"
SOURCES = "/api/v1/sources/"


def counts() -> tuple[int, int, int, int]:
    return Claim.objects.count(), Source.objects.count(), Citation.objects.count(), Tag.objects.count()


def assert_error(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    """The one error shape; returns ``error``."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    for name, messages in error["fields"].items():
        assert isinstance(name, str)
        assert isinstance(messages, list) and messages, (name, messages)
        assert all(isinstance(m, str) and m for m in messages), (name, messages)
    if code is not None:
        assert error["code"] == code
    if field is not None:
        assert field in error["fields"], error
    return error


def post_json(client: APIClient, body, **extra):
    data = json.dumps(body, ensure_ascii=False).encode()
    return client.post(CLAIMS, data=data, content_type="application/json", **extra)


# --------------------------------------------------------------------------- submitting


def test_new_claim_201_with_pending_sources(intake_client):
    response = post_json(
        intake_client,
        {
            "text": "  The minister said unemployment fell by 3%  ",
            "claimant": "The minister",
            "claim_date": "2024-05-02",
            "appeared_at": "https://tv.example.org/interview",
            "language": "pt-br",
            "tags": ["Economy", "jobs"],
            "priority": "urgent",
            "sources": [
                "https://stats.example.gov/unemployment?utm_source=tw#table",
                {"url": "https://news.example.com/story/1", "context": "quoted in paragraph 4"},
            ],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    claim = Claim.objects.get()
    assert body["id"] == claim.pk
    assert body["duplicate"] is False
    assert body["text"] == "The minister said unemployment fell by 3%"
    assert body["claimant"] == "The minister"
    assert body["claim_date"] == "2024-05-02"
    assert body["appeared_at"] == "https://tv.example.org/interview"
    assert body["language"] == "pt-BR"
    assert sorted(body["tags"]) == ["economy", "jobs"]
    assert body["priority"] == "urgent"
    assert body["channel"] == "api"
    assert body["status"] == "new"
    assert body["submitter"] == "key:test key"
    assert body["created_at"]
    sources = {s["canonical_url"]: s for s in body["sources"]}
    assert set(sources) == {"https://stats.example.gov/unemployment", "https://news.example.com/story/1"}
    assert all(s["fetch_status"] == "pending" for s in body["sources"])
    assert sources["https://news.example.com/story/1"]["context"] == "quoted in paragraph 4"
    assert sources["https://stats.example.gov/unemployment"]["url"].endswith("utm_source=tw#table")
    assert counts() == (1, 2, 2, 2)


def test_duplicate_200_flagged_returns_existing_and_adds_sources(intake_client):
    first = post_json(intake_client, {"text": "Vaccines contain microchips", "sources": ["https://a.example/"]})
    assert first.status_code == 201
    again = post_json(
        intake_client,
        {"text": "  VACCINES contain\u200b microchips ", "sources": ["https://a.example", "https://b.example/x"]},
    )
    assert again.status_code == 200
    body = again.json()
    assert body["duplicate"] is True
    assert body["id"] == first.json()["id"]
    assert body["text"] == "Vaccines contain microchips"
    assert sorted(s["canonical_url"] for s in body["sources"]) == ["https://a.example/", "https://b.example/x"]
    assert counts()[:3] == (1, 2, 2)


def test_text_of_exactly_5000_characters_is_accepted(intake_client):
    text = ("abcd " * 1000)[:4999] + "z"
    assert len(text) == 5000
    response = post_json(intake_client, {"text": text})
    assert response.status_code == 201
    assert len(Claim.objects.get().text) == 5000


def test_5000_emoji_are_5000_characters(intake_client):
    text = "\U0001f600" * 5000  # 20,000 bytes of UTF-8
    response = post_json(intake_client, {"text": text})
    assert response.status_code == 201
    assert Claim.objects.get().text == text


def test_emoji_rtl_and_joiners_are_stored_as_sent(intake_client):
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    text = f"{family} \u05d4\u05e2\u05d9\u05e8\u05d9\u05d9\u05d4 \u0623\u0646\u0641\u0642\u062a \u200f5\u200f \u0645\u0644\u064a\u0648\u0646 می\u200cخواهم"
    response = post_json(intake_client, {"text": text, "language": "he"})
    assert response.status_code == 201
    assert response.json()["text"] == text
    assert Claim.objects.get().text == text


def test_zero_width_characters_are_ignored_by_the_duplicate_check(intake_client):
    assert post_json(intake_client, {"text": "Crime doubled since 2010"}).status_code == 201
    for variant in [
        "Crime\u200b doubled since 2010",
        "\ufeffCrime doubled\u2060 since 2010",
        "Cri\u200dme doubled since 2010",
    ]:
        response = post_json(intake_client, {"text": variant})
        assert response.status_code == 200 and response.json()["duplicate"] is True, variant
    assert Claim.objects.count() == 1
    assert Claim.objects.get().text == "Crime doubled since 2010"


def test_sources_shared_between_claims_through_the_api(intake_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        a = post_json(intake_client, {"text": "Claim one", "sources": ["https://shared.example/p"]})
    source = Source.objects.get()
    assert source.enqueued_at is not None
    enqueued = source.enqueued_at
    with django_capture_on_commit_callbacks(execute=True):
        b = post_json(intake_client, {"text": "Claim two", "sources": ["https://SHARED.example:443/p?gclid=1"]})
    assert a.status_code == b.status_code == 201
    assert a.json()["sources"][0]["id"] == b.json()["sources"][0]["id"] == source.pk
    assert Source.objects.count() == 1
    source.refresh_from_db()
    assert source.enqueued_at == enqueued
    assert Source.objects.count() == 1 and Citation.objects.count() == 2


# --------------------------------------------------------------------------- invalid fields

FUTURE = (date.today() + timedelta(days=30)).isoformat()
TOO_MANY_SOURCES = [f"https://many.example/{n}" for n in range(51)]

INVALID_FIELDS = [
    ("empty text", {"text": ""}, "text"),
    ("whitespace-only text", {"text": " \n\t\u00a0 "}, "text"),
    ("invisible-only text", {"text": "\u200b\u200d\ufeff"}, "text"),
    ("5001-char text", {"text": "x" * 5001}, "text"),
    ("5001 chars after trimming", {"text": "  " + "y" * 5001 + "  "}, "text"),
    ("integer text", {"text": 12345}, "text"),
    ("float text", {"text": 1.5}, "text"),
    ("boolean text", {"text": True}, "text"),
    ("list text", {"text": ["a"]}, "text"),
    ("object text", {"text": {"a": 1}}, "text"),
    ("null text", {"text": None}, "text"),
    ("missing text", {"claimant": "x"}, "text"),
    ("too long claimant", {"claimant": "c" * 256}, "claimant"),
    ("future claim_date", {"claim_date": FUTURE}, "claim_date"),
    ("malformed claim_date", {"claim_date": "2024-13-45"}, "claim_date"),
    ("words as claim_date", {"claim_date": "last tuesday"}, "claim_date"),
    ("datetime as claim_date", {"claim_date": "2024-01-01T10:00:00Z"}, "claim_date"),
    ("implausible claim_date", {"claim_date": "1066-10-14"}, "claim_date"),
    ("bad appeared_at", {"appeared_at": "not a url"}, "appeared_at"),
    ("javascript: appeared_at", {"appeared_at": "javascript:alert(1)"}, "appeared_at"),
    ("data: appeared_at", {"appeared_at": "data:text/html,<script>alert(1)</script>"}, "appeared_at"),
    ("ftp appeared_at", {"appeared_at": "ftp://example.org/file"}, "appeared_at"),
    ("appeared_at with password", {"appeared_at": "https://user:secret@example.org/"}, "appeared_at"),
    ("hostless appeared_at", {"appeared_at": "https:///path"}, "appeared_at"),
    ("bad port appeared_at", {"appeared_at": "https://example.org:99999/"}, "appeared_at"),
    ("bad language", {"language": "english"}, "language"),
    ("empty language", {"language": ""}, "language"),
    ("too long language", {"language": "en-" + "a" * 40}, "language"),
    ("numeric language", {"language": 12}, "language"),
    ("too many tags", {"tags": [f"tag{n}" for n in range(21)]}, "tags"),
    ("too long tag", {"tags": ["t" * 51]}, "tags"),
    ("empty tag", {"tags": ["ok", "  "]}, "tags"),
    ("tags not a list", {"tags": "a,b"}, "tags"),
    ("numeric tag", {"tags": [5]}, "tags"),
    ("bad priority name", {"priority": "extreme"}, "priority"),
    ("priority out of range", {"priority": 4}, "priority"),
    ("negative priority", {"priority": -1}, "priority"),
    ("boolean priority", {"priority": True}, "priority"),
    ("float priority", {"priority": 1.5}, "priority"),
    ("null priority", {"priority": None}, "priority"),
    ("sources not a list", {"sources": "https://example.org/"}, "sources"),
    ("sources an object", {"sources": {"url": "https://example.org/"}}, "sources"),
    ("source not a URL", {"sources": ["not a url"]}, "sources"),
    ("ftp source", {"sources": ["ftp://example.org/file"]}, "sources"),
    ("javascript source", {"sources": ["javascript:alert(1)"]}, "sources"),
    ("2049-char source URL", {"sources": ["https://example.org/" + "a" * 2029]}, "sources"),
    ("source with spaces", {"sources": ["https://example.org/a b"]}, "sources"),
    ("empty source", {"sources": [""]}, "sources"),
    ("numeric source", {"sources": [42]}, "sources"),
    ("source object without url", {"sources": [{"context": "x"}]}, "sources"),
    ("source object with numeric url", {"sources": [{"url": 5}]}, "sources"),
    ("source with numeric context", {"sources": [{"url": "https://example.org/", "context": 5}]}, "sources"),
    ("source with huge context", {"sources": [{"url": "https://example.org/", "context": "c" * 2001}]}, "sources"),
    ("51 sources", {"sources": TOO_MANY_SOURCES}, "sources"),
    ("one bad source among good", {"sources": ["https://ok.example/", "mailto:a@b.c"]}, "sources"),
    ("unknown field", {"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("label", "changes", "field"), INVALID_FIELDS, ids=[row[0] for row in INVALID_FIELDS])
def test_invalid_field_400_names_the_field_and_changes_nothing(intake_client, label, changes, field):
    ClaimFactory(text="An existing claim")
    before = counts()
    payload = {"text": "A perfectly good claim text", **changes}
    if label == "missing text":
        payload.pop("text")
    response = post_json(intake_client, payload)
    error = assert_error(response, 400, code="invalid", field=field)
    assert set(error["fields"]) == {field}
    assert counts() == before


def test_several_invalid_fields_are_reported_together(intake_client):
    response = post_json(intake_client, {"text": "", "language": "xx-!!", "priority": "max", "extra": 1})
    error = assert_error(response, 400, code="invalid")
    assert set(error["fields"]) == {"text", "language", "priority", "extra"}
    assert counts() == (0, 0, 0, 0)


def test_bad_source_message_names_the_item(intake_client):
    response = post_json(intake_client, {"text": "x", "sources": ["https://ok.example/", "ftp://bad.example/"]})
    error = assert_error(response, 400, field="sources")
    assert error["fields"]["sources"][0].startswith("Item 2")
    assert "http" in error["fields"]["sources"][0]


def test_2048_char_source_url_is_accepted(intake_client):
    url = "https://example.org/" + "a" * 2028
    assert len(url) == 2048
    response = post_json(intake_client, {"text": "Long URL", "sources": [url]})
    assert response.status_code == 201
    assert Source.objects.get().url == url


# --------------------------------------------------------------------------- invalid bodies


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("text=hello", "application/json", 400),
        ('{"text": "unterminated', "application/json", 400),
        ("", "application/json", 400),
        ("   ", "application/json", 400),
        ('["a claim"]', "application/json", 400),
        ("[]", "application/json", 400),
        ('"just a string"', "application/json", 400),
        ("42", "application/json", 400),
        ("null", "application/json", 400),
        ("text=hello", "application/x-www-form-urlencoded", 415),
        ("hello", "text/plain", 415),
        (b"\xff\xfe{}", "application/json", 400),
    ],
    ids=[
        "broken-json",
        "form-as-json",
        "truncated-json",
        "empty",
        "blank",
        "array",
        "empty-array",
        "string",
        "number",
        "null",
        "form-encoded",
        "text-plain",
        "not-utf8",
    ],
)
def test_unusable_body_refused_in_the_error_shape(intake_client, body, content_type, status):
    before = counts()
    response = intake_client.generic("POST", CLAIMS, data=body, content_type=content_type)
    assert_error(response, status)
    assert counts() == before


def test_body_over_the_size_limit_413(intake_client, settings):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"text": "x", "claimant": "y" * limit})
    response = intake_client.generic("POST", CLAIMS, data=body, content_type="application/json")
    assert_error(response, 413, code="too_large")
    assert counts() == (0, 0, 0, 0)


def test_huge_unicode_text_under_the_body_limit_is_refused_as_too_long(intake_client):
    text = "\u00fc\u4e2d\U0001f600" * 100_000  # 300,000 characters, 900 kB
    response = post_json(intake_client, {"text": text})
    error = assert_error(response, 400, field="text")
    assert "5000" in error["fields"]["text"][0]
    assert counts() == (0, 0, 0, 0)


# --------------------------------------------------------------------------- idempotency


def test_idempotent_retry_replays_first_response_and_creates_nothing(intake_client):
    payload = {"text": "Idempotent claim", "sources": ["https://idem.example/"]}
    first = post_json(intake_client, payload, HTTP_IDEMPOTENCY_KEY="req-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    before = counts()
    for _ in range(3):
        retry = post_json(intake_client, payload, HTTP_IDEMPOTENCY_KEY="req-1")
        assert retry.status_code == 201
        assert retry["Idempotent-Replayed"] == "true"
        assert retry.json() == first.json()
    assert counts() == before
    assert IdempotencyRecord.objects.count() == 1


def test_same_text_new_idempotency_key_is_a_duplicate_not_a_replay(intake_client):
    post_json(intake_client, {"text": "Idem A"}, HTTP_IDEMPOTENCY_KEY="k1")
    second = post_json(intake_client, {"text": "Idem A"}, HTTP_IDEMPOTENCY_KEY="k2")
    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert "Idempotent-Replayed" not in second


def test_same_idempotency_key_with_different_body_409(intake_client):
    assert post_json(intake_client, {"text": "Body one"}, HTTP_IDEMPOTENCY_KEY="dup-key").status_code == 201
    before = counts()
    response = post_json(intake_client, {"text": "Body two"}, HTTP_IDEMPOTENCY_KEY="dup-key")
    assert_error(response, 409, code="conflict")
    assert counts() == before
    assert not Claim.objects.filter(text="Body two").exists()


def test_idempotency_keys_belong_to_one_api_key(make_key):
    clients = []
    for name in ("partner A", "partner B"):
        _, raw = make_key("intake", "read", name=name)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        clients.append(client)
    a = post_json(clients[0], {"text": "Partner A's claim"}, HTTP_IDEMPOTENCY_KEY="shared-key")
    b = post_json(clients[1], {"text": "Partner B's claim"}, HTTP_IDEMPOTENCY_KEY="shared-key")
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b
    assert a.json()["id"] != b.json()["id"]
    assert b.json()["submitter"] == "key:partner B"
    assert Claim.objects.count() == 2
    # and each key replays its own response
    again = post_json(clients[1], {"text": "Partner B's claim"}, HTTP_IDEMPOTENCY_KEY="shared-key")
    assert again.json() == b.json() and again["Idempotent-Replayed"] == "true"


def test_idempotent_invalid_request_is_not_remembered(intake_client):
    bad = post_json(intake_client, {"text": ""}, HTTP_IDEMPOTENCY_KEY="fix-and-retry")
    assert_error(bad, 400, field="text")
    good = post_json(intake_client, {"text": "Fixed"}, HTTP_IDEMPOTENCY_KEY="fix-and-retry")
    assert good.status_code == 201
    assert IdempotencyRecord.objects.count() == 1


def test_an_expired_idempotency_key_acts_again(intake_client):
    from claims.intake.idempotency import KEEP_FOR

    first = post_json(intake_client, {"text": "Old request"}, HTTP_IDEMPOTENCY_KEY="reused-after-a-week")
    assert first.status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - KEEP_FOR - timedelta(minutes=1))
    again = post_json(intake_client, {"text": "New request"}, HTTP_IDEMPOTENCY_KEY="reused-after-a-week")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert again.json()["id"] != first.json()["id"]
    record = IdempotencyRecord.objects.get()  # the expired record made way for the new one
    assert record.response_body["id"] == again.json()["id"]
    replay = post_json(intake_client, {"text": "New request"}, HTTP_IDEMPOTENCY_KEY="reused-after-a-week")
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == again.json()


def test_overlong_idempotency_key_400(intake_client):
    response = post_json(intake_client, {"text": "x"}, HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert_error(response, 400, field="Idempotency-Key")
    assert counts() == (0, 0, 0, 0)


# --------------------------------------------------------------------------- reading claims


def test_detail_and_404(intake_client):
    claim = CitationFactory(context="see chart").claim
    response = intake_client.get(f"{CLAIMS}{claim.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == claim.pk and body["text"] == claim.text
    assert body["sources"][0]["context"] == "see chart"
    assert "text" in body["sources"][0]  # detail includes the extracted text
    assert "duplicate" not in body
    assert_error(intake_client.get(f"{CLAIMS}{claim.pk + 1000}/"), 404, code="not_found")


def test_list_filters(intake_client, make_key):
    now = timezone.now()
    old = ClaimFactory(text="Old english claim about taxes", created_at=now - timedelta(days=10))
    french = ClaimFactory(text="Les impôts ont doublé", language="fr", created_at=now - timedelta(days=5))
    brazil = ClaimFactory(
        text="Impostos dobraram", language="pt-BR", channel="import", created_at=now - timedelta(days=1)
    )
    response = post_json(intake_client, {"text": "Taxes doubled last year", "tags": ["Taxes", "economy"]})
    tagged = Claim.objects.get(pk=response.json()["id"])

    def ids(**params) -> set[int]:
        response = intake_client.get(CLAIMS, params)
        assert response.status_code == 200, response.json()
        return {item["id"] for item in response.json()["results"]}

    everything = {old.pk, french.pk, brazil.pk, tagged.pk}
    assert ids() == everything
    assert ids(status="new") == everything
    assert ids(language="fr") == {french.pk}
    assert ids(language="pt-br") == {brazil.pk}
    assert ids(language="de") == set()
    assert ids(tag="taxes") == {tagged.pk}
    assert ids(tag="TAXES") == {tagged.pk}
    assert ids(tag="economy") == {tagged.pk}
    assert ids(tag="nothing") == set()
    assert ids(q="taxes") == {old.pk, tagged.pk}
    assert ids(q="TAXES doubled") == {tagged.pk}
    assert ids(q="impôts") == {french.pk}
    assert ids(channel="import") == {brazil.pk}
    assert ids(channel="api") == {old.pk, french.pk, tagged.pk}
    assert ids(created_after=(now - timedelta(days=6)).isoformat()) == {french.pk, brazil.pk, tagged.pk}
    assert ids(created_before=(now - timedelta(days=4)).isoformat()) == {old.pk, french.pk}
    assert ids(
        created_after=(now - timedelta(days=6)).isoformat(), created_before=(now - timedelta(hours=12)).isoformat()
    ) == {french.pk, brazil.pk}
    assert ids(language="fr", channel="import") == set()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "archived"}, "status"),
        ({"channel": "carrier-pigeon"}, "channel"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2024-99-99"}, "created_before"),
    ],
)
def test_list_bad_filter_values_400(intake_client, params, field):
    assert_error(intake_client.get(CLAIMS, params), 400, field=field)


def test_cursor_pagination_walks_every_claim_once(intake_client):
    created = ClaimFactory.create_batch(23)
    # claims added while walking appear on no page that was already read, and break nothing
    seen: list[int] = []
    url = f"{CLAIMS}?limit=5"
    pages = 0
    while url:
        response = intake_client.get(url)
        assert response.status_code == 200
        body = response.json()
        assert len(body["results"]) <= 5
        seen.extend(item["id"] for item in body["results"])
        url = body["next"]
        pages += 1
        if pages == 2:
            ClaimFactory()  # newer than everything: not part of this walk
    assert pages == 5
    assert len(seen) == len(set(seen)) == 23
    assert seen == sorted((c.pk for c in created), reverse=True)


def test_page_size_default_and_bounded(intake_client, settings):
    assert settings.API_MAX_PAGE_SIZE == 200
    Claim.objects.bulk_create(
        [Claim(text=f"bulk {n}", text_key=hashlib.sha256(f"bulk {n}".encode()).hexdigest()) for n in range(205)]
    )
    default = intake_client.get(CLAIMS).json()
    assert len(default["results"]) == settings.API_PAGE_SIZE
    capped = intake_client.get(CLAIMS, {"limit": 1000}).json()
    assert len(capped["results"]) == 200
    assert capped["next"]
    rest = intake_client.get(capped["next"]).json()
    assert len(rest["results"]) == 5 and rest["next"] is None
    assert len(intake_client.get(CLAIMS, {"limit": 3}).json()["results"]) == 3


def _claims_with_sources(count: int, sources_each: int = 4) -> None:
    for _ in range(count):
        claim = ClaimFactory()
        claim.tags.add(*(Tag.objects.get_or_create(name=f"tag{n}")[0] for n in range(2)))
        for _ in range(sources_each):
            CitationFactory(claim=claim)


def test_list_query_count_does_not_grow_with_claims_or_sources(intake_client, django_assert_max_num_queries):
    intake_client.get(CLAIMS)  # the key's first use records last_used_at; not what we measure

    _claims_with_sources(5)
    with CaptureQueriesContext(connection) as few:
        response = intake_client.get(CLAIMS)
    assert len(response.json()["results"]) == 5
    assert all(len(item["sources"]) == 4 and len(item["tags"]) == 2 for item in response.json()["results"])

    _claims_with_sources(45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = intake_client.get(CLAIMS, {"limit": 50})
    assert len(response.json()["results"]) == 50
    assert all(len(item["sources"]) == 4 for item in response.json()["results"])
    # and the number is small in itself
    assert len(few.captured_queries) <= 8


def test_list_sources_carry_no_extracted_text(intake_client):
    CitationFactory(source=SourceFactory(text="long extracted article text"))
    item = intake_client.get(CLAIMS).json()["results"][0]
    assert "text" not in item["sources"][0]


# --------------------------------------------------------------------------- sources


def _snapshot_for(source: Source, body: bytes = b"<html><title>T</title></html>") -> Snapshot:
    now = timezone.now()
    Source.objects.filter(pk=source.pk).update(fetch_status=FetchStatus.FETCHED, fetched_at=now, title="T")
    return Snapshot.objects.create(
        source=source,
        fetched_at=now,
        http_status=200,
        final_url=source.canonical_url,
        content_type="text/html",
        charset="utf-8",
        headers={"content-type": "text/html"},
        raw_gzip=gzip.compress(body),
        raw_size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        title="T",
    )


def test_sources_list_detail_and_snapshots(intake_client):
    response = post_json(
        intake_client, {"text": "Has sources", "sources": ["https://s.example/1", "https://s.example/2"]}
    )
    claim_id = response.json()["id"]
    other = CitationFactory().source
    fetched = Source.objects.get(canonical_url="https://s.example/1")
    snapshot = _snapshot_for(fetched)

    listing = intake_client.get(SOURCES).json()
    assert {s["id"] for s in listing["results"]} == {fetched.pk, other.pk, fetched.pk + 1}
    assert all("text" not in s for s in listing["results"])

    by_claim = intake_client.get(SOURCES, {"claim": claim_id}).json()["results"]
    assert {s["canonical_url"] for s in by_claim} == {"https://s.example/1", "https://s.example/2"}
    assert [s["id"] for s in intake_client.get(SOURCES, {"fetch_status": "fetched"}).json()["results"]] == [fetched.pk]

    detail = intake_client.get(f"{SOURCES}{fetched.pk}/").json()
    assert detail["fetch_status"] == "fetched"
    assert detail["snapshot_url"].endswith(f"/api/v1/sources/{fetched.pk}/snapshot/")
    assert "text" in detail

    snapshots = intake_client.get(f"{SOURCES}{fetched.pk}/snapshots/")
    assert snapshots.status_code == 200
    assert [s["id"] for s in snapshots.json()] == [snapshot.pk]
    assert snapshots.json()[0]["sha256"] == snapshot.sha256

    pending = Source.objects.get(canonical_url="https://s.example/2")
    assert intake_client.get(f"{SOURCES}{pending.pk}/snapshots/").json() == []
    assert intake_client.get(f"{SOURCES}{pending.pk}/").json()["snapshot_url"] is None
    assert_error(intake_client.get(f"{SOURCES}999999/"), 404, code="not_found")
    assert_error(intake_client.get(f"{SOURCES}999999/snapshots/"), 404, code="not_found")


def test_sources_list_query_count_is_constant(intake_client, django_assert_max_num_queries):
    intake_client.get(SOURCES)
    SourceFactory.create_batch(3)
    with CaptureQueriesContext(connection) as few:
        intake_client.get(SOURCES)
    SourceFactory.create_batch(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(intake_client.get(SOURCES).json()["results"]) == 43


def test_sources_are_read_only(intake_client):
    source = SourceFactory()
    assert intake_client.post(SOURCES, {"url": "https://x.example/"}, format="json").status_code == 405
    assert intake_client.delete(f"{SOURCES}{source.pk}/").status_code == 405
    assert intake_client.delete(f"{CLAIMS}{ClaimFactory().pk}/").status_code == 405
    assert Source.objects.filter(pk=source.pk).exists()


# --------------------------------------------------------------------------- me


def test_me_describes_the_key(make_key):
    _, raw = make_key("read", name="dashboard")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {"kind": "api_key", "name": "dashboard", "scopes": ["read"], "user": None}


# --------------------------------------------------------------------------- concurrency (real PostgreSQL)


def _run_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def _threaded_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_submissions_of_one_new_claim_store_it_once(make_key):
    assert connection.vendor == "postgresql"
    _, raw = make_key("intake", "read")
    payload = {"text": "Concurrent claim about the harbour", "sources": ["https://race.example/a"]}

    def submit():
        response = post_json(_threaded_client(raw), payload)
        return response.status_code, response.json()

    results = _run_threads(10, submit)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 9 + [201]
    assert Claim.objects.count() == 1
    assert Source.objects.count() == 1 and Citation.objects.count() == 1
    claim_id = Claim.objects.get().pk
    assert {body["id"] for _, body in results} == {claim_id}
    assert sorted(body["duplicate"] for _, body in results) == [False] + [True] * 9


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_claims_citing_one_new_url_share_one_source(make_key):
    """Each request inserts the URL unless another got there first; the losers find the winner's row."""
    assert connection.vendor == "postgresql"
    _, raw = make_key("intake", "read")
    counter = iter(range(10))

    def submit():
        n = next(counter)
        payload = {
            "text": f"Claim {n} citing the harbour report",
            "sources": ["https://race.example/shared", f"https://race.example/own/{n}"],
        }
        response = post_json(_threaded_client(raw), payload)
        return response.status_code, response.json()

    results = _run_threads(10, submit)
    assert {status for status, _ in results} == {201}
    shared = Source.objects.get(canonical_url="https://race.example/shared")
    assert Claim.objects.count() == 10 and Source.objects.count() == 11
    assert Citation.objects.filter(source=shared).count() == 10 and Citation.objects.count() == 20
    assert {body["sources"][0]["id"] for _, body in results} == {shared.pk}


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_requests_with_one_idempotency_key_act_once(make_key):
    assert connection.vendor == "postgresql"
    _, raw = make_key("intake", "read")
    payload = {"text": "Retried by an impatient client", "sources": ["https://race.example/b"]}

    def submit():
        response = post_json(_threaded_client(raw), payload, HTTP_IDEMPOTENCY_KEY="same-everywhere")
        return response.status_code, response.json(), response.get("Idempotent-Replayed")

    results = _run_threads(10, submit)
    assert Claim.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert {status for status, _, _ in results} == {201}
    bodies = [body for _, body, _ in results]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["duplicate"] is False
    assert sorted(str(replayed) for _, _, replayed in results) == ["None"] + ["true"] * 9


@pytest.mark.django_db
def test_appeared_at_is_stored_as_a_uri():
    from claims.intake.services import claim_submit

    result = claim_submit({"text": "A claim seen on a page.", "appeared_at": 'https://ex.com/ü/<x>"y?q=é'})
    assert result.claim.appeared_at == "https://ex.com/%C3%BC/%3Cx%3E%22y?q=%C3%A9"
