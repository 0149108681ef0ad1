"""The input rules of a tip, shared by the form, the API and the messaging channels.

A tip is plain text: markup is dropped (tags removed, with the content of script and style
elements), never stored. Its link must be one the safe fetcher would fetch: a private or loopback
address is refused here, with the fetcher's own reason, rather than stored to be blocked later.
"""

from __future__ import annotations

import html
import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from claims.intake.validation import (
    MAX_TEXT,
    InvalidInput,
    StrictInput,
    TextField,
    error_messages,
    validate_http_url,
    validate_language,
)
from claims.normalize import clean_claim_text, has_visible_text
from claims.sources.fetching import FetchRefused, check_url

MAX_EMAIL = 254
MAX_LINKS = 5  # links of one tip cited as sources (a message may carry several)
# The host does not resolve now: not a policy refusal. The fetcher decides when it fetches (and blocks
# a name that then resolves to a private address, as for every source).
_UNRESOLVED = frozenset({"dns_not_found", "dns_temporary"})
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[a-zA-Z!][^>]*>")


def plain_text(value: str) -> str:
    """``value`` without markup: tags (and script/style content) removed, entities of markup decoded."""
    if not _TAG.search(value):
        return value
    return html.unescape(strip_tags(_SCRIPT_OR_STYLE.sub(" ", value)))


def validate_tip_url(value: str) -> str:
    """A well-formed http(s) URL that the safe fetcher would not refuse (private, loopback, odd ports…)."""
    url = validate_http_url(value)
    try:
        check_url(url)
    except FetchRefused as exc:
        if exc.code not in _UNRESOLVED:
            raise serializers.ValidationError(
                _("This link cannot be used: %(reason)s") % {"reason": exc.reason}
            ) from None
    return url


def usable_links(urls: list[str]) -> list[str]:
    """The links of a message that may be cited, in order, without repeats, at most ``MAX_LINKS``."""
    kept: list[str] = []
    for url in urls:
        try:
            url = validate_tip_url(url)
        except serializers.ValidationError:
            continue
        if url not in kept:
            kept.append(url)
        if len(kept) == MAX_LINKS:
            break
    return kept


class TipInput(StrictInput):
    """What a reader may send: what was said or shown, where it was seen, how to reach them, its language."""

    text = TextField(
        trim_whitespace=False,
        allow_blank=True,
        help_text=f"What was said or shown, as plain text (markup is removed), up to {MAX_TEXT} characters.",
    )
    url = TextField(required=False, allow_blank=True, default="", help_text="Where it was seen (http or https).")
    email = TextField(
        required=False,
        allow_blank=True,
        default="",
        help_text="To be told once when it has been checked; seen only by the desk's staff and deleted after a while.",
    )
    language = TextField(
        required=False, default="en", max_length=35, help_text="BCP 47 language tag of the text (en, es, pt-BR)."
    )

    def validate_text(self, value: str) -> str:
        cleaned = clean_claim_text(plain_text(value))
        if not has_visible_text(cleaned):
            raise serializers.ValidationError(_("Tell us what was said or shown."))
        if len(cleaned) > MAX_TEXT:
            raise serializers.ValidationError(
                _("A tip is limited to %(limit)d characters (this one has %(count)d).")
                % {"limit": MAX_TEXT, "count": len(cleaned)}
            )
        return cleaned

    def validate_url(self, value: str) -> str:
        return validate_tip_url(value) if value.strip() else ""

    def validate_email(self, value: str) -> str:
        value = value.strip()
        if not value:
            return ""
        if len(value) > MAX_EMAIL:
            raise serializers.ValidationError(
                _("An e-mail address has at most %(limit)d characters.") % {"limit": MAX_EMAIL}
            )
        try:
            validate_email(value)
        except DjangoValidationError:
            raise serializers.ValidationError(_("Enter a valid e-mail address, or leave it empty.")) from None
        return value

    def validate_language(self, value: str) -> str:
        return validate_language(value)


def tip_validate(data: Any) -> dict[str, Any]:
    """Validated, normalised tip input, or ``InvalidInput`` naming the fields."""
    serializer = TipInput(data=data)
    if not serializer.is_valid():
        raise InvalidInput(error_messages(serializer.errors))
    return dict(serializer.validated_data)
