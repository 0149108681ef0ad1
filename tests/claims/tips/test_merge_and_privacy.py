"""Merging a tip's claim into another (editors, API and workspace), and tipsters' contacts never leaving the desk."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from claims.choices import ClaimStatus, TipChannel
from claims.intake.keys import api_key_create
from claims.models import Claim, Tip, TipContact
from claims.tips.services import tip_submit
from reviews import webhooks, workflow
from reviews.choices import Action
from reviews.models import WebhookEvent, WorkflowEvent
from tests.claims.tips.helpers import publish, run_notification_tasks
from tests.claims.tips.test_inbound import post_telegram, telegram_update
from tests.factories import ClaimFactory
from tests.reviews.desk import claim_in_state, key_client, review_client

pytestmark = pytest.mark.django_db
EMAIL = "private.reader@example.org"


@pytest.fixture
def tip(team):
    return tip_submit({"text": "They say the stadium cost 900 million.", "email": EMAIL}, channel=TipChannel.WEB)


@pytest.fixture
def target(team):
    return ClaimFactory(text="The new stadium cost the city 900 million euros, the mayor said.")


def merge_url(claim_id: int) -> str:
    return f"/api/v1/claims/{claim_id}/merge/"


def test_merge_permissions_are_checked_on_the_server(team, tip, target, api_client):
    url, body = merge_url(tip.claim.pk), {"into": target.pk}
    assert api_client.post(url, body, format="json").status_code == 401
    assert key_client("read", "intake").post(url, body, format="json").status_code == 403
    assert key_client("review").post(url, body, format="json").status_code == 403  # a key acting as nobody
    refused = review_client(team.assignee).post(url, body, format="json")  # a fact-checker
    assert refused.status_code == 403 and "may not merge" in refused.json()["error"]["message"]
    assert Tip.objects.get().claim_id == tip.claim.pk
    assert Claim.objects.get(pk=tip.claim.pk).status == ClaimStatus.NEW


def test_an_editor_merges_through_the_api_contacts_move_and_history_records_it(team, tip, target):
    response = review_client(team.editor).post(merge_url(tip.claim.pk), {"into": target.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == ClaimStatus.DISMISSED
    moved = Tip.objects.get()
    assert moved.claim == target and moved.merged_from_id == tip.claim.pk
    assert TipContact.objects.filter(tip__claim=target).count() == 1
    assert Claim.objects.filter(pk=tip.claim.pk).exists()  # closed, not deleted
    event = WorkflowEvent.objects.get(claim=tip.claim, action=Action.MERGE)
    assert (event.actor, event.from_state, event.to_state) == (team.editor, "new", "dismissed")
    assert event.data == {"merged_into": target.pk, "tips": 1}
    assert WorkflowEvent.objects.get(claim=target, action=Action.MERGED_IN).data["merged_from"] == tip.claim.pk
    history = review_client(team.editor).get(f"/api/v1/claims/{tip.claim.pk}/history/").json()
    assert history[-1]["action"] == "merge"


def test_merge_refusals(team, tip, target):
    editor = review_client(team.editor)
    no_tips = ClaimFactory(text="A claim typed in by staff.")
    assert editor.post(merge_url(no_tips.pk), {"into": target.pk}, format="json").status_code == 409
    assert editor.post(merge_url(tip.claim.pk), {"into": tip.claim.pk}, format="json").status_code == 400
    missing = editor.post(merge_url(tip.claim.pk), {"into": 999999}, format="json")
    assert missing.status_code == 400 and "into" in missing.json()["error"]["fields"]
    assert editor.post(merge_url(tip.claim.pk), {"into": "x"}, format="json").status_code == 400
    assert editor.post(merge_url(999999), {"into": target.pk}, format="json").status_code == 404
    dismissed = claim_in_state(ClaimStatus.DISMISSED, team)
    assert editor.post(merge_url(tip.claim.pk), {"into": dismissed.pk}, format="json").status_code == 409
    assert Tip.objects.get().claim_id == tip.claim.pk


def test_the_target_publication_tells_the_merged_tipster(team, tip, target, django_capture_on_commit_callbacks):
    workflow.claim_merge(team.editor, tip.claim.pk, target.pk)
    publish(team, target.pk, django_capture_on_commit_callbacks)
    assert run_notification_tasks() == ["sent"]
    assert [m.to for m in mail.outbox] == [[EMAIL]]


def test_merging_into_a_published_claim_tells_the_tipster_at_once(team, tip, django_capture_on_commit_callbacks):
    done = claim_in_state(ClaimStatus.PUBLISHED, team)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.claim_merge(team.editor, tip.claim.pk, done.pk)
    assert run_notification_tasks() == ["sent"]
    assert done.verdict.slug in mail.outbox[0].body


def test_a_tip_repeating_a_merged_claim_joins_the_claim_it_was_merged_into(team, tip, target):
    workflow.claim_merge(team.editor, tip.claim.pk, target.pk)
    again = tip_submit({"text": "They say the stadium cost 900 million."}, channel=TipChannel.API)
    assert again.tip.claim == target


def test_the_workspace_shows_tips_contacts_to_staff_only_and_merges(client, team, tip, target):
    client.force_login(team.assignee)  # a fact-checker: not staff
    page = client.get(reverse("reviews:claim", args=[tip.claim.pk])).content.decode()
    assert tip.tip.reference in page and EMAIL not in page and 'value="merge"' not in page
    refused = client.post(reverse("reviews:claim", args=[tip.claim.pk]), {"action": "merge", "into": target.pk})
    assert refused.status_code == 403

    client.force_login(team.editor)
    page = client.get(reverse("reviews:claim", args=[tip.claim.pk])).content.decode()
    assert EMAIL in page and 'value="merge"' in page and 'for="merge-into"' in page
    response = client.post(reverse("reviews:claim", args=[tip.claim.pk]), {"action": "merge", "into": f"#{target.pk}"})
    assert response.status_code == 302 and response["Location"] == reverse("reviews:claim", args=[target.pk])
    assert Tip.objects.get().claim == target
    assert "merged from claim" in client.get(reverse("reviews:claim", args=[target.pk])).content.decode()


def test_anonymous_merge_in_the_ui_goes_to_log_in(client, tip, target):
    response = client.post(reverse("reviews:claim", args=[tip.claim.pk]), {"action": "merge", "into": target.pk})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Tip.objects.get().claim_id == tip.claim.pk


def test_contacts_never_appear_in_public_pages_api_exports_feeds_or_webhooks(
    client, team, tip, messaging, settings, django_capture_on_commit_callbacks
):
    settings.FETCH_ALLOWLIST = ["127.0.0.1"]
    key, _ = api_key_create(name="partner", scopes=["webhooks"])
    webhooks.webhook_create(key=key, url="http://127.0.0.1:9/hook", events=["verdict.published"])
    assert (
        post_telegram(client, telegram_update(7001, text="They say the stadium cost 900 million!")).status_code == 200
    )
    telegram_tip = Tip.objects.get(channel=TipChannel.TELEGRAM)
    workflow.claim_merge(team.editor, telegram_tip.claim.pk, tip.claim.pk)
    claim = publish(team, tip.claim.pk, django_capture_on_commit_callbacks)
    verdict = claim.verdict
    secrets = [EMAIL, "987654321", tip.tip.contact.address_hash]

    reader = APIClient()
    read_key = key_client("read")
    bodies = [
        client.get(reverse("public:verdict", args=[verdict.slug])).content,
        client.get("/fact-checks/").content,
        client.get("/feeds/verdicts.atom").content,
        reader.get("/api/v1/verdicts/").content,
        reader.get(f"/api/v1/verdicts/{verdict.pk}/").content,
        b"".join(reader.get("/api/v1/verdicts/export/?format=csv").streaming_content),
        b"".join(reader.get("/api/v1/verdicts/export/?format=jsonl").streaming_content),
        reader.get("/api/v1/claimreview/").content,
        reader.get("/api/v1/claims:search", {"query": "stadium"}).content,
        read_key.get(f"/api/v1/claims/{claim.pk}/").content,
        read_key.get("/api/v1/claims/").content,
        repr(list(WebhookEvent.objects.values_list("data", flat=True))).encode(),
    ]
    assert all(b"stadium" in body.lower() or b"verdict" in body.lower() for body in bodies)  # they do show the claim
    for body in bodies:
        for secret in secrets:
            assert secret.encode() not in body
