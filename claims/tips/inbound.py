"""Tips sent by message: Telegram bot updates and WhatsApp Business Cloud API webhooks.

Both platforms call us; each call is authenticated before anything is read (Telegram: the secret
token header set with ``setWebhook``; WhatsApp: the HMAC-SHA256 signature of the raw body with the
app secret), compared in constant time. Every text message becomes a tip through ``tip_submit``,
idempotent on the platform's own id (a redelivered update creates nothing). The sender's id is
kept as the tip's private contact, so the reply goes back to them when the verdict is published.
A message that cannot become a tip (a sticker, a bot command, text that fails the tip rules, a
sender over the rate limit) is acknowledged and dropped: the platforms would otherwise redeliver it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import serializers

from claims.choices import ContactKind, TipChannel
from claims.intake.validation import InvalidInput, validate_language
from claims.models import Tip
from claims.tips.limits import tip_rate_refused
from claims.tips.services import TipResult, tip_submit
from claims.tips.validation import usable_links

logger = logging.getLogger(__name__)

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
WHATSAPP_SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_BODY_BYTES = 256 * 1024  # a Telegram update or a WhatsApp notification is a few KiB
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


class InboundRefused(Exception):
    """The call is not from the platform (or not for us): answer ``status`` and read nothing."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class InboundDisabled(Exception):
    """The channel is not configured: the endpoint does not exist (404)."""


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def default_language() -> str:
    return settings.LANGUAGE_CODE.split("-")[0] or "en"


def links_in(text: str) -> list[str]:
    return [match.group(0).rstrip(_TRAILING) for match in _URL.finditer(text)]


def _language(code: Any) -> str:
    """The sender's language tag when it is a valid one, else the desk's."""
    if isinstance(code, str) and code:
        try:
            return validate_language(code)
        except serializers.ValidationError:
            pass
    return default_language()


def _receive(
    text: str, *, channel: str, kind: str, sender: str, external_id: str, links: list[str], language: str
) -> TipResult | None:
    if Tip.objects.filter(external_id=external_id).exists():
        return TipResult(tip=None)  # redelivered: neither stored again nor counted
    if (wait := tip_rate_refused(f"{kind}:{sender}")) is not None:
        logger.warning("%s tip %s dropped: sender over the tip rate limit (retry in %ss)", channel, external_id, wait)
        return None
    try:
        return tip_submit(
            {"text": text, "language": language},
            channel=channel,
            contact=(kind, sender),
            external_id=external_id,
            links=usable_links(links),
        )
    except InvalidInput as exc:
        logger.info("%s message %s is not a tip: %s", channel, external_id, exc.fields)
        return None


# --- Telegram ----------------------------------------------------------------------------------


def telegram_authenticate(headers: Mapping[str, str]) -> None:
    """Raise unless the request carries the bot's webhook secret (404 while none is configured)."""
    secret = settings.TELEGRAM_WEBHOOK_SECRET
    if not secret:
        raise InboundDisabled
    given = headers.get(TELEGRAM_SECRET_HEADER)
    if not given:
        raise InboundRefused(401, "The secret token header is missing.")
    if not _same(given, secret):
        raise InboundRefused(403, "The secret token is wrong.")


def _utf16_slice(text: str, offset: int, length: int) -> str:
    """Telegram counts entity offsets in UTF-16 code units."""
    encoded = text.encode("utf-16-le")
    return encoded[2 * offset : 2 * (offset + length)].decode("utf-16-le", errors="ignore")


def telegram_links(text: str, entities: Any) -> list[str]:
    found = []
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, dict):
            continue
        if entity.get("type") == "text_link" and isinstance(entity.get("url"), str):
            found.append(entity["url"])
        elif entity.get("type") == "url":
            offset, length = entity.get("offset"), entity.get("length")
            if isinstance(offset, int) and isinstance(length, int) and offset >= 0 and length > 0:
                found.append(_utf16_slice(text, offset, length))
    return found + [url for url in links_in(text) if url not in found]


def _is_command(text: str, entities: Any) -> bool:
    if not text.startswith("/"):
        return False
    return any(
        isinstance(e, dict) and e.get("type") == "bot_command" and e.get("offset") == 0
        for e in (entities if isinstance(entities, list) else [])
    )


def telegram_update_receive(update: Any) -> TipResult | None:
    """A Telegram ``Update``: its message (text, or a caption with its links) becomes a tip."""
    if not isinstance(update, dict):
        return None
    update_id, message = update.get("update_id"), update.get("message")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not isinstance(message, dict):
        return None  # edits, channel posts, callbacks…: not tips
    chat = message.get("chat")
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    if not isinstance(chat_id, int) or isinstance(chat_id, bool):
        return None
    if isinstance(message.get("text"), str):
        text, entities = message["text"], message.get("entities")
    elif isinstance(message.get("caption"), str):
        text, entities = message["caption"], message.get("caption_entities")
    else:
        return None
    if _is_command(text, entities):
        return None  # /start and friends
    sender = message.get("from")
    language = sender.get("language_code") if isinstance(sender, dict) else None
    return _receive(
        text,
        channel=TipChannel.TELEGRAM,
        kind=ContactKind.TELEGRAM,
        sender=str(chat_id),
        external_id=f"telegram:{update_id}",
        links=telegram_links(text, entities),
        language=_language(language),
    )


# --- WhatsApp ----------------------------------------------------------------------------------


def whatsapp_subscription_verify(params: Mapping[str, str]) -> str:
    """Meta's webhook check: ``hub.mode=subscribe`` with our verify token; answer ``hub.challenge``."""
    token = settings.WHATSAPP_VERIFY_TOKEN
    if not token:
        raise InboundDisabled
    if params.get("hub.mode") != "subscribe" or not _same(params.get("hub.verify_token", ""), token):
        raise InboundRefused(403, "The verify token is wrong.")
    return params.get("hub.challenge", "")


def whatsapp_authenticate(body: bytes, headers: Mapping[str, str]) -> None:
    """Raise unless ``X-Hub-Signature-256`` is ``sha256=`` + HMAC-SHA256 of the raw body with the app secret."""
    secret = settings.WHATSAPP_APP_SECRET
    if not secret:
        raise InboundDisabled
    given = headers.get(WHATSAPP_SIGNATURE_HEADER, "")
    if not given:
        raise InboundRefused(401, "The signature header is missing.")
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    if not _same(given.strip().lower(), expected):
        raise InboundRefused(403, "The signature does not match the body.")


def _whatsapp_text(message: dict) -> str | None:
    kind = message.get("type")
    if kind == "text" and isinstance(message.get("text"), dict):
        body = message["text"].get("body")
        return body if isinstance(body, str) else None
    if kind in ("image", "video", "document") and isinstance(message.get(kind), dict):
        caption = message[kind].get("caption")
        return caption if isinstance(caption, str) else None
    return None


def whatsapp_payload_receive(payload: Any) -> list[TipResult]:
    """A WhatsApp ``messages`` webhook: each text message (or captioned media) becomes a tip."""
    results: list[TipResult] = []
    entries = payload.get("entry") if isinstance(payload, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value")
            messages = value.get("messages") if isinstance(value, dict) else None
            for message in messages if isinstance(messages, list) else []:
                if not isinstance(message, dict):
                    continue
                text, wa_id, message_id = _whatsapp_text(message), message.get("from"), message.get("id")
                if text is None or not isinstance(wa_id, str) or not isinstance(message_id, str) or not message_id:
                    continue  # statuses, reactions, locations…: not tips
                result = _receive(
                    text,
                    channel=TipChannel.WHATSAPP,
                    kind=ContactKind.WHATSAPP,
                    sender=wa_id[:64],
                    external_id=f"whatsapp:{message_id[:200]}",
                    links=links_in(text),
                    language=default_language(),
                )
                if result is not None:
                    results.append(result)
    return results
