"""Conditional GET for the read API: weak ETags, Last-Modified, and 304 before any serialising.

A view computes its validator from one aggregate query (the newest change, the row count
and a checksum of the ids it would show), asks :func:`not_modified` whether the client's
copy is current, and only then loads and renders the rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, parse_http_date_safe

# Bump when the payload's shape changes, so that clients' cached copies stop validating.
PAYLOAD_VERSION = "1"


@dataclass(frozen=True)
class Validator:
    etag: str
    last_modified: datetime | None


def validator(*parts: object, last_modified: datetime | None) -> Validator:
    """A weak ETag over ``parts`` (query, counts, times), and the Last-Modified time."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in (PAYLOAD_VERSION, *parts)).encode()).hexdigest()
    return Validator(etag=f'W/"{digest[:32]}"', last_modified=last_modified)


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def not_modified(request, current: Validator) -> bool:
    """RFC 9110 §13.2.2: If-None-Match (weak comparison) wins; If-Modified-Since counts only without it."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        ours = _opaque(current.etag)
        return any(_opaque(tag) == ours for tag in if_none_match.split(","))
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since and current.last_modified is not None:
        since = parse_http_date_safe(if_modified_since)
        return since is not None and int(current.last_modified.timestamp()) <= since
    return False


def with_validators(response: HttpResponse, current: Validator) -> HttpResponse:
    response["ETag"] = current.etag
    if current.last_modified is not None:
        response["Last-Modified"] = http_date(current.last_modified.timestamp())
    # Revalidate on every use: a verdict may be corrected at any moment.
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    return response


def not_modified_response(current: Validator) -> HttpResponse:
    return with_validators(HttpResponseNotModified(), current)
