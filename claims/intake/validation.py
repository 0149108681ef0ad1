"""The input rules of a claim, shared by every intake channel (API, form, import, admin)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import langcodes
from django.conf import settings
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from claims.choices import Priority
from claims.normalize import canonicalize_url, clean_claim_text, has_visible_text
from factcheck.input import MESSAGE as CONTROL_MESSAGE
from factcheck.input import has_control_characters

MAX_TEXT = 5000
MAX_URL = 2048
MAX_TAGS = 20
MAX_TAG_LENGTH = 50
MAX_CONTEXT = 2000


class InvalidInput(Exception):
    """Input refused; ``fields`` maps each field name to its messages."""

    def __init__(self, fields: Mapping[str, Any], message: str = "The submitted data is not valid."):
        super().__init__(message)
        self.message = message
        self.fields = dict(fields)


def error_messages(errors: Mapping[str, Any]) -> dict[str, list[str]]:
    """Serializer errors as ``{field: [message, ...]}``, the one shape every channel reports.

    Errors of list items (``{"sources": {2: [...]}}``) become messages naming the
    item, counted from 1; errors about the input as a whole go under ``"_"``.
    """

    def messages(detail: Any) -> list[str]:
        if isinstance(detail, Mapping):
            return [
                f"Item {int(index) + 1}: {message}" if str(index).isdigit() else f"{index}: {message}"
                for index, item in detail.items()
                for message in messages(item)
            ]
        if isinstance(detail, (list, tuple)):
            return [message for item in detail for message in messages(item)]
        return [str(detail)]

    return {("_" if name == "non_field_errors" else str(name)): messages(detail) for name, detail in errors.items()}


def validate_http_url(value: str) -> str:
    """A well-formed absolute http(s) URL, trimmed. Reachability is the fetcher's business."""
    value = value.strip()
    if not value:
        raise serializers.ValidationError("Enter a URL.")
    if len(value) > MAX_URL:
        raise serializers.ValidationError(f"URLs are limited to {MAX_URL} characters.")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise serializers.ValidationError("A URL cannot contain spaces or control characters.")
    try:
        parts = urlsplit(value)
        canonicalize_url(value)
    except ValueError as exc:
        raise serializers.ValidationError(f"Enter a valid URL ({exc}).") from exc
    if parts.scheme.lower() not in {"http", "https"}:
        raise serializers.ValidationError("Only http and https URLs are accepted.")
    if not parts.hostname:
        raise serializers.ValidationError("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        # The fetcher refuses them too; and a password has no business in a stored, shown URL.
        raise serializers.ValidationError("URLs with a user name or password are not accepted.")
    return value


class StrictInput(serializers.Serializer):
    """Refuse unknown fields: a misspelt field must not be silently ignored."""

    # Unknown fields are named beside the other errors; the bulk import passes ``ignore_unknown``.

    refuses_unknown_fields = True  # documented as additionalProperties: false

    def to_internal_value(self, data: Any) -> dict:
        unknown = {}
        if isinstance(data, dict) and not self.context.get("ignore_unknown"):
            unknown = {str(key): [gettext_lazy("Unknown field.")] for key in data if key not in self.fields}
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return values


class TextField(serializers.CharField):
    """A CharField that refuses numbers instead of turning them into text, and control characters."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if has_control_characters(data):
            raise serializers.ValidationError(CONTROL_MESSAGE)
        return super().to_internal_value(data)


class HttpUrlField(TextField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", None)
        super().__init__(**kwargs)
        self.validators.append(validate_http_url)

    def to_internal_value(self, data):
        return validate_http_url(super().to_internal_value(data))


class PriorityField(serializers.Field):
    """Accepts ``low|normal|high|urgent`` or 0–3; shown as the name."""

    default_error_messages = {"invalid": "Choose one of: low, normal, high, urgent."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int) and data in Priority.values:
            return data
        if isinstance(data, str):
            lowered = data.strip().lower()
            for value, label in Priority.choices:
                if lowered in {label, str(value)}:
                    return value
        self.fail("invalid")

    def to_representation(self, value):
        return Priority(value).label


class SourceInputField(serializers.Field):
    """A cited source: a URL string, or ``{"url": ..., "context": ...}``."""

    default_error_messages = {"invalid": "Give a URL or an object with a url and an optional context."}

    def to_internal_value(self, data):
        if isinstance(data, str):
            return {"url": validate_http_url(data), "context": ""}
        if isinstance(data, dict) and isinstance(data.get("url"), str):
            context = data.get("context") or ""
            if not isinstance(context, str):
                raise serializers.ValidationError("The context must be text.")
            if has_control_characters(context):
                raise serializers.ValidationError(f"context: {CONTROL_MESSAGE}")
            if len(context) > MAX_CONTEXT:
                raise serializers.ValidationError(f"The context is limited to {MAX_CONTEXT} characters.")
            return {"url": validate_http_url(data["url"]), "context": clean_claim_text(context)}
        self.fail("invalid")

    def to_representation(self, value):
        return value


def validate_language(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 35 or not langcodes.tag_is_valid(value):
        raise serializers.ValidationError("Enter a valid BCP 47 language tag such as en, fr or pt-BR.")
    return langcodes.standardize_tag(value)


class ClaimInput(StrictInput):
    """What a submitter may send for one claim."""

    text = TextField(trim_whitespace=False, allow_blank=True)
    claimant = TextField(max_length=255, required=False, allow_blank=True, default="")
    claim_date = serializers.DateField(required=False, allow_null=True, default=None)
    appeared_at = HttpUrlField(required=False, allow_blank=True, default="")
    language = TextField(max_length=35, required=False, default="en")
    tags = serializers.ListField(
        child=TextField(max_length=MAX_TAG_LENGTH), required=False, default=list, max_length=MAX_TAGS
    )
    priority = PriorityField(required=False, default=Priority.NORMAL)
    sources = serializers.ListField(child=SourceInputField(), required=False, default=list)

    def validate_text(self, value: str) -> str:
        cleaned = clean_claim_text(value)
        if not has_visible_text(cleaned):
            raise serializers.ValidationError("The claim text cannot be empty.")
        if len(cleaned) > MAX_TEXT:
            raise serializers.ValidationError(f"The claim text is limited to {MAX_TEXT} characters ({len(cleaned)}).")
        return cleaned

    def validate_claimant(self, value: str) -> str:
        return clean_claim_text(value)

    def validate_claim_date(self, value: date | None) -> date | None:
        if value is None:
            return None
        if value > date.today() + timedelta(days=1):
            raise serializers.ValidationError("The claim date cannot be in the future.")
        if value.year < 1800:
            raise serializers.ValidationError("The claim date is implausibly old.")
        return value

    def validate_appeared_at(self, value: str) -> str:
        # Stored and published as a URI (``format: uri``): non-ASCII and unsafe characters percent-encoded.
        return iri_to_uri(value.strip()) if value else value

    def validate_language(self, value: str) -> str:
        return validate_language(value)

    def validate_tags(self, value: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for raw in value:
            tag = " ".join(raw.split()).lower()
            if not tag:
                raise serializers.ValidationError("Tags cannot be empty.")
            seen.setdefault(tag, tag)
        return list(seen)

    def validate_sources(self, value: list[dict]) -> list[dict]:
        limit = settings.CLAIM_MAX_SOURCES
        if len(value) > limit:
            raise serializers.ValidationError(f"At most {limit} sources per claim ({len(value)} given).")
        unique: dict[str, dict] = {}
        for item in value:
            canonical = canonicalize_url(item["url"])
            if canonical in unique:
                if item["context"] and not unique[canonical]["context"]:
                    unique[canonical]["context"] = item["context"]
                continue
            unique[canonical] = {**item, "canonical_url": canonical}
        return list(unique.values())
