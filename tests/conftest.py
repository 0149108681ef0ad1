"""Shared fixtures: API clients, keys, real services and real worker processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from claims.intake.keys import api_key_create

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    missing = getattr(settings, "MISSING_SERVICES", [])
    if not missing:
        return
    reason = (
        f"INTEGRATION TEST NOT RUN: {', '.join(missing)} unreachable "
        f"(TEST_DATABASE_URL={settings.TEST_DATABASE_URL}, TEST_REDIS_URL={settings.TEST_REDIS_URL})"
    )
    for item in items:
        if "integration" in item.keywords:
            if IN_CI:  # CI must never pass by skipping the real-service tests
                item.fixturenames.insert(0, "_fail_missing_services")
            else:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _broker_breaker_closed():
    """The intake's broker breaker is process-wide: no test inherits another's tripped breaker."""
    from factcheck.queue import broker_breaker

    broker_breaker.reset()
    yield
    broker_breaker.reset()


@pytest.fixture(autouse=True)
def _claim_index_fresh():
    """The dense index lives in the process: a rolled-back test must not leave its vectors to the next."""
    from claims.matching.index import claim_index_reset

    claim_index_reset()
    yield
    claim_index_reset()


@pytest.fixture(autouse=True)
def _cache_cleared():
    """Rate-limit counters live in the cache: every test starts with fresh budgets."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def one_window(monkeypatch) -> float:
    """Rate limits count fixed windows of the clock: stop the clock mid-hour, so a test's requests share one.

    Returns the pinned time; patched where every limit reads it (``factcheck.ratelimit``).
    """
    now = (time.time() // 3600) * 3600 + 1830
    monkeypatch.setattr("factcheck.ratelimit.time.time", lambda: now)
    return now


@pytest.fixture
def _fail_missing_services():
    pytest.fail(f"CI=true and the integration services are missing: {settings.MISSING_SERVICES}")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_key(db) -> Callable[..., tuple[object, str]]:
    def make(*scopes: str, name: str = "test key", user=None):
        return api_key_create(name=name, scopes=scopes or ("intake", "read"), user=user)

    return make


@pytest.fixture
def intake_client(make_key) -> APIClient:
    """An API client holding a key with the intake and read scopes."""
    _, raw = make_key("intake", "read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


# --- Real processes ---------------------------------------------------------------------


def database_url_for_subprocess() -> str:
    """The URL of the database the current test uses (pytest-django's test database)."""
    from django.db import connection

    conf = connection.settings_dict
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{conf['NAME']}"
    user = conf.get("USER") or "postgres"
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{conf['NAME']}"


def subprocess_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "CELERY_", "FETCH_", "DATABASE_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "factcheck.settings",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": database_url_for_subprocess(),
            "CELERY_BROKER_URL": settings.TEST_REDIS_URL,
            "FETCH_ALLOWLIST": "127.0.0.1",
            "VAR_DIR": os.environ["VAR_DIR"],
            "LOG_LEVEL": "INFO",
        }
    )
    env.update(overrides)
    return env


class ManagedProcess:
    """A child process in its own process group, with its output kept in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path):
        self.args = args
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, needle: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.args[0]} exited early:\n{self.log()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} not seen within {timeout}s:\n{self.log()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no chance to clean up or acknowledge."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
            except ProcessLookupError:
                pass
        self._log.close()


@pytest.fixture
def start_process(tmp_path) -> Iterator[Callable[..., ManagedProcess]]:
    """Start real processes (workers, beat, web); all are stopped after the test."""
    started: list[ManagedProcess] = []

    def start(name: str, args: list[str], **env_overrides: str) -> ManagedProcess:
        process = ManagedProcess(args, subprocess_env(**env_overrides), tmp_path / f"{name}-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop()


def celery_worker_args(concurrency: int = 4, pool: str = "threads") -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "factcheck",
        "worker",
        "-Q",
        "celery,matching",  # one test worker does the Procfile's worker and matcher jobs
        "--loglevel",
        "INFO",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
    ]


def celery_beat_args(tmp_path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "factcheck",
        "beat",
        "--loglevel",
        "INFO",
        "--schedule",
        str(tmp_path / "beat-schedule"),
    ]


def wait_until(predicate: Callable[[], bool], timeout: float = 30, interval: float = 0.2, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(message or f"condition not met within {timeout}s")


@pytest.fixture
def redis_queue_clean() -> Iterator[None]:
    """Integration tests share the Redis test database: start and end with empty queues."""
    import redis

    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    client.flushdb()
    yield
    client.flushdb()
