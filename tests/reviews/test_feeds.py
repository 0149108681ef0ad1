"""The Atom feed of verdicts, parsed as a feed reader would."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.urls import reverse

from claims.choices import ClaimStatus
from reviews import feeds, workflow
from tests.reviews.desk import Desk, claim_in_state, desk, published_correction
from tests.reviews.test_public import publish

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def team() -> Desk:
    return desk()


def feed(client) -> ElementTree.Element:
    response = client.get(reverse("public:feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ElementTree.fromstring(response.content)  # noqa: S314 - our own feed, not untrusted input


def entries(client) -> list[dict]:
    root = feed(client)
    assert root.tag == f"{ATOM}feed"
    return [
        {
            "id": entry.findtext(f"{ATOM}id"),
            "title": entry.findtext(f"{ATOM}title"),
            "updated": datetime.fromisoformat(entry.findtext(f"{ATOM}updated")),
            "published": datetime.fromisoformat(entry.findtext(f"{ATOM}published")),
            "link": entry.find(f"{ATOM}link").get("href"),
            "summary": entry.findtext(f"{ATOM}summary"),
        }
        for entry in root.findall(f"{ATOM}entry")
    ]


def test_the_feed_follows_a_verdict_through_publish_correct_and_retract(client, team):
    verdict = publish(team, text="Bridges are falling down everywhere.", rating="false")
    claim_in_state(ClaimStatus.SUBMITTED, team, text="Not yet published.")
    (published,) = entries(client)
    assert published["title"] == "Bridges are falling down everywhere. (False)"
    assert published["link"] == f"{settings.SITE_URL}/fact-checks/{verdict.slug}/"
    assert published["updated"] == published["published"] == verdict.published_at
    assert "It is not so." in published["summary"]

    published_correction(team.chief, team.editor, verdict.claim_id, {"rating": "mostly-false"}, "Two bridges, not all.")
    verdict.refresh_from_db()
    (corrected,) = entries(client)
    assert corrected["title"] == "Corrected: Bridges are falling down everywhere. (Mostly false)"
    assert corrected["id"] != published["id"]  # a new version is a new entry for feed readers
    assert corrected["updated"] == verdict.updated_at > published["updated"]
    assert corrected["published"] == published["published"]
    assert "Two bridges, not all." in corrected["summary"]

    workflow.verdict_retract(team.chief, verdict.claim_id, "The photo was from another country.")
    verdict.refresh_from_db()
    (retracted,) = entries(client)
    assert retracted["title"] == "Retracted: Bridges are falling down everywhere."
    assert retracted["id"] == corrected["id"]  # same version: an update of the same entry
    assert retracted["updated"] == verdict.retracted_at > corrected["updated"]
    assert "retracted" in retracted["summary"]


def test_entry_ids_are_stable_and_distinct(client, team):
    first, second = publish(team, text="First."), publish(team, text="Second.")
    ids = [entry["id"] for entry in entries(client)]
    assert ids == [entry["id"] for entry in entries(client)]
    assert len(set(ids)) == 2
    assert all(entry_id.startswith("tag:") for entry_id in ids)
    assert {f":verdict:{first.pk}:v1", f":verdict:{second.pk}:v1"} == {i[i.index(":verdict:") :] for i in ids}


def test_the_feed_is_newest_change_first_and_bounded(client, team, monkeypatch):
    monkeypatch.setattr(feeds, "FEED_SIZE", 3)
    verdicts = [publish(team, text=f"Claim {n}.") for n in range(4)]
    assert [e["title"] for e in entries(client)] == ["Claim 3. (False)", "Claim 2. (False)", "Claim 1. (False)"]
    published_correction(team.chief, team.editor, verdicts[0].claim_id, {"summary": "Amended."}, "Clarified.")
    titles = [e["title"] for e in entries(client)]
    assert titles == ["Corrected: Claim 0. (False)", "Claim 3. (False)", "Claim 2. (False)"]
    updated = [e["updated"] for e in entries(client)]
    assert updated == sorted(updated, reverse=True)


def test_the_feed_has_its_own_links_and_is_advertised_on_public_pages(client, team):
    publish(team)
    root = feed(client)
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links["self"] == f"{settings.SITE_URL}/feeds/verdicts.atom"
    assert links["alternate"] == f"{settings.SITE_URL}/fact-checks/"
    index = client.get(reverse("public:index")).content.decode()
    assert 'type="application/atom+xml"' in index and reverse("public:feed") in index
