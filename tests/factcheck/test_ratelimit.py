"""``factcheck.ratelimit.over_limit``: fixed windows of the clock, the wait that is left, a fresh budget next window."""

from __future__ import annotations

from django.core.cache import cache

from factcheck import ratelimit


def test_a_bucket_over_its_rate_waits_for_the_rest_of_the_window_then_starts_afresh(monkeypatch):
    clock = {"now": 1_800_000_000.0 + 50}  # 50 s into a minute of the clock
    monkeypatch.setattr("factcheck.ratelimit.time.time", lambda: clock["now"])

    def take(bucket: str = "a") -> int | None:
        return ratelimit.over_limit(cache, "test", bucket, "3/minute", what="test")

    assert [take() for _ in range(3)] == [None, None, None]
    assert take() == 10 and take() == 10
    assert take("b") is None  # every bucket has its own budget
    clock["now"] += 10  # the next minute
    assert [take() for _ in range(3)] == [None, None, None]
    clock["now"] += 59.5  # the last half second of that minute
    assert take() == 1  # never 0: a client told to wait 0 s would ask again at once


def test_rates_name_their_period_by_its_first_letter():
    assert ratelimit.parse_rate("30/minute") == (30, 60)
    assert ratelimit.parse_rate("5/ Hour") == (5, 3600)
    assert ratelimit.parse_rate("1000/day") == (1000, 86400)
    assert ratelimit.parse_rate("2/s") == (2, 1)
