"""The API keeps its published contract: schemathesis against /api/schema/, in process over WSGI.

Generated requests to every operation (reads, desk reads and every write) must never cause a 5xx,
every answer must have a documented status code, and every documented response must match its
schema. Bounded (few examples per operation, derandomized) to stay around a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from claims.choices import ClaimStatus, TipChannel
from claims.intake.keys import api_key_create, api_scopes
from claims.tips.services import tip_submit
from factcheck.wsgi import application
from reviews.people import user_add
from tests.factories import CitationFactory
from tests.reviews.desk import claim_in_state, desk

# The read endpoints, public and keyed; writes and the workflow's per-person endpoints are tested elsewhere.
READ_PATHS = r"^/api/v1/(verdicts/|verdicts/\{id\}/|verdicts/export/|claims:search|claimreview/|ratings/|me/|claims/|claims/\{id\}/|sources/|sources/\{id\}/)$"


@pytest.fixture
def _keep_the_test_connection():
    """Like Django's test client: a request must not close the connection holding the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def published_data(db, settings, _keep_the_test_connection):
    settings.API_ANON_RATE = settings.API_KEY_RATE = "1000000/minute"
    cache.clear()
    team = desk()
    for state in (ClaimStatus.PUBLISHED, ClaimStatus.PUBLISHED, ClaimStatus.RETRACTED, ClaimStatus.NEW):
        claim = claim_in_state(state, team)
        CitationFactory(claim=claim)


CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]

# Loaded at collection: the schema view needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(method="GET", path_regex=READ_PATHS)


@pytest.fixture
def read_key(db) -> str:
    return api_key_create(name="schemathesis", scopes=["read"])[1]


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI must not flake; raise max_examples to explore
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_read_endpoints_keep_their_contract(case, published_data, read_key):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {read_key}"},
        checks=CHECKS,
    )


# The desk's own read endpoints, with an editor's key: queue, load, verdict drafts, history,
# matching, articles, snapshots. Generated ids mostly miss (404, documented); the fixtures'
# ids are small, so some hit.
DESK_PATHS = (
    r"^/api/v1/(articles/|articles/\{id\}/|claims/\{id\}/history/|claims/\{id\}/similar/|claims/\{id\}/verdict/"
    r"|claims/similar/|load/|my-claims/|queue/|ratings/|sources/\{id\}/snapshots/|verdicts/match/)$"
)
desk_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(method="GET", path_regex=DESK_PATHS)


@pytest.fixture
def editor_key(db) -> str:
    editor = user_add("schemathesis-editor", "editor", ["en"])
    return api_key_create(name="schemathesis desk", scopes=["read", "review"], user=editor)[1]


@desk_schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_desk_read_endpoints_keep_their_contract(case, published_data, editor_key):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {editor_key}"},
        checks=CHECKS,
    )


# Every write: intake, tips, the workflow, articles, matching, webhooks. An editor's key with every
# scope, so that requests get past authorization and meet validation and the state machine.
write_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(
    method=["POST", "PUT", "PATCH", "DELETE"]
)


@pytest.fixture
def all_scopes_editor_key(db, settings) -> str:
    settings.TIP_RATE_PER_ADDRESS = settings.TIP_RATE_GLOBAL = "1000000/minute"
    editor = user_add("schemathesis-writer", "editor", ["en"])
    return api_key_create(name="schemathesis writes", scopes=api_scopes(), user=editor)[1]


@write_schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_write_endpoints_keep_their_contract(case, published_data, all_scopes_editor_key):
    case.call_and_validate(headers={"Authorization": f"Bearer {all_scopes_editor_key}"}, checks=CHECKS)


# Readers' tips (anonymous writes) and the editors' merge of a tip's claim, with tips to merge.
tips_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(
    method="POST", path_regex=r"^/api/v1/(tips/|claims/\{id\}/merge/)$"
)


@pytest.fixture
def tips_data(db, settings, _keep_the_test_connection) -> str:
    """Tips' claims to merge, claims to merge into, and an editor's key (the tips endpoint needs none)."""
    settings.TIP_RATE_PER_ADDRESS = settings.TIP_RATE_GLOBAL = "1000000/minute"
    cache.clear()
    for n in range(3):
        tip_submit(
            {"text": f"Tip {n}: the ferry carried {n} thousand people.", "email": "r@example.org"},
            channel=TipChannel.WEB,
        )
    claim_in_state(ClaimStatus.NEW, desk())
    editor = user_add("schemathesis-merger", "editor", ["en"])
    return api_key_create(name="schemathesis merge", scopes=["read", "review"], user=editor)[1]


@tips_schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_tip_and_merge_endpoints_keep_their_contract(case, tips_data):
    headers = {"Authorization": f"Bearer {tips_data}"} if "merge" in case.path else {}
    case.call_and_validate(headers=headers, checks=CHECKS)
