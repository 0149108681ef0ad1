"""Fixed-window counters in the Django cache, shared by the API's throttle and the public pages' limits.

One ``INCR`` (plus an ``EXPIRE`` for a window's first request) on Redis, atomic across every
web process; see ``reviews.api.throttling`` for the trade-offs of a fixed window.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache

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
