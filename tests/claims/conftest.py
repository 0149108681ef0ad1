"""Fixtures of the claims tests: a loopback web server, and a fetcher allowed to reach it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.claims.servers import LoopbackServer


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def allow_loopback(settings):
    """Allow-list 127.0.0.1 (any port), as a deployment fetching a local service would."""
    settings.FETCH_ALLOWLIST = ["127.0.0.1"]
    return settings
