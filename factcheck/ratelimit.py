"""Fixed-window counters in the Django cache, shared by the API's throttle and the public pages' limits.

One ``INCR`` (plus an ``EXPIRE`` for a window's first request) on Redis, atomic across every
web process; see ``reviews.api.throttling`` for the trade-offs of a fixed window. Windows are
fixed spans of the clock (``time.time() // period``), so every process agrees on them.
"""

from __future__ import annotations

import math
import time

from django.core.cache.backends.redis import RedisCache

from factcheck.cache import cache_or

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"60/minute"`` → (60, 60). The period is the word's first letter: s, m, h or d."""
    number, _, period = rate.partition("/")
    return int(number), _PERIODS[period.strip()[0].lower()]


def count_request(cache, cache_key: str, *, timeout: int) -> int:
    """Add one to the window's counter (created with ``timeout``) and return the new count."""
    if isinstance(cache, RedisCache):
        # Django's RedisCacheClient keeps its pooled client behind a private attribute; the
        # key goes through the backend's own prefixing and versioning.
        key = cache.make_and_validate_key(cache_key)
        client = cache._cache.get_client(key, write=True)
        count = int(client.incr(key))
        if count == 1:
            client.expire(key, timeout)
        return count
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return cache.incr(cache_key)
    except ValueError:  # the window's key expired between add and incr
        cache.add(cache_key, 0, timeout=timeout)
        return cache.incr(cache_key)


def over_limit(cache, scope: str, bucket: str, rate: str, *, what: str) -> int | None:
    """Count one request of ``bucket`` against ``rate``; the seconds left in its window when over, else None.

    The counter lives under ``throttle:<scope>:<bucket>:<period>:<window>``. With the cache
    unreachable nothing is counted and the request is let through (logged as ``what``).
    """
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    key = f"throttle:{scope}:{bucket}:{period}:{window}"
    count = cache_or(lambda: count_request(cache, key, timeout=period + 1), 0, what=what)
    return max(1, math.ceil((window + 1) * period - now)) if count > limit else None
