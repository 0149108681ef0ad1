"""API authentication: bearer keys (hashed, scoped, revocable) and staff sessions with CSRF."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from claims.intake.keys import api_key_authenticate, api_key_create, api_key_revoke
from claims.intake.validation import InvalidInput
from claims.models import ApiKey, Claim
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"
ME = "/api/v1/me/"


def bearer(raw: str, **client_kwargs) -> APIClient:
    client = APIClient(**client_kwargs)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def submit(client: APIClient, text: str = "An authenticated claim", **extra):
    return client.post(CLAIMS, data=json.dumps({"text": text}), content_type="application/json", **extra)


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    if code:
        assert error["code"] == code
    return error


# --------------------------------------------------------------------------- the key service


def test_raw_key_is_not_stored_anywhere():
    key, raw = api_key_create(name="newsroom", scopes=["intake", "read"])
    assert raw.startswith("fck_")
    assert key.key_hash != raw and len(key.key_hash) == 64
    secret = raw.split("_", 2)[2]  # the secret itself may contain "_"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiKey._meta.db_table}")  # noqa: S608 - our own table name
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert raw not in stored
    assert secret not in stored
    assert key.prefix in stored  # the public prefix is what finds the row


def test_create_key_sorts_and_dedupes_scopes():
    key, _ = api_key_create(name="  spaced  ", scopes=(s for s in ["read", "intake", "read"]))
    key.refresh_from_db()
    assert key.scopes == ["intake", "read"]
    assert key.name == "spaced"


@pytest.mark.parametrize(
    ("name", "scopes", "field"),
    [
        ("x", ["intake", "admin"], "scopes"),
        ("x", [], "scopes"),
        ("x", "read", "scopes"),
        ("x", [1], "scopes"),
        ("   ", ["read"], "name"),
    ],
)
def test_create_key_refuses_unknown_scopes_and_empty_names(name, scopes, field):
    with pytest.raises(InvalidInput) as exc:
        api_key_create(name=name, scopes=scopes)
    assert field in exc.value.fields
    assert ApiKey.objects.count() == 0


def test_two_keys_never_share_a_secret():
    raws = {api_key_create(name=f"k{n}", scopes=["read"])[1] for n in range(20)}
    assert len(raws) == 20
    assert ApiKey.objects.values("prefix").distinct().count() == 20


def test_authenticate_finds_the_key_and_records_last_use():
    key, raw = api_key_create(name="k", scopes=["read"])
    assert key.last_used_at is None
    found = api_key_authenticate(raw)
    assert found is not None and found.pk == key.pk
    key.refresh_from_db()
    assert key.last_used_at is not None
    first_use = key.last_used_at
    # Used again within a minute: no write for every request.
    api_key_authenticate(raw)
    key.refresh_from_db()
    assert key.last_used_at == first_use
    # An hour later the time moves on.
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first_use - timedelta(hours=1))
    api_key_authenticate(raw)
    key.refresh_from_db()
    assert key.last_used_at > first_use - timedelta(minutes=1)


def test_authenticate_refuses_wrong_secrets_and_revoked_keys():
    key, raw = api_key_create(name="k", scopes=["read"])
    prefix = raw.split("_")[1]
    for wrong in [
        "",
        "garbage",
        raw + "x",
        raw[:-1],
        f"fck_{prefix}_wrongsecret",
        f"xyz_{prefix}_{raw.split('_', 2)[2]}",
    ]:
        assert api_key_authenticate(wrong) is None, wrong
    api_key_revoke(key)
    assert api_key_authenticate(raw) is None
    key.refresh_from_db()
    assert key.revoked_at is not None


# --------------------------------------------------------------------------- over HTTP


def test_no_credentials_401_with_bearer_challenge():
    response = APIClient().get(CLAIMS)
    assert_error(response, 401, code="not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    response = submit(APIClient())
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Claim.objects.count() == 0


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer one two",
        "Bearer fck_nothing_here",
        "Bearer not-a-key-at-all",
        "Basic dXNlcjpwYXNz",
        "Token abcdef",
        "fck_abc_def",
    ],
)
def test_malformed_or_wrong_authorization_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = submit(client)
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Claim.objects.count() == 0


def test_non_ascii_bearer_token_401(make_key):
    make_key("intake")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer fck_\u00e9\u00e9_x".encode().decode("latin-1"))
    assert_error(client.get(CLAIMS), 401)


def test_valid_key_works_and_records_last_use(make_key):
    key, raw = make_key("intake", "read")
    client = bearer(raw)
    assert client.get(CLAIMS).status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert timezone.now() - key.last_used_at < timedelta(seconds=30)
    assert submit(client).status_code == 201


def test_bearer_keyword_is_case_insensitive(make_key):
    _, raw = make_key("read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {raw}")
    assert client.get(CLAIMS).status_code == 200


def test_revoked_key_401(make_key):
    key, raw = make_key("intake", "read")
    client = bearer(raw)
    assert client.get(CLAIMS).status_code == 200
    api_key_revoke(key)
    assert_error(client.get(CLAIMS), 401)
    assert_error(submit(client), 401)
    assert Claim.objects.count() == 0


def test_read_only_key_cannot_submit(make_key):
    _, raw = make_key("read")
    client = bearer(raw)
    assert client.get(CLAIMS).status_code == 200
    error = assert_error(submit(client), 403, code="permission_denied")
    assert "intake" in error["message"]
    response = client.post(f"{CLAIMS}import/", data="text\nimported\n", content_type="text/csv")
    assert_error(response, 403)
    assert Claim.objects.count() == 0


def test_intake_only_key_cannot_read(make_key):
    _, raw = make_key("intake")
    client = bearer(raw)
    assert submit(client).status_code == 201
    error = assert_error(client.get(CLAIMS), 403)
    assert "read" in error["message"]
    assert_error(client.get("/api/v1/sources/"), 403)


def test_key_bound_to_a_user_submits_as_that_user(make_key):
    user = UserFactory(username="reporter")
    _, raw = make_key("intake", "read", user=user)
    client = bearer(raw)
    response = submit(client)
    assert response.status_code == 201
    claim = Claim.objects.get()
    assert claim.submitted_by == user
    assert client.get(ME).json()["user"] == "reporter"


def test_key_of_a_deactivated_user_acts_as_nobody(make_key):
    user = UserFactory(is_active=False)
    _, raw = make_key("intake", "read", user=user)
    assert submit(bearer(raw)).status_code == 201
    assert Claim.objects.get().submitted_by is None


# --------------------------------------------------------------------------- sessions


def _csrf_token(client: APIClient) -> str:
    client.get("/login/")  # renders {% csrf_token %}, which sets the cookie
    return client.cookies["csrftoken"].value


def test_staff_session_reads_and_submits_with_csrf():
    staff = StaffFactory(username="editor")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.get(CLAIMS).status_code == 200
    assert client.get(ME).json() == {"kind": "session", "name": "editor", "scopes": ["*"], "user": "editor"}
    token = _csrf_token(client)
    response = submit(client, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.json()
    assert response.json()["submitter"] == "editor"
    assert Claim.objects.get().submitted_by == staff


def test_staff_session_post_without_csrf_token_refused():
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(StaffFactory())
    response = submit(client)
    error = assert_error(response, 403)
    assert "CSRF" in error["message"]
    response = client.post(f"{CLAIMS}import/", data="text\nnope\n", content_type="text/csv")
    assert_error(response, 403)
    assert Claim.objects.count() == 0


def test_non_staff_session_has_no_api_access():
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    assert client.get(CLAIMS).status_code in (401, 403)
    assert client.get(ME).status_code in (401, 403)
    token = _csrf_token(client)
    assert submit(client, HTTP_X_CSRFTOKEN=token).status_code in (401, 403)
    assert Claim.objects.count() == 0


def test_logged_out_session_has_no_api_access():
    client = APIClient()
    client.force_login(StaffFactory())
    client.logout()
    assert_error(client.get(CLAIMS), 401)
