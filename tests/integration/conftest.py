"""Fixtures for tests that run real processes: a Redis of their own, the broker switch, loopback pages."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from factcheck.celery import app
from factcheck.queue import broker_breaker
from tests.claims.servers import LoopbackServer, free_port
from tests.conftest import ManagedProcess


@pytest.fixture
def pages() -> Iterator[LoopbackServer]:
    """The web pages that claims cite, on 127.0.0.1 (worker processes allow-list it)."""
    with LoopbackServer() as server:
        yield server


def _reconnect() -> None:
    """Forget pooled broker connections so that the next publish connects to the broker configured now.

    Celery caches its connection and producer pools for the life of the process and has no public
    way to reset them (``Celery.close()`` keeps the producer pool).
    """
    if app.amqp._producer_pool is not None:
        app.amqp._producer_pool.force_close_all(close_pool=False)  # kombu keeps it for reuse
    app.amqp._producer_pool = None
    app._pool = None


def filesystem_broker_options() -> dict[str, object]:
    """The folders ``factcheck.settings`` gives the file-system broker, under the VAR_DIR child processes share."""
    folder = Path(settings.VAR_DIR) / "broker"
    for sub in ("queue", "processed"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
    }


@pytest.fixture
def publish_to(redis_queue_clean, monkeypatch) -> Iterator[Callable[[str], None]]:
    """Make this test process publish to a real broker (the test settings use ``memory://``).

    Celery reads ``CELERY_BROKER_URL`` from the environment before its settings, so that is what changes.
    """
    original_options = app.conf.broker_transport_options
    broker_breaker.reset()  # a failure seen by an earlier test must not skip this test's publishes

    def switch(broker_url: str = settings.TEST_REDIS_URL) -> None:
        monkeypatch.setenv("CELERY_BROKER_URL", broker_url)
        if broker_url.startswith("filesystem://"):
            app.conf.broker_transport_options = filesystem_broker_options()
        else:
            app.conf.broker_transport_options = {"socket_connect_timeout": 2, "socket_timeout": 3}
        _reconnect()

    yield switch
    monkeypatch.undo()
    app.conf.broker_transport_options = original_options
    _reconnect()


class RedisServer:
    """A throw-away ``redis-server`` on a spare port, stopped and started again on that port at will."""

    def __init__(self, start_process: Callable[..., ManagedProcess]):
        self.start_process = start_process
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: ManagedProcess | None = None

    def start(self) -> None:
        args = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]
        self.process = self.start_process(f"redis-{self.port}", args)
        self.process.wait_for_log("Ready to accept connections", timeout=10)

    def stop(self) -> None:
        assert self.process is not None
        self.process.stop()
        self.process = None

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False


def elapsed(since: float) -> float:
    return round(time.monotonic() - since, 2)
