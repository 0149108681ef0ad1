"""Rate limits of the read API, counted in the Django cache (Redis in production).

Anonymous callers are counted per client IP at ``API_ANON_RATE``; keys with the ``read``
scope (and staff sessions) per key or user at ``API_KEY_RATE``. Both rates are read at
request time. Counting is a fixed window: one ``add`` + ``incr`` per request, atomic in
Redis, so every web process shares the same counters and none can lose an increment.
A window therefore admits at most the rate; at a window boundary a client may briefly
reach twice the rate over a sliding period, which is the usual trade-off for one
round trip per request. On Django's Redis backend that is literally one round trip: an
``INCR``, plus an ``EXPIRE`` for the window's first request (Django's own ``add`` + ``incr``
took three, as ``incr`` asks ``EXISTS`` first). Should a process die between the two, one
window's counter stays without expiry: a few bytes under a key no later window uses.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from claims.models import ApiKey
from factcheck.ratelimit import over_limit

READ_SCOPE = "read"


class ConsumerRateThrottle(BaseThrottle):
    """Shared by every consumer endpoint: one budget per client across the read API."""

    scope = "consumer"
    cache_alias = "default"

    def identity(self, request) -> tuple[str, str]:
        """(bucket, rate) for this request."""
        key = request.auth if isinstance(request.auth, ApiKey) else None
        if key is not None and key.has_scope(READ_SCOPE):
            return f"key:{key.pk}", settings.API_KEY_RATE
        user = request.user
        if key is None and user is not None and user.is_authenticated and user.is_staff:
            return f"user:{user.pk}", settings.API_KEY_RATE
        return f"ip:{self.client_ip(request)}", settings.API_ANON_RATE

    def client_ip(self, request) -> str:
        # X-Forwarded-For is trusted only when the deployment says how many proxies set it
        # (REST_FRAMEWORK["NUM_PROXIES"]); otherwise anyone could pick their own bucket.
        if api_settings.NUM_PROXIES is not None:
            return self.get_ident(request)
        return request.META.get("REMOTE_ADDR", "") or "unknown"

    def allow_request(self, request, view) -> bool:
        bucket, rate = self.identity(request)
        # No counter, no limit: with the cache's Redis down the API answers (fails open) and logs it.
        self.retry_after = over_limit(caches[self.cache_alias], self.scope, bucket, rate, what="rate limit")
        return self.retry_after is None

    def wait(self) -> float | None:
        return getattr(self, "retry_after", None) or 1
