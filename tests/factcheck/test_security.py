"""Login throttling (django-axes), the public search's rate limit, and the Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from claims.choices import ClaimStatus
from reviews.people import user_add
from tests.reviews.desk import claim_in_state, desk

pytestmark = pytest.mark.django_db


def log_in(client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_21st_wrong_password_locks_the_account_even_with_the_right_one(client):
    user_add("ana", "factchecker", ["en"], "right-password-123")
    for attempt in range(19):
        response = log_in(client, "ana", f"wrong-{attempt}", address=f"198.51.100.{attempt}")
        assert response.status_code == 200 and b"Log in" in response.content  # the form again
    assert log_in(client, "ana", "wrong-19", address="198.51.100.19").status_code == 429  # the 20th: locked
    response = log_in(client, "ana", "right-password-123", address="192.0.2.99")  # the 21st
    assert response.status_code == 429
    assert b"Too many failed log-in attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_one_address_guessing_many_accounts_is_locked_out_too(client):
    user_add("bo", "editor", [], "bo-password-123")
    for attempt in range(20):
        log_in(client, f"nobody-{attempt}", "guess", address="203.0.113.50")
    assert log_in(client, "bo", "bo-password-123", address="203.0.113.50").status_code == 429
    # Someone else, elsewhere, still logs in.
    response = log_in(client, "bo", "bo-password-123", address="203.0.113.51")
    assert response.status_code == 302 and client.session["_auth_user_id"]


def test_a_success_before_the_limit_resets_the_count(client):
    user_add("cy", "factchecker", ["en"], "cy-password-123")
    for attempt in range(15):
        log_in(client, "cy", f"wrong-{attempt}")
    assert log_in(client, "cy", "cy-password-123").status_code == 302
    client.logout()
    for attempt in range(15):
        log_in(client, "cy", f"wrong-again-{attempt}")
    assert log_in(client, "cy", "cy-password-123").status_code == 302


def test_the_public_search_is_rate_limited_per_address(client, settings, one_window):
    settings.PUBLIC_SEARCH_RATE = "30/minute"
    cache.clear()
    for _ in range(30):
        assert client.get("/fact-checks/", {"q": "bridge"}, REMOTE_ADDR="198.51.100.1").status_code == 200
    refused = client.get("/fact-checks/", {"q": "bridge"}, REMOTE_ADDR="198.51.100.1")
    assert refused.status_code == 429 and int(refused["Retry-After"]) == 30  # the rest of the pinned minute
    assert b"Too many searches" in refused.content
    assert client.get("/fact-checks/", REMOTE_ADDR="198.51.100.1").status_code == 200  # browsing is not searching
    assert client.get("/fact-checks/", {"q": "bridge"}, REMOTE_ADDR="198.51.100.2").status_code == 200


def csp_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def test_every_page_sends_a_strict_policy_and_styles_carry_its_nonce(client):
    team = desk()
    claim = claim_in_state(ClaimStatus.PUBLISHED, team)
    client.force_login(team.editor)
    pages = ["/login/", "/desk/", f"/desk/claims/{claim.pk}/", "/fact-checks/", f"/fact-checks/{claim.verdict.slug}/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = csp_of(response)
        assert policy["script-src"] == "script-src 'self'", (url, policy)  # no inline script, no eval
        assert "'unsafe-inline'" not in policy["style-src"] and policy["object-src"] == "object-src 'none'"
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
        styles = re.findall(rb"<style[^>]*>", response.content)
        if styles:  # the nonce is in the policy when the page used it
            nonce = re.search(r"'nonce-([^']+)'", policy["style-src"]).group(1)
            assert all(f'nonce="{nonce}"'.encode() in tag for tag in styles), (url, styles)
        # Every script is a file (JSON-LD is data, which no policy runs).
        assert not re.search(rb"<script(?![^>]*\b(?:src=|type=\"application/ld\+json\"))[^>]*>", response.content), url
