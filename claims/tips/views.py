"""Tip pages (public, no account) and the messaging platforms' webhooks. Views parse, call a service, render."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from claims.choices import TipChannel
from claims.intake.validation import MAX_TEXT, InvalidInput
from claims.tips import inbound
from claims.tips.forms import TipForm
from claims.tips.limits import tip_rate_refused
from claims.tips.services import reference_new, tip_submit
from factcheck.input import checks_control_characters_itself
from factcheck.security import client_ip


def _prefill(params) -> dict[str, str]:
    """``/tips/new/?url=…&text=…`` (the bookmarklet) fills the form in."""
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return {
        "text": params.get("text", "")[:MAX_TEXT],
        "url": params.get("url", "")[:2048],
        "language": params.get("language", "")[:35] or language,
    }


def bookmarklet_href() -> str:
    """A ``javascript:`` link that opens our form with the current page and its selected text.

    It runs on other sites, so it only reads the address and the selection and opens our URL
    (no script of ours is loaded there, and none runs on our pages: the CSP stays strict).
    """
    base = json.dumps(settings.SITE_URL + reverse("claims:tip-new"))
    return (
        "javascript:(function(){var s=String(window.getSelection?window.getSelection():'').slice(0,4000);"
        f"window.open({base}+'?url='+encodeURIComponent(location.href)+'&text='+encodeURIComponent(s),"
        "'_blank','noopener');})();"
    )


@require_safe
def tips_help(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "claims/tips/help.html",
        {
            "bookmarklet": bookmarklet_href(),
            "telegram": bool(settings.TELEGRAM_WEBHOOK_SECRET),
            "whatsapp": bool(settings.WHATSAPP_APP_SECRET),
            "retention_days": settings.TIP_CONTACT_RETENTION_DAYS,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def tip_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = TipForm(initial=_prefill(request.GET))
        return render(request, "claims/tips/new.html", {"form": form, "bookmarklet": bookmarklet_href()})
    form = TipForm(request.POST)
    wait = tip_rate_refused(f"ip:{client_ip(request) or 'unknown'}")
    if wait is not None:
        form.is_valid()
        form.add_error(
            None,
            _(
                "Too many tips have come from your address in a short while. Please wait %(seconds)d seconds and send it again."
            )
            % {"seconds": wait},
        )
        response = render(request, "claims/tips/new.html", {"form": form}, status=429)
        response["Retry-After"] = str(wait)
        return response
    if form.is_bot:  # a neutral answer, and nothing stored
        return render(request, "claims/tips/thanks.html", {"reference": reference_new(), "checked": []})
    form.is_valid()  # every field is optional text: this only collects the strings
    try:
        result = tip_submit(form.to_tip(), channel=TipChannel.WEB, find_checked=True)
    except InvalidInput as exc:
        form.add_service_errors(exc.fields)
        return render(request, "claims/tips/new.html", {"form": form}, status=400)
    context = {
        "reference": result.tip.reference,
        "checked": result.already_checked,
        "email": bool(form.to_tip()["email"]),
    }
    return render(request, "claims/tips/thanks.html", context)


# --- Messaging platforms ------------------------------------------------------------------------


def _json_body(request: HttpRequest) -> object:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > inbound.MAX_BODY_BYTES:
        raise _Refused(413, "The body is too large.")
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise _Refused(400, "The body is not JSON.") from None


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _refusal(status: int, message: str) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


@csrf_exempt
@checks_control_characters_itself  # a message with odd characters is dropped by the tip rules, not refused
def telegram_webhook(request: HttpRequest) -> HttpResponse:
    """Telegram's ``setWebhook`` target: each message update becomes a tip."""
    if not settings.TELEGRAM_WEBHOOK_SECRET:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        inbound.telegram_authenticate(request.headers)
        update = _json_body(request)
    except inbound.InboundDisabled:
        raise Http404 from None
    except (inbound.InboundRefused, _Refused) as exc:
        return _refusal(exc.status, str(exc))
    inbound.telegram_update_receive(update)
    return JsonResponse({"ok": True})


@csrf_exempt
@checks_control_characters_itself
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    """The WhatsApp Cloud API's callback URL: the GET subscription check, and message notifications."""
    try:
        if request.method == "GET":
            challenge = inbound.whatsapp_subscription_verify(request.GET)
            return HttpResponse(challenge, content_type="text/plain; charset=utf-8")
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > inbound.MAX_BODY_BYTES:
            raise _Refused(413, "The body is too large.")
        inbound.whatsapp_authenticate(request.body, request.headers)  # the raw bytes, before any parsing
        payload = _json_body(request)
    except inbound.InboundDisabled:
        raise Http404 from None
    except (inbound.InboundRefused, _Refused) as exc:
        return _refusal(exc.status, str(exc))
    inbound.whatsapp_payload_receive(payload)
    return JsonResponse({"ok": True})
