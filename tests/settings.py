"""Test settings: the real PostgreSQL of the machine when it answers, SQLite otherwise.

Integration tests (marker ``integration``) need PostgreSQL and Redis; when
either is missing they skip with the reason below, and CI (``CI=true``) turns
that skip into a failure (see ``tests/conftest.py``).
"""

import os
import socket
import tempfile
from urllib.parse import urlparse

os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="factcheck-test-"))
os.environ.setdefault("CELERY_BROKER_URL", "memory://localhost/")

from factcheck.settings import *  # noqa: F403
from factcheck.settings import env

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/factcheck")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _answers(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


MISSING_SERVICES = [
    name
    for name, url, port in (("PostgreSQL", TEST_DATABASE_URL, 5432), ("Redis", TEST_REDIS_URL, 6379))
    if not _answers(url, port)
]

if "PostgreSQL" not in MISSING_SERVICES:
    DATABASES = {"default": env.db_url_config(TEST_DATABASE_URL)}

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns when it is missing
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_BROKER_URL = "memory://localhost/"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
FETCH_ALLOWLIST = []
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False}
