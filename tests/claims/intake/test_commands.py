"""Management commands: ``create_api_key`` and ``import_claims``, run with ``call_command``."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from claims.models import ApiKey, Claim, Source
from tests.factories import ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------- create_api_key


def test_create_api_key_prints_a_working_key_on_its_last_line():
    out, err = run("create_api_key", "--name", "partner newsroom", "--scopes", "intake,read")
    raw = out.strip().splitlines()[-1]
    assert raw.startswith("fck_") and " " not in raw
    assert raw not in err  # the secret goes to stdout only
    key = ApiKey.objects.get()
    assert key.name == "partner newsroom"
    assert key.scopes == ["intake", "read"]
    assert key.key_hash != raw

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me/").json()["name"] == "partner newsroom"
    response = client.post("/api/v1/claims/", {"text": "Sent with a new key"}, format="json")
    assert response.status_code == 201
    assert response.json()["submitter"] == "key:partner newsroom"


def test_create_api_key_scopes_limit_the_key():
    out, _ = run("create_api_key", "--name", "reader", "--scopes", " read ")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {out.strip().splitlines()[-1]}")
    assert client.get("/api/v1/claims/").status_code == 200
    assert client.post("/api/v1/claims/", {"text": "x"}, format="json").status_code == 403


def test_create_api_key_bound_to_a_user():
    user = UserFactory(username="bot")
    run("create_api_key", "--name", "bot key", "--scopes", "intake", "--user", "bot")
    assert ApiKey.objects.get().user == user


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--name", "x", "--scopes", "intake,superpowers"], "superpowers"),
        (["--name", "x", "--scopes", ","], "scope"),
        (["--name", "  ", "--scopes", "read"], "name"),
        (["--name", "x", "--scopes", "read", "--user", "nobody"], "nobody"),
        (["--name", "x"], "scopes"),
    ],
)
def test_create_api_key_refuses_bad_arguments(args, needle):
    with pytest.raises(CommandError) as exc:
        run("create_api_key", *args)
    assert needle in str(exc.value)
    assert ApiKey.objects.count() == 0


# --------------------------------------------------------------------------- import_claims


def test_import_claims_csv_file(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text(
        "text,claimant,sources\n"
        "Imported from the shell,Someone,https://shell.example/a\n"
        ",Nobody,\n"
        "IMPORTED from the shell,,https://shell.example/b\n",
        encoding="utf-8",
    )
    out, err = run("import_claims", str(path))
    reports = [json.loads(line) for line in out.splitlines()]
    assert [r["status"] for r in reports] == ["created", "error", "duplicate"]
    assert [r["row"] for r in reports] == [1, 2, 3]
    assert "text" in reports[1]["errors"]
    assert reports[0]["id"] == reports[2]["id"] == Claim.objects.get().pk
    assert "3 rows: 1 created, 1 duplicates, 1 errors" in err
    claim = Claim.objects.get()
    assert claim.channel == "import"
    assert Source.objects.count() == 2


def test_import_claims_json_file_with_unicode(tmp_path):
    path = tmp_path / "claims.json"
    rows = [{"text": "Le café a fermé \u2615", "language": "fr"}, {"text": "שלום עולם", "language": "he"}]
    path.write_text(json.dumps({"claims": rows}, ensure_ascii=False), encoding="utf-8")
    out, _ = run("import_claims", str(path))
    assert [json.loads(line)["status"] for line in out.splitlines()] == ["created", "created"]
    assert set(Claim.objects.values_list("text", flat=True)) == {"Le café a fermé \u2615", "שלום עולם"}


def test_import_claims_from_standard_input(monkeypatch):
    data = b"text\nPiped in\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out, _ = run("import_claims", "-")
    assert json.loads(out.splitlines()[0])["status"] == "created"
    assert Claim.objects.get().text == "Piped in"


@pytest.mark.parametrize(
    ("filename", "content", "needle"),
    [
        ("bad.json", b'[{"text": ', "Malformed JSON"),
        ("bad.csv", b'text\n"never closed\nsecond\n', "Malformed CSV"),
        ("latin.csv", "text\nCafé\n".encode("latin-1"), "UTF-8"),
        ("empty.csv", b"", "empty"),
        ("header.csv", b"text\n", "no rows"),
    ],
)
def test_import_claims_unreadable_file_saves_nothing(tmp_path, filename, content, needle):
    ClaimFactory()
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(CommandError) as exc:
        run("import_claims", str(path))
    assert needle in str(exc.value)
    assert Claim.objects.count() == 1


def test_import_claims_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run("import_claims", str(tmp_path / "absent.csv"))


def test_import_claims_10001_rows_refused(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("text\n" + "".join(f"row {n}\n" for n in range(10_001)))
    with pytest.raises(CommandError, match="10000"):
        run("import_claims", str(path))
    assert Claim.objects.count() == 0
