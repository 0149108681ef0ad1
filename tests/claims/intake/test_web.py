"""Staff web pages: the intake form ``/claims/new/``, claim pages and the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from claims.intake.keys import api_key_create
from claims.models import ApiKey, Citation, Claim, Source
from tests.factories import CitationFactory, ClaimFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = "/claims/new/"

GOOD = {
    "text": "The harbour was dredged twice last year",
    "claimant": "Port authority",
    "claim_date": "2024-02-10",
    "appeared_at": "https://radio.example/show/12",
    "language": "pt-br",
    "tags": "Ports, infrastructure ,ports",
    "priority": "high",
    "sources": "https://port.example/report?utm_source=x\n\n  https://news.example/dredging  \n",
}


def counts() -> tuple[int, int, int]:
    return Claim.objects.count(), Source.objects.count(), Citation.objects.count()


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(username="editor"))
    return client


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("url", [NEW, "/claims/", "/claims/1/"])
def test_anonymous_redirected_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert f"next={url}" in response["Location"]


def test_anonymous_post_saves_nothing(client):
    response = client.post(NEW, GOOD)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert counts() == (0, 0, 0)


def test_non_staff_cannot_use_the_form(client):
    client.force_login(UserFactory())
    assert client.get(NEW).status_code in (302, 403)
    response = client.post(NEW, GOOD)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"].startswith("/login/")
    assert counts() == (0, 0, 0)


def test_form_page_renders_for_staff(staff_client):
    response = staff_client.get(NEW)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("text", "claimant", "claim_date", "appeared_at", "language", "tags", "priority", "sources"):
        assert f'name="{name}"' in html
    assert "csrfmiddlewaretoken" in html


# --------------------------------------------------------------------------- submitting


def test_form_saves_through_the_intake_service(staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(NEW, GOOD)
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/claims/{claim.pk}/"
    assert claim.channel == "form"
    assert claim.submitted_by.username == "editor"
    assert claim.language == "pt-BR"
    assert claim.priority == 2
    assert sorted(claim.tags.values_list("name", flat=True)) == ["infrastructure", "ports"]
    assert sorted(claim.sources.values_list("canonical_url", flat=True)) == [
        "https://news.example/dredging",
        "https://port.example/report",
    ]
    assert all(source.enqueued_at is not None for source in Source.objects.all())

    page = staff_client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "The harbour was dredged twice last year" in html
    assert "https://news.example/dredging" in html
    assert "Claim saved" in html


def test_form_only_text_required(staff_client):
    response = staff_client.post(NEW, {"text": "Just the text", "language": "en", "priority": "normal"})
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.claimant, claim.appeared_at, claim.claim_date) == ("", "", None)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \u200b  "}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"language": "not-a-language-tag!"}, "language"),
        ({"language": ""}, "language"),
        ({"sources": "https://fine.example/\nnot a url"}, "sources"),
        ({"sources": "javascript:alert(1)"}, "sources"),
        ({"appeared_at": "ftp://example.org/"}, "appeared_at"),
        ({"claim_date": "2999-01-01"}, "claim_date"),
        ({"claim_date": "31/31/2024"}, "claim_date"),
        ({"priority": "whenever"}, "priority"),
        ({"tags": ",".join(f"t{n}" for n in range(21))}, "tags"),
    ],
)
def test_form_shows_field_errors_and_saves_nothing(staff_client, changes, field):
    ClaimFactory()
    before = counts()
    response = staff_client.post(NEW, {**GOOD, **changes})
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    html = response.content.decode()
    assert f'id="id_{field}-errors"' in html
    assert counts() == before
    # what was typed is shown again
    if changes.get("text"):
        assert changes["text"][:50] in html


def test_form_duplicate_redirects_to_the_existing_claim_with_a_message(staff_client):
    existing = CitationFactory(claim=ClaimFactory(text="The harbour was dredged twice last year")).claim
    response = staff_client.post(NEW, {**GOOD, "text": "THE HARBOUR was dredged  twice last year"})
    assert response.status_code == 302
    assert response["Location"] == f"/claims/{existing.pk}/"
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("already" in m for m in messages)
    assert Claim.objects.count() == 1
    # the new sources were added to it
    assert existing.sources.count() == 3


def test_claim_list_page(staff_client):
    CitationFactory.create_batch(3)
    response = staff_client.get("/claims/")
    assert response.status_code == 200
    assert response.content.decode().count("/claims/") >= 3


def test_claim_detail_404(staff_client):
    assert staff_client.get("/claims/999999/").status_code == 404


def test_login_page_and_logging_in(client):
    StaffFactory(username="desk")
    assert client.get("/login/").status_code == 200
    response = client.post(
        "/login/?next=/claims/new/", {"username": "desk", "password": "wrong", "next": "/claims/new/"}
    )
    assert response.status_code == 200 and Claim.objects.count() == 0
    response = client.post(
        "/login/", {"username": "desk", "password": "correct horse battery staple", "next": "/claims/new/"}
    )
    assert response.status_code == 302 and response["Location"] == NEW
    assert client.get(NEW).status_code == 200


# --------------------------------------------------------------------------- admin


@pytest.fixture
def admin_client_logged_in(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    return client


def test_admin_pages_load_for_a_superuser(admin_client_logged_in):
    citation = CitationFactory(context="cited in the intro")
    key, _ = api_key_create(name="admin test", scopes=["read"])
    client = admin_client_logged_in
    for url in [
        "/admin/",
        "/admin/claims/claim/",
        f"/admin/claims/claim/{citation.claim.pk}/change/",
        "/admin/claims/claim/?q=claim&language=en",
        "/admin/claims/source/",
        f"/admin/claims/source/{citation.source.pk}/change/",
        "/admin/claims/apikey/",
        f"/admin/claims/apikey/{key.pk}/change/",
        "/admin/claims/apikey/add/",
        "/admin/claims/tag/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url


def test_admin_add_claim_redirects_to_the_intake_form(admin_client_logged_in):
    response = admin_client_logged_in.get("/admin/claims/claim/add/")
    assert response.status_code == 302
    assert response["Location"] == NEW


def _claim_change(client, claim, **changes):
    data = {
        "claimant": claim.claimant,
        "claim_date": "",
        "appeared_at": "",
        "language": claim.language,
        "priority": claim.priority,
        "status": claim.status,
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
        **changes,
    }
    return client.post(f"/admin/claims/claim/{claim.pk}/change/", data)


def test_admin_claim_edit_normalises_like_intake(admin_client_logged_in):
    claim = ClaimFactory(language="en")
    response = _claim_change(
        admin_client_logged_in, claim, language="pt-br", claimant="  Ana   Souza ", appeared_at="https://x.example/"
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    claim.refresh_from_db()
    assert (claim.language, claim.claimant, claim.appeared_at) == ("pt-BR", "Ana Souza", "https://x.example/")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"language": "klingon!!"}, "language"),
        ({"appeared_at": "javascript:alert(1)"}, "appeared_at"),
        ({"appeared_at": "ftp://files.example/x"}, "appeared_at"),
        ({"claim_date": "2999-01-01"}, "claim_date"),
    ],
)
def test_admin_claim_edit_refuses_what_intake_refuses(admin_client_logged_in, changes, field):
    claim = ClaimFactory(language="en")
    response = _claim_change(admin_client_logged_in, claim, **changes)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    claim.refresh_from_db()
    assert claim.language == "en" and claim.appeared_at == "" and claim.claim_date is None


def test_admin_cannot_add_sources_by_hand(admin_client_logged_in):
    assert admin_client_logged_in.get("/admin/claims/source/add/").status_code == 403


def test_admin_creates_an_api_key_through_the_service(admin_client_logged_in):
    response = admin_client_logged_in.post(
        "/admin/claims/apikey/add/", {"name": "from admin", "scopes": '["read"]'}, follow=True
    )
    assert response.status_code == 200
    key = ApiKey.objects.get()
    assert key.name == "from admin" and key.scopes == ["read"]
    assert len(key.key_hash) == 64 and key.prefix
    shown = [str(m) for m in response.context["messages"] if "shown once" in str(m)]
    assert len(shown) == 1
    raw = shown[0].rsplit(" ", 1)[-1]
    assert raw.startswith(f"fck_{key.prefix}_")
    assert key.key_hash != raw


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "bad scope", "scopes": '["read", "superuser"]'}, "scopes"),
        ({"name": "no scope", "scopes": "[]"}, "scopes"),
        ({"name": "not a list", "scopes": '"read"'}, "scopes"),
        ({"name": "   ", "scopes": '["read"]'}, "name"),
    ],
)
def test_admin_refuses_bad_keys_on_the_form(admin_client_logged_in, data, field):
    response = admin_client_logged_in.post("/admin/claims/apikey/add/", data)
    assert response.status_code == 200  # the form again, with its errors
    assert field in response.context["adminform"].form.errors
    assert ApiKey.objects.count() == 0


def test_admin_edit_cannot_give_a_key_unknown_scopes(admin_client_logged_in):
    key, _ = api_key_create(name="edit me", scopes=["read"])
    url = f"/admin/claims/apikey/{key.pk}/change/"
    response = admin_client_logged_in.post(url, {"name": "edit me", "scopes": '["root"]'})
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.scopes == ["read"]
    response = admin_client_logged_in.post(url, {"name": "renamed", "scopes": '["intake", "read"]'})
    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.name, key.scopes) == ("renamed", ["intake", "read"])


def test_admin_revoke_action(admin_client_logged_in):
    key, _ = api_key_create(name="to revoke", scopes=["read"])
    response = admin_client_logged_in.post(
        "/admin/claims/apikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_staff_who_is_not_superuser_sees_no_admin_models(client):
    client.force_login(StaffFactory())
    assert client.get("/admin/claims/apikey/").status_code == 403
