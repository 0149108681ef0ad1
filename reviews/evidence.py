"""Evidence a verdict relies on: URLs (which join the fetch pipeline) and notes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from claims.intake.validation import validate_http_url
from reviews.errors import InvalidReview

MAX_EVIDENCE = 100


def evidence_validate(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise InvalidReview({"evidence": ["Give a list of URLs or {url, note} objects."]})
    if len(value) > MAX_EVIDENCE:
        raise InvalidReview({"evidence": [f"At most {MAX_EVIDENCE} items."]})
    items: list[dict[str, str]] = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(value):
        url, note = (
            (item, "")
            if isinstance(item, str)
            else (item.get("url"), item.get("note", ""))
            if isinstance(item, dict)
            else (None, "")
        )
        try:
            if not isinstance(url, str) or not isinstance(note, str):
                raise serializers.ValidationError("Give a URL or an object with a url and an optional note.")
            items.append({"url": validate_http_url(url), "note": note.strip()[:2000]})
        except serializers.ValidationError as exc:
            errors[str(index)] = [str(m) for m in exc.detail]
    if errors:
        raise InvalidReview({"evidence": [f"item {i}: {' '.join(m)}" for i, m in errors.items()]})
    return items
