"""``/healthz``: can this process reach the database and the broker?"""

from __future__ import annotations

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from factcheck.celery import app

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.warning("health check: database unreachable", exc_info=True)
        return False


def broker_ok() -> bool:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            if conn.transport.driver_type == "filesystem":
                return True
            conn.default_channel  # noqa: B018 - opens a channel, proving the broker answers
        return True
    except Exception:
        logger.warning("health check: broker unreachable", exc_info=True)
        return False


@never_cache
@require_GET
def healthz(request) -> JsonResponse:
    checks = {"database": "ok" if database_ok() else "down", "broker": "ok" if broker_ok() else "down"}
    return JsonResponse(checks, status=200 if all(v == "ok" for v in checks.values()) else 503)
