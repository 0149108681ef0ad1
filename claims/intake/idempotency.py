"""``Idempotency-Key``: a retried request gets the first response instead of a second effect."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from claims.models import IdempotencyRecord

MAX_KEY_LENGTH = 255
KEEP_FOR = timedelta(days=7)


class IdempotencyKeyReused(Exception):
    """The same key was sent before with a different request body."""


def request_fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def run_once(owner: str, key: str, fingerprint: str, action: Callable[[], tuple[int, Any]]) -> tuple[int, Any, bool]:
    """Run ``action`` once per (owner, key); return (status, body, replayed).

    The record is written in the same transaction as the action's effects, so a
    crash leaves neither; a concurrent duplicate waits on the unique index and
    then replays the winner's response.
    """
    expired_before = timezone.now() - KEEP_FOR
    for _ in range(2):
        record = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if record is not None and record.created_at < expired_before:
            # Forgotten, as the daily purge would have: only then is there anything to delete.
            IdempotencyRecord.objects.filter(pk=record.pk, created_at__lt=expired_before).delete()
            record = None
        if record is not None:
            if record.request_hash != fingerprint:
                raise IdempotencyKeyReused(key)
            return record.response_status, record.response_body, True
        try:
            with transaction.atomic():
                status, body = action()
                IdempotencyRecord.objects.create(
                    owner=owner, key=key, request_hash=fingerprint, response_status=status, response_body=body
                )
            return status, body, False
        except IntegrityError:
            continue  # a concurrent request with the same key won; replay its response
    raise RuntimeError("idempotency record vanished while replaying")


def records_purge() -> int:
    return IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()[0]
