"""``/healthz``: 200 when the database and the broker answer, 503 naming what is down."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings

from factcheck.celery import app as celery_app
from factcheck.health import broker_ok, database_ok
from tests.claims.servers import free_port

pytestmark = pytest.mark.django_db


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Point the Celery app at another broker for a while.

    Celery reads ``CELERY_BROKER_URL`` from the environment before its own
    configuration (tests/settings.py sets it to memory://), so both change.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CELERY_BROKER_URL", url)
        patch.setattr(celery_app.conf, "broker_url", url)
        yield


def test_healthz_ok(client):
    assert celery_app.conf.broker_url == "memory://localhost/"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_needs_no_login_and_only_answers_get(client):
    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_healthz_503_when_the_broker_is_down(client):
    port = free_port()  # nothing listens there
    started = time.monotonic()
    with broker_at(f"redis://127.0.0.1:{port}/0"):
        assert broker_ok() is False
        response = client.get("/healthz")
    assert time.monotonic() - started < 15, "a dead broker must not hang the health check"
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "down"}
    # and back up once the broker is back
    assert client.get("/healthz").status_code == 200
    assert broker_ok() is True


def test_database_check():
    assert database_ok() is True


@pytest.mark.integration
def test_healthz_with_the_real_redis_broker(client):
    with broker_at(settings.TEST_REDIS_URL):
        assert broker_ok() is True
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
