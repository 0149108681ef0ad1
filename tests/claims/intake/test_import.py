"""Bulk import: reading CSV/JSON files, the ``claims_import`` service and ``POST /api/v1/claims/import/``.

Each row is accepted or refused on its own; a file that cannot be read is refused whole.
(The ``import_claims`` management command is tested in ``test_commands.py``.)
"""

from __future__ import annotations

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from claims.choices import Channel
from claims.intake import services
from claims.intake.importing import detect_format, rows_from_file
from claims.intake.services import claims_import
from claims.intake.validation import InvalidInput
from claims.models import Citation, Claim, Source
from tests.factories import ClaimFactory, StaffFactory

pytestmark = pytest.mark.django_db

IMPORT = "/api/v1/claims/import/"


def counts() -> tuple[int, int, int]:
    return Claim.objects.count(), Source.objects.count(), Citation.objects.count()


def file_error(data, **kwargs) -> list[str]:
    with pytest.raises(InvalidInput) as exc:
        rows_from_file(data, **kwargs)
    assert list(exc.value.fields) == ["file"]
    return exc.value.fields["file"]


def assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    if field:
        assert field in error["fields"], error
        assert all(isinstance(m, str) for m in error["fields"][field])
    return error


# --------------------------------------------------------------------------- reading files


def test_csv_rows_columns_lists_and_quoting():
    data = (
        "\ufeffText , Claimant,TAGS,sources,language,priority,claim_date,appeared_at\n"
        '"Inflation hit 10%, says minister",Minister,"economy, prices",https://a.example/1 | https://b.example/2,fr,high,2024-01-31,https://tv.example/\n'
        '"A text\non two lines",,,,,,,\n'
    ).encode()
    rows = rows_from_file(data, name="claims.csv")
    assert rows == [
        {
            "text": "Inflation hit 10%, says minister",
            "claimant": "Minister",
            "tags": ["economy", "prices"],
            "sources": ["https://a.example/1", "https://b.example/2"],
            "language": "fr",
            "priority": "high",
            "claim_date": "2024-01-31",
            "appeared_at": "https://tv.example/",
        },
        {"text": "A text\non two lines"},
    ]


def test_csv_empty_text_cell_is_kept_so_the_row_is_refused():
    assert rows_from_file("text,claimant\n,Someone\n") == [{"text": "", "claimant": "Someone"}]


def test_csv_row_with_more_cells_than_columns_is_refused_on_its_own():
    rows = rows_from_file("text,claimant\nThe city, they say, spent 5m,Mayor\nFine row,Mayor\n")
    assert isinstance(rows[0], InvalidInput)
    assert "more cell" in rows[0].fields["_"][0]
    assert rows[1] == {"text": "Fine row", "claimant": "Mayor"}


def test_json_rows_list_or_claims_object():
    claims = [{"text": "a"}, {"text": "b", "tags": ["x"]}]
    assert rows_from_file(json.dumps(claims)) == claims
    assert rows_from_file(json.dumps({"claims": claims}), name="export.json") == claims


@pytest.mark.parametrize(
    ("name", "content_type", "head", "fmt"),
    [
        ("claims.json", "", "text\n", "json"),
        ("claims.CSV", "application/json", "[", "csv"),
        ("json_export.csv", "", "text\n", "csv"),
        ("", "application/json", "", "json"),
        ("", "text/csv; charset=utf-8", "", "csv"),
        ("upload", "application/octet-stream", '  [{"text": 1}]', "json"),
        ("upload", "", '{"claims": []}', "json"),
        ("", "", "text,claimant", "csv"),
    ],
)
def test_format_detection(name, content_type, head, fmt):
    assert detect_format(name, content_type, head) == fmt


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ('text\n"an unclosed quote\nrow two\n', "Malformed CSV"),
        ('text\n"a"b"\n', "Malformed CSV"),
        ('"text\n', "Malformed CSV"),
        ("claimant,tags\nx,y\n", "'text' column"),
        ("text\n", "no rows"),
    ],
    ids=["unclosed-quote", "stray-quote", "broken-header", "no-text-column", "header-only"],
)
def test_unreadable_csv_refused_whole(data, needle):
    messages = file_error(data.encode(), name="x.csv")
    assert needle in messages[0]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ('[{"text": "a"}, {"text": ', "Malformed JSON"),
        ("{'text': 'single quotes'}", "Malformed JSON"),
        ('{"text": "an object, not a list"}', "list of claims"),
        ('"a string"', "list of claims"),
        ("[]", "no rows"),
        ('{"claims": []}', "no rows"),
        ("[" * 100_000 + "]" * 100_000, "Malformed JSON"),
    ],
    ids=["truncated", "single-quotes", "object", "string", "empty-list", "empty-claims", "deep-nesting"],
)
def test_unreadable_json_refused_whole(data, needle):
    messages = file_error(data.encode(), name="x.json")
    assert needle in messages[0]


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_empty_file_refused(data):
    assert "empty" in file_error(data)[0]


def test_non_utf8_file_refused():
    latin1 = "text\nLe café a fermé\n".encode("latin-1")
    assert "UTF-8" in file_error(latin1, name="x.csv")[0]
    assert "UTF-8" in file_error(b"\xff\xfe" + "[]".encode("utf-16-le"), name="x.json")[0]


def test_row_limit(settings):
    assert settings.IMPORT_MAX_ROWS == 10_000
    csv_ok = "text\n" + "".join(f"row {n}\n" for n in range(10_000))
    assert len(rows_from_file(csv_ok)) == 10_000
    assert "10000" in file_error(csv_ok + "one too many\n")[0]
    assert "10000" in file_error(json.dumps([{"text": f"r{n}"} for n in range(10_001)]))[0]


# --------------------------------------------------------------------------- the import service


def test_bad_rows_among_good_each_reported_on_its_own():
    rows = [
        {"text": "Good row one", "tags": ["a"]},
        {"text": ""},
        {"text": "Good row two", "language": "klingon!!"},
        "not an object",
        {"text": "Good row three", "sources": ["https://ok.example/", "ftp://bad.example/"]},
        {"text": "Good row four", "priority": "urgent", "notes": "ignored column"},
    ]
    reports = [r.as_dict() for r in claims_import(rows)]
    assert [r["row"] for r in reports] == [1, 2, 3, 4, 5, 6]
    assert [r["status"] for r in reports] == ["created", "error", "error", "error", "error", "created"]
    assert set(reports[1]["errors"]) == {"text"}
    assert set(reports[2]["errors"]) == {"language"}
    assert set(reports[3]["errors"]) == {"_"}
    assert set(reports[4]["errors"]) == {"sources"}
    assert all(r["id"] is None for r in reports if r["status"] == "error")
    assert all(r["errors"] == {} for r in reports if r["status"] == "created")
    stored = Claim.objects.order_by("id")
    assert [c.text for c in stored] == ["Good row one", "Good row four"]
    assert {c.channel for c in stored} == {Channel.IMPORT}
    assert [reports[0]["id"], reports[5]["id"]] == [c.pk for c in stored]
    # the refused row 5 left no source behind
    assert Source.objects.count() == 0


def test_duplicates_within_the_file_and_with_existing_claims():
    existing = ClaimFactory(text="Already in the desk")
    rows = [
        {"text": "First mention", "sources": ["https://one.example/"]},
        {"text": "already in the DESK"},
        {"text": "  FIRST   mention ", "sources": ["https://two.example/"], "tags": ["later"]},
        {"text": "Something else"},
        {"text": "first mention"},
    ]
    reports = claims_import(rows)
    assert [r.status for r in reports] == ["created", "duplicate", "duplicate", "created", "duplicate"]
    first = Claim.objects.get(text="First mention")
    assert [r.id for r in reports] == [first.pk, existing.pk, first.pk, reports[3].id, first.pk]
    assert Claim.objects.count() == 3
    # the duplicate row's new source and tag were added to the first claim
    assert sorted(first.sources.values_list("canonical_url", flat=True)) == [
        "https://one.example/",
        "https://two.example/",
    ]
    assert list(first.tags.values_list("name", flat=True)) == ["later"]


def test_duplicates_across_batches(monkeypatch):
    monkeypatch.setattr(services, "IMPORT_BATCH", 3)
    rows = [{"text": f"Claim {n % 4}", "sources": [f"https://s.example/{n % 5}"]} for n in range(11)]
    reports = claims_import(rows)
    assert [r.status for r in reports].count("created") == 4
    assert [r.status for r in reports].count("duplicate") == 7
    assert Claim.objects.count() == 4 and Source.objects.count() == 5
    by_text = {c.text: c.pk for c in Claim.objects.all()}
    assert [r.id for r in reports] == [by_text[f"Claim {n % 4}"] for n in range(11)]
    expected_citations = {(by_text[f"Claim {n % 4}"], f"https://s.example/{n % 5}") for n in range(11)}
    assert set(Citation.objects.values_list("claim_id", "source__canonical_url")) == expected_citations


def test_import_enqueues_each_new_source_once(django_capture_on_commit_callbacks):
    rows = [
        {"text": f"Claim {n}", "sources": ["https://shared.example/x", f"https://own.example/{n}"]} for n in range(4)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        claims_import(rows)
    assert Source.objects.count() == 5
    assert Source.objects.filter(enqueued_at__isnull=True).count() == 0
    assert Citation.objects.filter(source__canonical_url="https://shared.example/x").count() == 4


def test_import_submitter_is_recorded(make_key):
    key, _ = make_key("intake")
    staff = StaffFactory(username="importer")
    claims_import([{"text": "by key"}], api_key=key)
    claims_import([{"text": "by user"}], user=staff)
    assert Claim.objects.get(text="by key").submitted_by_key == key
    assert Claim.objects.get(text="by user").submitted_by == staff


# --------------------------------------------------------------------------- the API


def test_api_csv_body(intake_client):
    body = "text,tags\nFirst imported claim,a\n,\nSecond imported claim,\nfirst imported CLAIM,b\n"
    response = intake_client.post(IMPORT, data=body.encode(), content_type="text/csv")
    assert response.status_code == 200, response.json()
    report = response.json()
    assert (report["created"], report["duplicates"], report["errors"]) == (2, 1, 1)
    assert [r["status"] for r in report["rows"]] == ["created", "error", "created", "duplicate"]
    assert set(report["rows"][1]) == {"row", "status", "id", "errors"}
    assert report["rows"][1]["errors"] == {"text": ["The claim text cannot be empty."]}
    assert report["rows"][3]["id"] == report["rows"][0]["id"]
    assert Claim.objects.count() == 2
    assert set(Claim.objects.values_list("channel", flat=True)) == {"import"}


@pytest.mark.parametrize("wrap", [False, True], ids=["list", "claims-object"])
def test_api_json_body(intake_client, wrap):
    claims = [{"text": "JSON one", "sources": [{"url": "https://j.example/", "context": "c"}]}, {"text": 5}]
    body = {"claims": claims} if wrap else claims
    response = intake_client.post(IMPORT, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    report = response.json()
    assert (report["created"], report["duplicates"], report["errors"]) == (1, 0, 1)
    assert "text" in report["rows"][1]["errors"]
    assert Citation.objects.get().context == "c"


@pytest.mark.parametrize(
    ("filename", "content", "content_type"),
    [
        ("claims.csv", b"text,claimant\nUploaded claim,Someone\n", "text/csv"),
        ("claims.json", json.dumps([{"text": "Uploaded claim", "claimant": "Someone"}]).encode(), "application/json"),
        ("export", b"text,claimant\nUploaded claim,Someone\n", "application/octet-stream"),
    ],
)
def test_api_multipart_file(intake_client, filename, content, content_type):
    upload = SimpleUploadedFile(filename, content, content_type=content_type)
    response = intake_client.post(IMPORT, {"file": upload}, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1
    assert Claim.objects.get().claimant == "Someone"


def test_api_json_import_larger_than_the_normal_body_limit(intake_client, settings):
    rows = [{"text": f"Long claim {n} " + "w" * 4000} for n in range(600)]
    body = json.dumps(rows)
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < len(body) < settings.IMPORT_MAX_BYTES
    response = intake_client.post(IMPORT, data=body, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["created"] == 600


@pytest.mark.parametrize(
    ("kwargs", "status", "field"),
    [
        ({"data": b'text\n"unclosed\nrow\n', "content_type": "text/csv"}, 400, "file"),
        ({"data": b"claimant\nx\n", "content_type": "text/csv"}, 400, "file"),
        ({"data": b"", "content_type": "text/csv"}, 400, "file"),
        ({"data": b"text\n", "content_type": "text/csv"}, 400, "file"),
        ({"data": "text\nCafé fermé\n".encode("latin-1"), "content_type": "text/csv"}, 400, None),
        ({"data": b'[{"text": "a"},', "content_type": "application/json"}, 400, None),
        ({"data": b'{"text": "a"}', "content_type": "application/json"}, 400, "file"),
        ({"data": b"[]", "content_type": "application/json"}, 400, "file"),
        ({"data": b"", "content_type": "application/json"}, 400, "file"),
        ({"data": b"<claims/>", "content_type": "application/xml"}, 415, None),
    ],
    ids=[
        "csv-unclosed-quote",
        "csv-no-text-column",
        "csv-empty",
        "csv-header-only",
        "csv-latin1",
        "json-truncated",
        "json-object",
        "json-empty-list",
        "json-empty",
        "xml",
    ],
)
def test_api_unreadable_bodies_refused_whole(intake_client, kwargs, status, field):
    ClaimFactory()
    before = counts()
    response = intake_client.generic("POST", IMPORT, **kwargs)
    assert_error(response, status, field)
    assert counts() == before


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("bad.json", b'[{"text": "a"'),
        ("bad.csv", b'text\n"never closed\n'),
        ("latin.csv", "text\nCafé\n".encode("latin-1")),
        ("empty.csv", b""),
    ],
)
def test_api_unreadable_uploads_refused_whole(intake_client, filename, content):
    upload = SimpleUploadedFile(filename, content, content_type="application/octet-stream")
    response = intake_client.post(IMPORT, {"file": upload}, format="multipart")
    assert_error(response, 400, "file")
    assert counts() == (0, 0, 0)


def test_api_multipart_without_file_field(intake_client):
    response = intake_client.post(IMPORT, {"other": "x"}, format="multipart")
    assert_error(response, 400, "file")


def test_api_10001_rows_refused_and_nothing_saved(intake_client):
    body = "text\n" + "".join(f"Row number {n}\n" for n in range(10_001))
    response = intake_client.post(IMPORT, data=body.encode(), content_type="text/csv")
    error = assert_error(response, 400, "file")
    assert "10000" in error["fields"]["file"][0]
    assert counts() == (0, 0, 0)


def test_api_body_over_the_import_limit_413(intake_client, settings):
    body = b"text\n" + b"x" * settings.IMPORT_MAX_BYTES
    response = intake_client.post(IMPORT, data=body, content_type="text/csv")
    assert_error(response, 413)
    assert counts() == (0, 0, 0)


def test_api_10000_valid_csv_rows(intake_client):
    lines = ["text,claimant,language,tags,sources,priority"]
    for n in range(10_000):
        lines.append(
            f'"Claim {n}: the council spent {n * 7} thousand on item {n}",Speaker {n % 50},'
            f'{"en" if n % 3 else "fr"},"tag{n % 10},bulk",https://news.example/story/{n % 250},{n % 4}'
        )
    body = ("\n".join(lines) + "\n").encode()
    started = time.perf_counter()
    response = intake_client.post(IMPORT, data=body, content_type="text/csv")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.content[:300]
    report = response.json()
    assert (report["created"], report["duplicates"], report["errors"]) == (10_000, 0, 0)
    assert len(report["rows"]) == 10_000
    assert [r["row"] for r in report["rows"]] == list(range(1, 10_001))
    assert len({r["id"] for r in report["rows"]}) == 10_000
    assert Claim.objects.count() == 10_000
    assert Source.objects.count() == 250
    assert Citation.objects.count() == 10_000
    assert Claim.objects.filter(language="fr").count() == 3334
    assert Claim.objects.filter(tags__name="bulk").count() == 10_000
    # A generous bound: storing row by row took over 90 s here; batched, a few seconds.
    assert elapsed < 60, f"10,000-row import took {elapsed:.1f}s"


def test_api_import_by_staff_session_records_the_user(client):
    staff = StaffFactory(username="desk-editor")
    client.force_login(staff)
    response = client.post(IMPORT, data=b"text\nFrom the desk\n", content_type="text/csv")
    assert response.status_code == 200
    assert Claim.objects.get().submitted_by == staff
