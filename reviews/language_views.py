"""The language switch (every page's header) and a person's language preference (/account/language/)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from factcheck.languages import session_language_set
from reviews.forms import LanguagePreferenceForm
from reviews.languages import preferred_language_of, user_language_set
from reviews.models import Notification


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language`` (a cookie, then back to ``next``); for a signed-in person also their preference."""
    response = set_language(request)
    code = request.POST.get("language", "")
    if request.user.is_authenticated and LanguagePreferenceForm({"language": code}).is_valid() and code:
        user_language_set(request.user, code)
        session_language_set(request, code)
    return response


@login_required
def account_language(request: HttpRequest) -> HttpResponse:
    form = LanguagePreferenceForm(request.POST or None, initial={"language": preferred_language_of(request.user)})
    if request.method == "POST" and form.is_valid():
        code = user_language_set(request.user, form.cleaned_data["language"])
        session_language_set(request, code or None)
        response = redirect("reviews:account-language")
        if code:
            messages.success(request, _("Your language is saved: the desk speaks it from now on, on every device."))
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                code,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        else:
            # From this answer on the browser decides: drop the switch's cookie, say so in the browser's language.
            request.COOKIES.pop(settings.LANGUAGE_COOKIE_NAME, None)
            translation.activate(translation.get_language_from_request(request))
            messages.success(request, _("The desk follows your browser's language again."))
            response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH)
        return response
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    status = 400 if form.errors else 200
    return render(request, "reviews/account_language.html", {"form": form, "unread_count": unread}, status=status)
