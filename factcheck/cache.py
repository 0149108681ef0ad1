"""The cache is an accelerator, never a dependency: when its Redis is unreachable, requests go on without it.

Rate limits fail open (with a warning in the log) and cached payloads and pages are computed
afresh; the short socket timeouts of ``CACHES`` (settings) keep a hung Redis from stalling a
request for long.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import redis

logger = logging.getLogger(__name__)

T = TypeVar("T")
CACHE_ERRORS = (redis.RedisError, OSError)


def cache_or(call: Callable[[], T], fallback: T, *, what: str) -> T:
    """``call()``, or ``fallback`` (logged) when the cache cannot be reached."""
    try:
        return call()
    except CACHE_ERRORS as exc:
        logger.warning("cache unavailable (%s): %s; going on without it", what, exc.__class__.__name__)
        return fallback
