"""The claim workspace in English, Spanish and Arabic in a real browser (Chromium driven by Playwright).

A fact-checker opens a claim, changes the language with the switch in the top bar (a plain form: no
JavaScript needed), and the page follows: Spanish words, then Arabic words and a mirrored layout
(the brand, the navigation and the workspace's columns move to the other side, labels sit on the
right of their fields). The choice is saved: signing in again from a Spanish browser gives Arabic.
Screenshots under ``var/screenshots/`` (workspace-en.png, workspace-es.png, workspace-ar.png).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from claims.models import Claim
from reviews import workflow
from reviews.models import Reviewer
from reviews.people import user_add
from tests.factories import ClaimFactory
from tests.reviews.desk import ratings_ensure
from tests.reviews.test_browser import (  # noqa: F401 -- fixtures: the browser, a page that fails on CSP refusals
    PASSWORD,
    browser,
    page,
    shoot,
    site_static,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

WIDTH = 1366


def sign_in(tab, base: str, username: str) -> None:
    """Signs in whatever the page's language (by the fields' ids, not their words)."""
    tab.goto(f"{base}/login/")
    tab.locator("#id_username").fill(username)
    tab.locator("#id_password").fill(PASSWORD)
    tab.locator("main form button[type=submit]").click()
    tab.wait_for_url(f"{base}/desk/")


def switch_to(tab, code: str) -> None:
    switch = tab.locator("form.language-switch")
    switch.locator("select").select_option(code)
    with tab.expect_navigation():
        switch.locator("button[type=submit]").click()


def box(tab, selector: str) -> dict:
    found = tab.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not on the page"
    return found


def layout(tab) -> dict:
    """Where the parts that must mirror sit: x of the brand, the navigation, the two workspace columns, a label."""
    return {
        "brand": box(tab, ".topbar .brand"),
        "nav": box(tab, ".topbar nav"),
        "claim_column": box(tab, ".workspace > div:nth-child(1)"),
        "verdict_column": box(tab, ".workspace > div:nth-child(2)"),
        "label": box(tab, "#verdict-form .field label"),
        "field": box(tab, "#verdict-form .field select"),
    }


def nav_order(tab) -> str:
    links = tab.locator(".topbar nav a")
    first, last = links.first.bounding_box(), links.last.bounding_box()
    return "left to right" if first["x"] < last["x"] else "right to left"


def right_edge(part: dict) -> float:
    return part["x"] + part["width"]


def test_the_workspace_speaks_spanish_and_arabic_and_mirrors_for_arabic(django_db_setup, live_server, page, browser):  # noqa: F811
    ratings_ensure()
    user = user_add("rania", "factchecker", ["en"], PASSWORD)
    claim = ClaimFactory(text="The minister said unemployment fell to 3.9% in March.", language="en")
    workflow.claim_take_next(user)
    assert Claim.objects.get(pk=claim.pk).status == "assigned"
    base = live_server.url
    workspace = f"{base}/desk/claims/{claim.pk}/"

    # English (Chromium asks for en-US): left to right.
    sign_in(page, base, "rania")
    page.goto(workspace)
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("heading", name="Your verdict")).to_be_visible()
    english = layout(page)
    assert english["brand"]["x"] < WIDTH / 4
    assert english["claim_column"]["x"] < english["verdict_column"]["x"]
    assert abs(english["label"]["x"] - english["field"]["x"]) < 2  # labels start at the fields' left edge
    assert nav_order(page) == "left to right"
    shoot(page, "workspace-en")

    # Spanish, through the switch in the top bar.
    switch_to(page, "es")
    assert page.url == workspace
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("heading", name="Tu veredicto")).to_be_visible()
    expect(page.get_by_role("button", name="Guardar borrador")).to_be_visible()
    expect(page.locator("#verdict-form select option").nth(0)).to_have_text("— elige una calificación —")
    assert layout(page)["claim_column"]["x"] < layout(page)["verdict_column"]["x"]
    shoot(page, "workspace-es")

    # Arabic: right to left, and the layout mirrors.
    switch_to(page, "ar")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", name="حكمك")).to_be_visible()
    arabic = layout(page)
    assert right_edge(arabic["brand"]) > WIDTH * 3 / 4, arabic["brand"]  # the brand moved to the right
    assert nav_order(page) == "right to left"  # the first link ("Queue") is now the rightmost
    assert arabic["claim_column"]["x"] > arabic["verdict_column"]["x"]  # the claim's column is now on the right
    assert abs(right_edge(arabic["label"]) - right_edge(arabic["field"])) < 2  # labels end at the fields' right
    direction = page.locator(".workspace .facts dt").first.evaluate("dt => getComputedStyle(dt).direction")
    assert direction == "rtl"
    assert Reviewer.objects.get(user=user).preferred_language == "ar"
    shoot(page, "workspace-ar")

    # The choice is the person's: a Spanish browser on another device gets Arabic after signing in.
    other = browser.new_context(viewport={"width": WIDTH, "height": 800}, locale="es-ES")
    try:
        elsewhere = other.new_page()
        elsewhere.goto(f"{base}/login/")
        expect(elsewhere.locator("html")).to_have_attribute("lang", "es")  # before signing in: the browser's
        sign_in(elsewhere, base, "rania")
        expect(elsewhere.locator("html")).to_have_attribute("dir", "rtl")
        expect(elsewhere.get_by_role("button", name="خذ التالي")).to_be_visible()
    finally:
        other.close()
