"""Fixtures of the tips tests: the desk, a published verdict to restate, messaging platforms configured."""

from __future__ import annotations

import pytest

from claims.choices import ClaimStatus
from claims.matching import services as matching
from tests.reviews.desk import claim_in_state, desk

CHECKED = "Crime in London rose by 12% last year according to police figures."
RESTATED = "London crime rose 12% last year, according to police figures"
TELEGRAM_SECRET = "tg-secret-of-the-test"
WHATSAPP_VERIFY = "wa-verify-of-the-test"
WHATSAPP_SECRET = "wa-app-secret-of-the-test"


@pytest.fixture
def team(db):
    return desk()


@pytest.fixture
def published(team):
    """A published verdict, indexed for matching, as tests/reviews/test_matching.py sets one up."""
    claim = claim_in_state(ClaimStatus.PUBLISHED, team, text=CHECKED)
    matching.claims_index([claim.pk])
    return claim


@pytest.fixture
def messaging(settings):
    settings.TELEGRAM_WEBHOOK_SECRET = TELEGRAM_SECRET
    settings.TELEGRAM_BOT_TOKEN = "123456:test-token"
    settings.WHATSAPP_VERIFY_TOKEN = WHATSAPP_VERIFY
    settings.WHATSAPP_APP_SECRET = WHATSAPP_SECRET
    settings.WHATSAPP_ACCESS_TOKEN = "wa-access-token"
    settings.WHATSAPP_PHONE_NUMBER_ID = "1098765"
    return settings
