"""Abuse limits of tips: so many per client address (or messaging sender), so many for the whole desk.

Fixed windows in the cache (``factcheck.ratelimit``), shared by every web process when the cache is
Redis. With the cache down the limits fail open (logged), as every limit of the project does.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache

from factcheck.cache import cache_or
from factcheck.ratelimit import count_request, parse_rate


def _over(bucket: str, rate: str, now: float) -> int | None:
    limit, period = parse_rate(rate)
    window = int(now // period)
    key = f"throttle:tips:{bucket}:{period}:{window}"
    count = cache_or(lambda: count_request(cache, key, timeout=period + 1), 0, what="tip rate limit")
    return max(1, math.ceil((window + 1) * period - now)) if count > limit else None


def tip_rate_refused(sender: str) -> int | None:
    """Count one tip from ``sender`` (``ip:…``, ``telegram:…``); the seconds to wait if over a limit, else None.

    The sender's own budget is counted first: one flooding address uses up its own tips, not
    everybody's (a refused tip does not count against the desk's budget).
    """
    now = time.time()
    wait = _over(f"sender:{sender}", settings.TIP_RATE_PER_ADDRESS, now)
    if wait is not None:
        return wait
    return _over("global", settings.TIP_RATE_GLOBAL, now)
