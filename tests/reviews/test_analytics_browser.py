"""The analytics page in a real browser: Chromium driven by Playwright against the live test server.

An editor opens the page on a period, reads the key figures and the charts, then moves the start of
the period and sees the figures change; the page must load with nothing refused by the
Content-Security-Policy. Screenshots under ``var/screenshots/``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from claims.models import Claim
from reviews.people import user_add
from tests.factories import ClaimFactory
from tests.reviews.desk import ratings_ensure
from tests.reviews.test_browser import (  # noqa: F401 -- fixtures: the browser, a page that fails on CSP refusals
    PASSWORD,
    browser,
    log_in,
    page,
    shoot,
    site_static,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def received_on(*days: int) -> None:
    for day in days:
        claim = ClaimFactory()
        Claim.objects.filter(pk=claim.pk).update(created_at=datetime(2025, 3, day, 9, tzinfo=UTC))


def test_an_editor_changes_the_period_and_the_figures_follow(django_db_setup, live_server, page):  # noqa: F811
    ratings_ensure()
    user_add("chief", "editor", ["en"], PASSWORD)
    received_on(3, 4, 5, 20, 21)
    base = live_server.url

    log_in(page, base, "chief")
    page.get_by_role("link", name="Analytics").click()
    page.wait_for_url(f"{base}/desk/analytics/")
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()

    page.get_by_label("From", exact=True).fill("2025-03-01")
    page.get_by_label("To", exact=True).fill("2025-03-30")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/desk/analytics/?from=2025-03-01&to=2025-03-30**")
    expect(page.locator("#figure-received")).to_have_text("5")
    assert page.locator("svg.chart").count() >= 5
    expect(page.get_by_role("img", name="Claims received per week, by channel")).to_be_visible()
    expect(page.locator("#intake-table")).to_contain_text("Total")
    shoot(page, "analytics-01-march")

    page.get_by_label("From", exact=True).fill("2025-03-15")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/desk/analytics/?from=2025-03-15**")
    expect(page.locator("#figure-received")).to_have_text("2")
    expect(page.locator("#backlog-trend-table tbody tr")).to_have_count(3)  # the weeks of 10, 17 and 24 March
    shoot(page, "analytics-02-second-half")
