"""A Telegram tip is answered once by a real Celery worker when its verdict is published (and corrected)."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from claims.choices import TipNotificationStatus
from claims.models import Tip, TipNotification
from reviews import workflow
from tests.claims.servers import LoopbackServer, Reply
from tests.conftest import celery_worker_args, wait_until
from tests.reviews.desk import desk, published_correction, ratings_ensure

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
TOKEN = "4242:e2e-token"
SECRET = "e2e-telegram-secret"


def test_a_worker_replies_exactly_once_to_a_telegram_tipster(settings, publish_to, start_process, redis_queue_clean):
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    ratings_ensure()
    team = desk()
    update = {
        "update_id": 91001,
        "message": {
            "message_id": 7,
            "chat": {"id": 5550001, "type": "private"},
            "from": {"id": 5550001, "language_code": "en"},
            "text": "Is it true that the metro carried 2 billion passengers last year?",
        },
    }
    with LoopbackServer() as telegram:
        telegram.route(f"/bot{TOKEN}/sendMessage", Reply(200, {"Content-Type": "application/json"}, b'{"ok":true}'))
        publish_to()
        worker = start_process(
            "worker", celery_worker_args(), TELEGRAM_API_BASE=telegram.url("").rstrip("/"), TELEGRAM_BOT_TOKEN=TOKEN
        )
        worker.wait_for_log("ready.", timeout=30)

        web = Client()
        for _ in range(2):  # Telegram redelivers: still one tip
            response = web.post(
                "/inbound/telegram/",
                json.dumps(update),
                content_type="application/json",
                HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
            )
            assert response.status_code == 200
        claim_id = Tip.objects.get().claim_id

        workflow.claim_assign(team.chief, claim_id, team.assignee)
        workflow.verdict_save_draft(
            team.assignee, claim_id, {"rating": "false", "summary": "No.", "analysis": "Because."}
        )
        workflow.review_submit(team.assignee, claim_id)
        workflow.review_approve(team.chief, claim_id)  # on_commit: the notification goes to the worker

        def replied() -> bool:
            return TipNotification.objects.filter(status=TipNotificationStatus.SENT).exists()

        wait_until(replied, timeout=60, message=f"no reply sent:\n{worker.log()[-3000:]}")
        published_correction(team.chief, team.editor, claim_id, {"analysis": "Because, with a source."}, "Source.")
        time.sleep(2)  # a second reply would arrive now
        requests = [r for r in telegram.requests if r.path.endswith("/sendMessage")]

    assert len(requests) == 1
    body = json.loads(requests[0].body)
    assert body["chat_id"] == 5550001 and "/fact-checks/" in body["text"]
    assert TipNotification.objects.get().attempts == 1
