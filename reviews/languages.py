"""A person's preferred language: stored on their reviewer profile, applied from log-in on."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest

from factcheck.languages import session_language_set, supported_language
from reviews.models import Reviewer


def language_of(user: AbstractBaseUser | None) -> str:
    """The language to write to this person in (notifications, e-mails): their preference, else the desk's default."""
    reviewer = Reviewer.objects.filter(user=user).only("preferred_language").first() if user is not None else None
    return supported_language(reviewer.preferred_language if reviewer else None) or settings.LANGUAGE_CODE


def preferred_language_of(user: AbstractBaseUser) -> str:
    """The person's own choice ("" when they follow their browser)."""
    reviewer = Reviewer.objects.filter(user=user).only("preferred_language").first()
    return supported_language(reviewer.preferred_language) or "" if reviewer else ""


def user_language_set(user: AbstractBaseUser, code: str) -> str:
    """Store the person's preferred language ("" to follow the browser); refuses a language the desk does not ship."""
    code = (code or "").strip()
    if code and code not in dict(settings.LANGUAGES):
        raise ValueError(f"Unknown language {code!r}: choose one of {', '.join(dict(settings.LANGUAGES))}.")
    Reviewer.objects.update_or_create(user=user, defaults={"preferred_language": code})
    return code


def on_user_logged_in(sender, request: HttpRequest | None, user: AbstractBaseUser, **kwargs) -> None:
    """From log-in on, the person's own language beats whatever their browser asks for (see factcheck.languages)."""
    if request is not None:
        session_language_set(request, preferred_language_of(user) or None)
