"""Fixtures of the tips tests: the desk, and a published verdict to restate."""

from __future__ import annotations

import pytest

from claims.choices import ClaimStatus
from claims.matching import services as matching
from tests.reviews.desk import claim_in_state, desk

CHECKED = "Crime in London rose by 12% last year according to police figures."
RESTATED = "London crime rose 12% last year, according to police figures"


@pytest.fixture
def team(db):
    return desk()


@pytest.fixture
def published(team):
    """A published verdict, indexed for matching, as tests/reviews/test_matching.py sets one up."""
    claim = claim_in_state(ClaimStatus.PUBLISHED, team, text=CHECKED)
    matching.claims_index([claim.pk])
    return claim
