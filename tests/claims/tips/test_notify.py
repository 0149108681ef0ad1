"""Telling tipsters once when the verdict is published: Telegram and WhatsApp replies through the safe fetcher
to a real loopback stand-in for the platform, and e-mail; merged tips and repeated publication events."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from claims.choices import TipChannel, TipNotificationStatus
from claims.models import Tip, TipContact, TipNotification
from claims.tips import notify
from claims.tips.services import tip_contacts_purge, tip_submit
from reviews import workflow
from tests.claims.servers import Reply
from tests.claims.tips.helpers import publish, run_notification_tasks
from tests.claims.tips.test_inbound import post_telegram, post_whatsapp, telegram_update, whatsapp_payload
from tests.reviews.desk import published_correction

pytestmark = pytest.mark.django_db
OK = Reply(200, {"Content-Type": "application/json"}, b'{"ok":true,"result":{"message_id":9}}')
TELEGRAM_PATH = "/bot123456:test-token/sendMessage"


@pytest.fixture
def platform(server, allow_loopback, messaging):
    """The loopback server stands in for both platforms; the fetcher's allow-list lets it be reached."""
    messaging.TELEGRAM_API_BASE = server.url("").rstrip("/")
    messaging.WHATSAPP_API_BASE = server.url("/v21.0").rstrip("/")
    server.route(TELEGRAM_PATH, OK)
    server.route(
        "/v21.0/1098765/messages", Reply(200, {"Content-Type": "application/json"}, b'{"messages":[{"id":"x"}]}')
    )
    return server


def test_a_telegram_tipster_gets_exactly_one_reply_even_when_the_task_runs_twice_and_corrections_follow(
    client, team, platform, django_capture_on_commit_callbacks
):
    assert post_telegram(client, telegram_update()).status_code == 200
    tip = TipContact.objects.get().tip
    claim = publish(team, tip.claim_id, django_capture_on_commit_callbacks)

    assert run_notification_tasks() == ["sent"]
    assert run_notification_tasks() == ["sent"]  # the second run finds it sent and sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        published_correction(team.chief, team.editor, claim.pk, {"analysis": "No, and here is why."}, "Typo.")
        published_correction(team.chief, team.editor, claim.pk, {"summary": "It is really not so."}, "Clearer.")
    notify.tip_notifications_sweep(now=timezone.now() + timedelta(hours=1))
    run_notification_tasks()

    requests = [r for r in platform.requests if r.path == TELEGRAM_PATH]
    assert len(requests) == 1
    body = json.loads(requests[0].body)
    assert body["chat_id"] == 987654321
    assert tip.reference in body["text"] and f"/fact-checks/{claim.verdict.slug}/" in body["text"]
    notification = TipNotification.objects.get()
    assert notification.status == TipNotificationStatus.SENT and notification.attempts == 1
    assert notification.verdict_url.endswith(f"/fact-checks/{claim.verdict.slug}/")


def test_a_whatsapp_tipster_gets_one_reply_with_the_access_token(
    client, team, platform, django_capture_on_commit_callbacks
):
    assert post_whatsapp(client, whatsapp_payload()).status_code == 200
    tip = TipContact.objects.get().tip
    publish(team, tip.claim_id, django_capture_on_commit_callbacks)
    run_notification_tasks()
    run_notification_tasks()
    [request] = [r for r in platform.requests if r.path == "/v21.0/1098765/messages"]
    assert request.headers["authorization"] == "Bearer wa-access-token"
    body = json.loads(request.body)
    assert body["to"] == "15551234567" and body["type"] == "text" and tip.reference in body["text"]["body"]


def test_a_platform_failure_is_retried_then_sent_once(client, team, platform, django_capture_on_commit_callbacks):
    answers = iter([Reply(502, {"Content-Type": "text/plain"}, b"bad gateway"), OK])
    platform.route(TELEGRAM_PATH, lambda request: next(answers))
    assert post_telegram(client, telegram_update()).status_code == 200
    publish(team, TipContact.objects.get().tip.claim_id, django_capture_on_commit_callbacks)
    notification = TipNotification.objects.get()

    first = notify.tip_notification_send(notification.pk)
    assert first.outcome == "retry" and first.retry_in > 0
    assert notify.tip_notification_send(notification.pk).outcome == "early"  # not before its time
    later = timezone.now() + timedelta(minutes=5)
    assert notify.tip_notification_send(notification.pk, now=later).outcome == "sent"
    assert notify.tip_notification_send(notification.pk, now=later).outcome == "sent"
    assert len([r for r in platform.requests if r.path == TELEGRAM_PATH]) == 2
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.error) == (TipNotificationStatus.SENT, 2, "")


def test_a_refused_message_is_given_up_not_retried(client, team, platform, django_capture_on_commit_callbacks):
    platform.route(
        TELEGRAM_PATH, Reply(403, {"Content-Type": "application/json"}, b'{"ok":false,"description":"blocked"}')
    )
    assert post_telegram(client, telegram_update()).status_code == 200
    publish(team, TipContact.objects.get().tip.claim_id, django_capture_on_commit_callbacks)
    assert run_notification_tasks() == ["failed"]
    notification = TipNotification.objects.get()
    assert notification.status == TipNotificationStatus.FAILED and "HTTP 403" in notification.error


def test_the_platform_is_reached_only_through_the_safe_fetcher(
    client, team, server, messaging, django_capture_on_commit_callbacks
):
    """Without the allow-list a loopback platform is refused, as any private address is."""
    messaging.TELEGRAM_API_BASE = server.url("").rstrip("/")
    server.route(TELEGRAM_PATH, OK)
    assert post_telegram(client, telegram_update()).status_code == 200
    publish(team, TipContact.objects.get().tip.claim_id, django_capture_on_commit_callbacks)
    assert run_notification_tasks() == ["failed"]
    assert not server.requests
    assert TipNotification.objects.get().error.startswith(("port_not_allowed", "private_address"))


def test_an_email_tipster_is_told_once_across_merged_tips_and_corrections(team, django_capture_on_commit_callbacks):
    first = tip_submit(
        {"text": "The council spent 2 million on one roundabout.", "email": "Reader@example.org"},
        channel=TipChannel.WEB,
    )
    second = tip_submit(
        {"text": "A roundabout cost our council two million!", "email": "reader@EXAMPLE.org"}, channel=TipChannel.API
    )
    other = tip_submit(
        {"text": "Council: 2m for a roundabout?", "email": "someone.else@example.org"}, channel=TipChannel.WEB
    )
    workflow.claim_merge(team.editor, second.claim.pk, first.claim.pk)
    workflow.claim_merge(team.editor, other.claim.pk, first.claim.pk)
    claim = publish(team, first.claim.pk, django_capture_on_commit_callbacks)
    run_notification_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        published_correction(team.chief, team.editor, claim.pk, {"analysis": "More detail."}, "Added a source.")
    run_notification_tasks()

    assert sorted(message.to[0].lower() for message in mail.outbox) == [
        "reader@example.org",
        "someone.else@example.org",
    ]
    [message] = [m for m in mail.outbox if m.to[0].lower() == "reader@example.org"]
    assert message.subject == "The claim you sent us has been checked"
    assert f"/fact-checks/{claim.verdict.slug}/" in message.body and first.tip.reference in message.body
    assert TipNotification.objects.filter(status=TipNotificationStatus.SENT).count() == 2


def test_a_tip_repeating_an_already_published_claim_is_answered_at_once(
    team, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = tip_submit({"text": published.text, "email": "late@example.org"}, channel=TipChannel.WEB)
    assert result.tip.claim == published
    assert run_notification_tasks() == ["sent"]
    assert [m.to for m in mail.outbox] == [["late@example.org"]]


def test_a_retracted_verdict_is_not_announced(team, django_capture_on_commit_callbacks):
    result = tip_submit(
        {"text": "The old bridge is closing in June.", "email": "r@example.org"}, channel=TipChannel.WEB
    )
    publish(team, result.claim.pk, django_capture_on_commit_callbacks)
    workflow.verdict_retract(team.chief, result.claim.pk, "Wrong claim.")
    assert run_notification_tasks() == ["failed"]
    assert not mail.outbox


def test_retention_deletes_expired_contacts_idempotently(team, settings, django_capture_on_commit_callbacks):
    settings.TIP_CONTACT_RETENTION_DAYS = 30
    old = tip_submit({"text": "Old tip: 5 schools closed.", "email": "old@example.org"}, channel=TipChannel.WEB)
    new = tip_submit({"text": "New tip: 6 schools closed.", "email": "new@example.org"}, channel=TipChannel.WEB)
    TipContact.objects.filter(tip=old.tip).update(
        created_at=timezone.now() - timedelta(days=31), expires_at=timezone.now() - timedelta(days=1)
    )
    assert tip_contacts_purge() == 1
    assert tip_contacts_purge() == 0
    assert list(TipContact.objects.values_list("address", flat=True)) == ["new@example.org"]
    assert TipContact.objects.get().expires_at > timezone.now() + timedelta(days=29)
    # A shorter retention applies to the contacts already kept.
    TipContact.objects.update(created_at=timezone.now() - timedelta(days=10))
    settings.TIP_CONTACT_RETENTION_DAYS = 7
    assert tip_contacts_purge() == 1 and not TipContact.objects.exists()
    # The tip itself stays; a verdict published later has nobody left to tell.
    publish(team, old.claim.pk, django_capture_on_commit_callbacks)
    assert not TipNotification.objects.filter(claim=old.claim).exists()
    assert set(Tip.objects.values_list("pk", flat=True)) == {old.tip.pk, new.tip.pk}


def test_contacts_expiring_after_the_notification_was_queued_are_not_told(team, django_capture_on_commit_callbacks):
    result = tip_submit({"text": "Fares rose 15% in April.", "email": "gone@example.org"}, channel=TipChannel.WEB)
    publish(team, result.claim.pk, django_capture_on_commit_callbacks)
    TipContact.objects.update(expires_at=timezone.now())
    tip_contacts_purge()
    assert run_notification_tasks() == ["failed"]
    assert "retention" in TipNotification.objects.get().error and not mail.outbox


def test_the_beat_schedule_runs_the_sweep_and_the_purge():
    from django.conf import settings as live

    tasks = {entry["task"] for entry in live.CELERY_BEAT_SCHEDULE.values()}
    assert {"claims.tasks.tip_contacts_purge", "claims.tasks.tip_notifications_sweep"} <= tasks
