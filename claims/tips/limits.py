"""Abuse limits of tips: so many per client address (or messaging sender), so many for the whole desk.

Fixed windows in the cache (``factcheck.ratelimit``), shared by every web process when the cache is
Redis. With the cache down the limits fail open (logged), as every limit of the project does.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from factcheck.ratelimit import over_limit


def _over(bucket: str, rate: str) -> int | None:
    return over_limit(cache, "tips", bucket, rate, what="tip rate limit")


def tip_rate_refused(sender: str) -> int | None:
    """Count one tip from ``sender`` (``ip:…``, ``telegram:…``); the seconds to wait if over a limit, else None.

    The sender's own budget is counted first: one flooding address uses up its own tips, not
    everybody's (a refused tip does not count against the desk's budget).
    """
    wait = _over(f"sender:{sender}", settings.TIP_RATE_PER_ADDRESS)
    if wait is not None:
        return wait
    return _over("global", settings.TIP_RATE_GLOBAL)
