"""One input-cleaning rule: control characters give a 400 naming the field, non-numeric ids a 404, never a 500.

Every operation of the published schema gets NUL and other control characters in each query
parameter and in each field of its JSON body, on PostgreSQL (which refuses NUL in text).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from claims.choices import ClaimStatus
from claims.models import Claim
from factcheck.input import first_control_character_field
from tests.factories import CitationFactory
from tests.reviews.desk import claim_in_state, desk

SCHEMA = yaml.safe_load((Path(settings.BASE_DIR) / "docs" / "openapi.yaml").read_text())
METHODS = ("get", "post", "put", "patch", "delete")
OPERATIONS = [
    pytest.param(path, method, id=f"{method.upper()} {path}")
    for path, item in SCHEMA["paths"].items()
    for method in METHODS
    if method in item
]
BAD = ["\x00", "a\x00b", "\x07bell", "\x1b[31m", "\x7f"]


@pytest.fixture
def world(db, settings):
    """A desk with a claim in every state, sources and an article, and a client that may do everything."""
    settings.API_ANON_RATE = settings.API_KEY_RATE = "1000000/minute"
    cache.clear()
    team = desk()
    claim = claim_in_state(ClaimStatus.PUBLISHED, team)
    CitationFactory(claim=claim)
    client = APIClient()
    client.force_login(team.admin)
    return {"client": client, "claim": claim}


def concrete(path: str, value: str) -> str:
    """The path with every parameter set to ``value`` (a UUID parameter to a well-formed UUID)."""
    path = re.sub(r"\{delivery_id\}", "00000000-0000-0000-0000-000000000000", path)
    return re.sub(r"\{[^}]+\}", value, path)


def body_fields(operation: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return list(schema.get("properties", {})) or ["text"]


def call(client, method: str, url: str, **kwargs):
    return getattr(client, method)(url, **kwargs)


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_control_characters_in_any_query_parameter_are_a_400_naming_it(world, path, method):
    operation = SCHEMA["paths"][path][method]
    names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"] or ["q"]
    url = concrete(path, str(world["claim"].pk))
    claims_before = Claim.objects.count()
    for name in names:
        for bad in BAD:
            response = call(world["client"], method, f"{url}?{name}={bad}")
            assert response.status_code == 400, (name, bad, response.status_code, response.content[:300])
            assert name in response.json()["error"]["fields"]
    assert Claim.objects.count() == claims_before


@pytest.mark.parametrize(("path", "method"), [p for p in OPERATIONS if p.values[1] in ("post", "put", "patch")])
def test_control_characters_in_any_json_field_are_a_400_naming_it_or_that_rows_error(world, path, method):
    operation = SCHEMA["paths"][path][method]
    url = concrete(path, str(world["claim"].pk))
    claims_before = Claim.objects.count()
    for field in body_fields(operation):
        body = {field: "before\x00after"}
        if path.endswith("/claims/import/"):
            body = {"claims": [{"text": "A fine claim."}, {"text": "Bad\x00claim"}, {"text": "Another claim."}]}
        response = call(world["client"], method, url, data=json.dumps(body), content_type="application/json")
        assert response.status_code != 500, (field, response.content[:300])
        if path.endswith("/claims/import/"):
            report = response.json()
            assert response.status_code == 200 and report["created"] == 2 and report["errors"] == 1
            assert "text" in report["rows"][1]["errors"]
            claims_before += 2
        else:
            assert response.status_code == 400, (field, response.status_code, response.content[:300])
            assert field in response.json()["error"]["fields"]
    assert Claim.objects.count() == claims_before


@pytest.mark.parametrize(
    ("path", "method"), [p for p in OPERATIONS if "{" in p.values[0] and not p.values[0].endswith("{slug}/")]
)
def test_non_numeric_ids_are_a_404(world, path, method):
    for value in ("abc", "1abc", "%00", "-1", "1.5", "９"):
        url = concrete(path, value)
        response = call(world["client"], method, url, data={}, format="json")
        assert response.status_code == 404, (url, response.status_code, response.content[:200])


def test_the_rule_names_nested_fields():
    assert first_control_character_field({"a": "ok", "b": [{"c": "fine"}, {"d": "x\x00"}]}) == "b[1].d"
    assert first_control_character_field({"ok\x01": 1}) == "ok\x01"
    assert first_control_character_field({"text": "tab\tnew\nline\r"}) is None
    assert first_control_character_field(["\x00"]) == "[0]"


@pytest.mark.django_db
def test_a_csv_import_row_with_nul_is_that_rows_error(client, settings):
    team = desk()
    api = APIClient()
    api.force_login(team.admin)
    csv_body = "text,claimant\nFirst claim here.,Ana\nSecond\x00claim.,Bo\nThird claim here.,Cy\n"
    response = api.post("/api/v1/claims/import/", data=csv_body, content_type="text/csv")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2 and response.json()["errors"] == 1


@pytest.mark.django_db
def test_pages_refuse_control_characters_with_a_message(client):
    team = desk()
    client.force_login(team.editor)
    response = client.get("/desk/?tag=%00")
    assert response.status_code == 400 and b"Control characters" in response.content
    before = Claim.objects.count()
    response = client.post("/claims/new/", {"text": "A claim\x00 with NUL.", "language": "en"})
    assert response.status_code == 400 and b"text" in response.content
    assert Claim.objects.count() == before
    assert client.get("/fact-checks/?q=%00").status_code == 400
