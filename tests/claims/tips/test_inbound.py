"""Tips by message: Telegram updates and WhatsApp Cloud API webhooks, authenticated, idempotent, sender kept private."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from claims.choices import Channel, ContactKind, TipChannel
from claims.models import Claim, Tip, TipContact
from claims.tips.inbound import telegram_links
from tests.claims.tips.conftest import TELEGRAM_SECRET, WHATSAPP_SECRET, WHATSAPP_VERIFY

pytestmark = pytest.mark.django_db
TELEGRAM = "/inbound/telegram/"
WHATSAPP = "/inbound/whatsapp/"


def telegram_update(
    update_id: int = 1001, text: str = "Look: the governor says taxes fell 8% https://news.example.org/tax", **message
):
    body = {
        "update_id": update_id,
        "message": {
            "message_id": 55,
            "date": 1764000000,
            "chat": {"id": 987654321, "type": "private"},
            "from": {"id": 987654321, "is_bot": False, "first_name": "R", "language_code": "es"},
            "text": text,
            "entities": [
                {"type": "url", "offset": text.find("https://"), "length": len("https://news.example.org/tax")}
            ]
            if "https://" in text
            else [],
            **message,
        },
    }
    return body


def post_telegram(client, body, secret: str | None = TELEGRAM_SECRET):
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
    return client.post(TELEGRAM, json.dumps(body), content_type="application/json", **headers)


def test_telegram_is_404_while_no_secret_is_set(client, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    assert post_telegram(client, telegram_update()).status_code == 404
    assert client.get(TELEGRAM).status_code == 404
    assert not Tip.objects.exists()


def test_a_telegram_update_with_the_right_secret_becomes_a_tip(client, messaging):
    response = post_telegram(client, telegram_update())
    assert response.status_code == 200 and response.json() == {"ok": True}
    tip = Tip.objects.get()
    assert tip.channel == TipChannel.TELEGRAM and tip.external_id == "telegram:1001"
    assert tip.claim.channel == Channel.TIP and tip.claim.language == "es"
    assert [c.source.canonical_url for c in tip.claim.citations.all()] == ["https://news.example.org/tax"]
    contact = TipContact.objects.get(tip=tip)
    assert (contact.kind, contact.address) == (ContactKind.TELEGRAM, "987654321")


@pytest.mark.parametrize(("secret", "status"), [(None, 401), ("wrong", 403), ("", 401), (TELEGRAM_SECRET + "x", 403)])
def test_a_wrong_or_missing_telegram_secret_is_refused_and_creates_nothing(client, messaging, secret, status):
    assert post_telegram(client, telegram_update(), secret=secret).status_code == status
    assert not Tip.objects.exists() and not Claim.objects.exists()


def test_a_redelivered_telegram_update_creates_nothing_new(client, messaging):
    assert post_telegram(client, telegram_update()).status_code == 200
    assert post_telegram(client, telegram_update()).status_code == 200
    assert Tip.objects.count() == 1 and TipContact.objects.count() == 1 and Claim.objects.count() == 1


def test_captions_and_text_links_are_read_and_commands_ignored(client, messaging):
    caption = {
        "caption": "🚆 This photo shows the new station",
        "caption_entities": [
            {"type": "text_link", "offset": 2, "length": 4, "url": "https://photos.example.org/station"}
        ],
    }
    update = telegram_update(2002, text="")
    del update["message"]["text"], update["message"]["entities"]
    update["message"].update(caption)
    assert post_telegram(client, update).status_code == 200
    tip = Tip.objects.get()
    assert tip.text == "🚆 This photo shows the new station"
    assert [c.source.canonical_url for c in tip.claim.citations.all()] == ["https://photos.example.org/station"]

    command = telegram_update(2003, text="/start")
    command["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 6}]
    sticker = {"update_id": 2004, "message": {"message_id": 1, "chat": {"id": 5}, "sticker": {"file_id": "x"}}}
    for body in (command, sticker, {"update_id": 2005, "edited_message": {}}, [1, 2], {"update_id": "x"}):
        assert post_telegram(client, body).status_code == 200
    assert Tip.objects.count() == 1


def test_telegram_entity_offsets_count_utf16_units():
    text = "😀😀 see https://a.example.org/x now"
    offset = len("😀😀 see ".encode("utf-16-le")) // 2
    length = len("https://a.example.org/x")
    assert telegram_links(text, [{"type": "url", "offset": offset, "length": length}]) == ["https://a.example.org/x"]


def test_a_private_link_in_a_message_is_dropped_but_the_tip_kept(client, messaging):
    assert (
        post_telegram(
            client, telegram_update(3001, text="Secret memo says rents rose 20% http://10.0.0.5/memo")
        ).status_code
        == 200
    )
    tip = Tip.objects.get()
    assert not tip.claim.citations.exists()


def test_a_sender_over_the_rate_limit_is_dropped(client, messaging, settings, one_window):
    settings.TIP_RATE_PER_ADDRESS = "2/minute"
    for n in range(3):
        assert (
            post_telegram(client, telegram_update(4000 + n, text=f"Rumour {n}: {n} ministers resigned")).status_code
            == 200
        )
    assert Tip.objects.count() == 2


# --- WhatsApp ----------------------------------------------------------------------------------


def whatsapp_payload(
    message_id: str = "wamid.HBgLMTIzNDU2Nzg5MBUCABIYFjNFQjBDRDQ2",
    text: str = "Is it true that the river flooded 300 homes? https://news.example.org/flood",
):
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA_ID",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550001111", "phone_number_id": "1098765"},
                            "contacts": [{"profile": {"name": "Reader"}, "wa_id": "15551234567"}],
                            "messages": [
                                {
                                    "from": "15551234567",
                                    "id": message_id,
                                    "timestamp": "1764000000",
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def signed(body: bytes, secret: str = WHATSAPP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_whatsapp(client, payload, signature: str | None = "valid"):
    body = json.dumps(payload).encode()
    headers = {}
    if signature == "valid":
        headers["HTTP_X_HUB_SIGNATURE_256"] = signed(body)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post(WHATSAPP, body, content_type="application/json", **headers)


def test_the_hub_challenge_verification(client, messaging):
    ok = client.get(
        WHATSAPP, {"hub.mode": "subscribe", "hub.verify_token": WHATSAPP_VERIFY, "hub.challenge": "1158201444"}
    )
    assert ok.status_code == 200 and ok.content == b"1158201444"
    wrong = client.get(WHATSAPP, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert wrong.status_code == 403
    assert client.get(WHATSAPP, {"hub.mode": "unsubscribe", "hub.verify_token": WHATSAPP_VERIFY}).status_code == 403


def test_whatsapp_is_404_while_not_configured(client, settings):
    settings.WHATSAPP_VERIFY_TOKEN = settings.WHATSAPP_APP_SECRET = ""
    assert (
        client.get(WHATSAPP, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}).status_code == 404
    )
    assert post_whatsapp(client, whatsapp_payload(), signature="sha256=00").status_code == 404


def test_a_signed_whatsapp_message_becomes_a_tip(client, messaging):
    response = post_whatsapp(client, whatsapp_payload())
    assert response.status_code == 200
    tip = Tip.objects.get()
    assert tip.channel == TipChannel.WHATSAPP and tip.external_id.startswith("whatsapp:wamid.")
    assert tip.text.startswith("Is it true that the river flooded 300 homes?")
    assert [c.source.canonical_url for c in tip.claim.citations.all()] == ["https://news.example.org/flood"]
    contact = TipContact.objects.get(tip=tip)
    assert (contact.kind, contact.address) == (ContactKind.WHATSAPP, "15551234567")


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1=abc", signed(b"another body")])
def test_an_invalid_whatsapp_signature_creates_nothing(client, messaging, signature):
    response = post_whatsapp(client, whatsapp_payload(), signature=signature)
    assert response.status_code == (401 if signature is None else 403)
    assert not Tip.objects.exists() and not Claim.objects.exists()


def test_a_redelivered_whatsapp_message_creates_nothing_new(client, messaging):
    assert post_whatsapp(client, whatsapp_payload()).status_code == 200
    assert post_whatsapp(client, whatsapp_payload()).status_code == 200
    assert Tip.objects.count() == 1


def test_whatsapp_statuses_and_non_text_messages_are_acknowledged_and_ignored(client, messaging):
    statuses = whatsapp_payload()
    value = statuses["entry"][0]["changes"][0]["value"]
    del value["messages"]
    value["statuses"] = [{"id": "wamid.x", "status": "delivered"}]
    sticker = whatsapp_payload("wamid.sticker")
    sticker["entry"][0]["changes"][0]["value"]["messages"][0] = {
        "from": "1555",
        "id": "wamid.sticker",
        "type": "sticker",
    }
    for payload in (statuses, sticker, {"entry": "nope"}, {}):
        assert post_whatsapp(client, payload).status_code == 200
    assert not Tip.objects.exists()


def test_a_body_that_is_not_json_is_a_400(client, messaging):
    response = client.post(
        WHATSAPP, b"{nope", content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signed(b"{nope")
    )
    assert response.status_code == 400
