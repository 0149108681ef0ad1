"""``GET /api/v1/sources/{id}/snapshot/``: the preserved copy, shown so that none of its scripts can run."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from claims.models import Source
from claims.sources import archive
from tests.claims.servers import LoopbackServer, Reply
from tests.factories import SourceFactory, StaffFactory, UserFactory

PAGES = Path(__file__).parent.parent / "pages"
HOSTILE = (PAGES / "hostile.html").read_bytes()
HTML = {"Content-Type": "text/html; charset=utf-8"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fetch_settings(settings):
    settings.FETCH_ALLOWLIST = ["127.0.0.1"]


def archived(server: LoopbackServer, path: str, body: bytes, headers=HTML) -> Source:
    """A source fetched through the real pipeline, so its snapshot is what a worker would store."""
    server.route(path, Reply(200, headers, body))
    source = SourceFactory(url=server.url(path))
    assert archive.source_fetch(source.id).outcome == "fetched"
    source.refresh_from_db()
    return source


def snapshot_url(source: Source, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/v1/sources/{source.id}/snapshot/" + (f"?{query}" if query else "")


def test_html_view_strips_everything_that_could_run_or_load(intake_client, server):
    source = archived(server, "/hostile", HOSTILE)

    response = intake_client.get(snapshot_url(source))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    body = response.content.decode()
    lowered = body.lower()
    for forbidden in ("<script", "<iframe", "<object", "<embed", "<form", "<base", "<link", "http-equiv", "refresh"):
        assert forbidden not in lowered, forbidden
    assert not re.search(r"\son[a-z]+\s*=", lowered), "an on* event handler survived"
    assert "javascript:" not in lowered
    assert "steal()" not in body and "document.cookie" not in body
    # The article itself is still readable, with a banner saying what it is.
    assert "Mayor resigns over expenses" in body
    assert "40,000 euros of unexplained expenses" in body
    assert "interim mayor" in body
    assert "Archived copy of " + server.url("/hostile") in body
    assert '<a href="/politics/mayor">Related</a>' in body


def test_every_view_is_sandboxed(intake_client, server):
    source = archived(server, "/hostile", HOSTILE)

    for view in ("html", "text", "raw"):
        response = intake_client.get(snapshot_url(source, view=view))
        assert response.status_code == 200
        csp = [part.strip() for part in response["Content-Security-Policy"].split(";")]
        assert csp[0] == "sandbox"  # no allow-scripts, no allow-same-origin
        assert "default-src 'none'" in csp
        assert response["X-Content-Type-Options"] == "nosniff"


def test_raw_view_is_a_download_of_the_exact_bytes(intake_client, server):
    source = archived(server, "/hostile", HOSTILE)

    response = intake_client.get(snapshot_url(source, view="raw"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content == HOSTILE


def test_text_view_is_the_extracted_text(intake_client, server):
    source = archived(server, "/hostile", HOSTILE)

    response = intake_client.get(snapshot_url(source, view="text"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == source.text
    assert "40,000 euros of unexplained expenses" in source.text


def test_pdf_snapshot_shows_its_text(intake_client, server):
    source = archived(server, "/r.pdf", (PAGES / "report.pdf").read_bytes(), {"Content-Type": "application/pdf"})

    response = intake_client.get(snapshot_url(source))

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Total spending: 24 million euros." in response.content.decode()


def test_windows_1252_page_is_shown_as_utf_8(intake_client, server):
    source = archived(server, "/fr", (PAGES / "windows1252_article.html").read_bytes(), {"Content-Type": "text/html"})

    body = intake_client.get(snapshot_url(source)).content.decode("utf-8")

    assert "Coût par habitant : environ 320 €." in body


def test_history_is_reachable_by_snapshot_id(intake_client, server):
    source = archived(server, "/page", b"<html><body><p>First version of the story.</p></body></html>")
    first = source.snapshots.get()
    server.route("/page", Reply(200, HTML, b"<html><body><p>Corrected version of the story.</p></body></html>"))
    Source.objects.filter(pk=source.pk).update(last_checked_at=timezone.now() - timedelta(days=30))
    archive.sources_recheck_due()
    archive.source_fetch(source.id)

    latest = intake_client.get(snapshot_url(source)).content.decode()
    old = intake_client.get(snapshot_url(source, snapshot=str(first.id))).content.decode()
    listing = intake_client.get(f"/api/v1/sources/{source.id}/snapshots/").json()

    assert "Corrected version" in latest and "First version" not in latest
    assert "First version" in old and "Corrected version" not in old
    assert [item["id"] for item in listing][-1] == first.id and len(listing) == 2


def test_no_snapshot_yet_is_a_conflict(intake_client):
    source = SourceFactory()

    response = intake_client.get(snapshot_url(source))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert "pending" in response.json()["error"]["message"]


def test_snapshot_of_another_source_is_not_found(intake_client, server):
    source = archived(server, "/a", b"<p>a</p>")
    other = archived(server, "/b", b"<p>b</p>")

    response = intake_client.get(snapshot_url(source, snapshot=str(other.snapshots.get().id)))

    assert response.status_code == 404


@pytest.mark.parametrize("params", [{"snapshot": "latest"}, {"view": "javascript"}])
def test_bad_parameters_are_refused(intake_client, server, params):
    source = archived(server, "/a", b"<p>a</p>")

    response = intake_client.get(snapshot_url(source, **params))

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == list(params)


def test_needs_credentials(api_client, server):
    source = archived(server, "/a", b"<p>a</p>")

    assert api_client.get(snapshot_url(source)).status_code == 401


def test_needs_the_read_scope(make_key, server):
    source = archived(server, "/a", b"<p>a</p>")
    _, raw = make_key("intake")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = client.get(snapshot_url(source))

    assert response.status_code == 403
    assert "read" in response.json()["error"]["message"]


def test_staff_session_may_view_but_other_users_may_not(server):
    source = archived(server, "/a", b"<p>a staff-only view</p>")
    client = APIClient()

    client.force_login(UserFactory())
    assert client.get(snapshot_url(source)).status_code in (401, 403)

    client.force_login(StaffFactory())
    response = client.get(snapshot_url(source))
    assert response.status_code == 200
    assert "a staff-only view" in response.content.decode()
