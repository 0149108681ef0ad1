"""The OpenAPI schema is committed (docs/openapi.yaml) so API changes show in review."""

import re
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from claims.intake.keys import api_scopes
from reviews.people import user_add

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"


def generated_schema() -> str:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_committed_schema_matches_the_code():
    assert SCHEMA_FILE.is_file(), "run: make schema"
    assert generated_schema() == SCHEMA_FILE.read_text(), (
        "the API changed: run `make schema` and commit docs/openapi.yaml"
    )


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/claims/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower() and b"/static/drf_spectacular_sidecar/" in docs.content


def committed() -> dict:
    return yaml.safe_load(SCHEMA_FILE.read_text())


def operations():
    for path, item in committed()["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_documents_the_errors_it_can_answer():
    for path, method, operation in operations():
        codes = set(operation["responses"])
        assert "400" in codes, (method, path)
        if {} not in operation.get("security", [{}]):
            assert {"401", "403"} <= codes, (method, path)
        if "{" in path:
            assert "404" in codes, (method, path)
        if "requestBody" in operation:
            assert {"413", "415"} <= codes, (method, path)
        for code in codes - {"200", "201", "202", "204", "304"}:
            schema = operation["responses"][code].get("content", {}).get("application/json", {}).get("schema")
            if code.startswith("4") and schema is not None:
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_free_text_inputs_document_that_control_characters_are_refused():
    pattern = re.compile(committed()["components"]["schemas"]["ClaimInputRequest"]["properties"]["text"]["pattern"])
    assert pattern.search("The council doubled the budget.\nTwice.")
    assert not pattern.search("The council\x00 doubled the budget.")
    queue = next(op for path, method, op in operations() if path == "/api/v1/queue/" and method == "get")
    tag = next(parameter for parameter in queue["parameters"] if parameter["name"] == "tag")
    assert tag["schema"]["pattern"] == pattern.pattern


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, body",
    [
        ("/api/v1/checkworthiness/", {"sentences": ["Crime rose 40% last year."], "langauge": "en"}),
        ("/api/v1/articles/", {"text": "The council met on Monday.", "titel": "x"}),
        ("/api/v1/webhooks/", {"url": "https://partner.example/hook", "event": ["verdict.published"]}),
    ],
)
def test_request_bodies_that_say_no_additional_properties_refuse_a_misspelt_field(url, body, make_key):
    component = {
        "/api/v1/checkworthiness/": "CheckworthinessInputRequest",
        "/api/v1/articles/": "ArticleInputRequest",
        "/api/v1/webhooks/": "WebhookInputRequest",
    }[url]
    assert committed()["components"]["schemas"][component]["additionalProperties"] is False
    _, raw = make_key(*api_scopes(), user=user_add("strict-editor", "admin", ["en"]))
    client = APIClient()
    response = client.post(url, body, format="json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 400, response.content
    misspelt = next(name for name in body if name in {"langauge", "titel", "event"})
    assert response.json()["error"]["fields"][misspelt] == ["Unknown field."]
