"""Conditional GET and page caching for the read API: weak ETags, Last-Modified, 304s, cached bodies.

On PostgreSQL every page of the read API is a function of its address and of
:func:`reviews.published.published_set_version`, which the database bumps in the same
transaction as any change a reader could see. So :func:`page_response` derives the ETag
from (version, address) and answers a matching ``If-None-Match`` with 304 after one
primary-key read, and keeps each rendered body in the cache under (version, address):
a page is built once per change, whoever asks. Elsewhere (SQLite) it builds the page on
every request and validates it by what the view says the page depends on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, parse_http_date_safe
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from factcheck.cache import cache_or
from reviews.published import published_set_version

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


# --- Pages cached by the published-set version ----------------------------------------------

# Bump when a page's rendering changes without a data change, so that cached bodies are not served.
PAGE_CACHE_VERSION = "1"
# Short enough that a crawl through every page does not pin its pages in the cache for long;
# hot pages (page 1, common searches) are rebuilt from the cached per-verdict payloads.
PAGE_CACHE_TIMEOUT = 15 * 60
# Settings that pages show (absolute URLs, the publisher, page sizes).
PAGE_SETTINGS = ("SITE_URL", "ORGANIZATION_NAME", "ORGANIZATION_URL", "ORGANIZATION_LOGO_URL", "API_PAGE_SIZE")


@dataclass(frozen=True)
class Page:
    """A page a view built: its JSON body, and what validates it where there is no published-set version."""

    body: Any
    last_modified: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    etag_parts: tuple = ()  # without them and without a version, the page carries no validators


def page_address(request) -> str:
    """The request's absolute URL with its parameters sorted, the accepted media type and the settings pages show."""
    query = urlencode(sorted(request.query_params.lists()), doseq=True)
    shown = [str(getattr(settings, name, "")) for name in PAGE_SETTINGS]
    media = getattr(request, "accepted_media_type", "")
    return "\x1f".join([request.build_absolute_uri(request.path), query, media, *shown])


def _response(request, page: Page) -> HttpResponse:
    response = Response(page.body, content_type=page.content_type)
    for name, value in page.headers.items():
        response[name] = value
    return response


def page_response(request, build: Callable[[], Page], *, kind: str, cacheable: bool = True) -> HttpResponse:
    """The page ``build`` makes for this request: a 304, a cached body, or a fresh one (then cached).

    ``kind`` names the endpoint; ``cacheable=False`` for pages that change with the clock.
    ``build`` may raise (a 400, a 404): nothing is cached then. It runs only on a cache miss,
    so a 304 or a cached page costs no queryset; a matching ETag can only name an address
    that was once served, so validation inside ``build`` still turns every bad request away.
    """
    version = published_set_version() if cacheable else None
    if version is None:
        page = build()
        response = _response(request, page)
        if not page.etag_parts:
            return response
        current = validator(*page.etag_parts, last_modified=page.last_modified)
        if not_modified(request, current):
            return not_modified_response(current)
        return with_validators(response, current)

    address = page_address(request)
    digest = hashlib.sha256(address.encode()).hexdigest()
    current = validator(kind, version, digest, last_modified=None)
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None and if_none_match.strip() != "*" and not_modified(request, current):
        return not_modified_response(current)  # the cheap path: no cache read, no rows
    renderer = getattr(request, "accepted_renderer", None)
    if not isinstance(renderer, JSONRenderer):  # the browsable API (DEBUG): rendered by DRF each time
        page = build()
        current = Validator(current.etag, page.last_modified)
        return (
            not_modified_response(current)
            if not_modified(request, current)
            else with_validators(_response(request, page), current)
        )
    key = f"api-page:{PAGE_CACHE_VERSION}:{kind}:{version}:{digest}"
    cached = cache_or(lambda: cache.get(key), None, what="API pages")
    if cached is None:
        page = build()
        content = renderer.render(page.body, request.accepted_media_type)
        cached = (content, page.content_type or renderer.media_type, page.last_modified, tuple(page.headers.items()))
        cache_or(lambda: cache.set(key, cached, PAGE_CACHE_TIMEOUT), None, what="API pages")
    content, content_type, last_modified, headers = cached
    current = Validator(current.etag, last_modified)
    if not_modified(request, current):
        return not_modified_response(current)
    response = HttpResponse(content, content_type=content_type)
    for name, value in headers:
        response[name] = value
    return with_validators(response, current)
