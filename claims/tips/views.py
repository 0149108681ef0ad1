"""Tip pages (public, no account). Views parse, call a service, render."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from claims.choices import TipChannel
from claims.intake.validation import MAX_TEXT, InvalidInput
from claims.tips.forms import TipForm
from claims.tips.limits import tip_rate_refused
from claims.tips.services import reference_new, tip_submit
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
