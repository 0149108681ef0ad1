"""Which language a page is served in.

In order: the verdict's own language on its public page (``reviews.public``), a signed-in person's
preference (kept in their session from log-in on: this middleware), the language switch's cookie,
the browser's ``Accept-Language`` (both Django's ``LocaleMiddleware``), then ``LANGUAGE_CODE``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

# The session key that holds a signed-in person's preferred language (set at log-in and when they change it).
SESSION_KEY = "preferred_language"


def supported_language(code: str | None) -> str | None:
    """The shipped language that serves ``code`` (``es-MX`` → ``es``), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def session_language_set(request: HttpRequest, code: str | None) -> None:
    """Remember (or forget, with None) the person's language for the rest of their session, from now on."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if code:
        session[SESSION_KEY] = code
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()
    else:
        session.pop(SESSION_KEY, None)


class PreferredLanguageMiddleware:
    """A signed-in person's preferred language beats the cookie and the browser (no query: it is in the session)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        preferred = None
        # Only a request that carries a session cookie can have one (and the others' sessions stay untouched).
        if settings.SESSION_COOKIE_NAME in request.COOKIES and hasattr(request, "session"):
            preferred = supported_language(request.session.get(SESSION_KEY))
        if preferred and preferred != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(preferred)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
