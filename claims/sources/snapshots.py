"""Showing a preserved copy safely: never run the page's scripts, never load its trackers."""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.utils.html import escape
from lxml import html as lxml_html
from lxml_html_clean import Cleaner

from claims.models import Snapshot
from claims.sources.extraction import HTML_TYPES, decode_body

# The browser refuses scripts, plugins, forms, frames and every network load.
SANDBOX_CSP = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)

# lxml refuses a str that still carries an XML declaration with an encoding (common on XHTML pages).
_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*\?>")

_cleaner = Cleaner(
    scripts=True,
    javascript=True,
    comments=True,
    style=False,
    inline_style=False,
    links=True,
    meta=True,
    page_structure=False,
    processing_instructions=True,
    embedded=True,
    frames=True,
    forms=True,
    annoying_tags=True,
    remove_unknown_tags=False,
    safe_attrs_only=True,
    # <base href> would point every relative link of the copy at another site.
    kill_tags=frozenset({"base"}),
)


def sanitized_html(snapshot: Snapshot) -> str:
    text = _XML_DECLARATION_RE.sub("", decode_body(snapshot.raw, snapshot.charset or None), count=1)
    if not text.strip():
        return ""
    try:
        document = lxml_html.document_fromstring(text)
    except Exception:  # unparseable markup is shown as text instead
        return ""
    cleaned = _cleaner.clean_html(document)
    return lxml_html.tostring(cleaned, encoding="unicode", doctype="<!DOCTYPE html>")


def _banner(snapshot: Snapshot) -> str:
    return (
        '<div style="font:14px sans-serif;background:#fff3cd;color:#000;padding:8px;border-bottom:1px solid #999">'
        f"Archived copy of {escape(snapshot.final_url)} fetched {snapshot.fetched_at:%Y-%m-%d %H:%M UTC} "
        f"(sha256 {snapshot.sha256[:12]}…). Scripts and external resources are disabled.</div>"
    )


def snapshot_response(snapshot: Snapshot, view: str = "html") -> HttpResponse:
    """An HTTP response showing a snapshot as sanitised HTML, extracted text, or a raw download."""
    if view == "raw":
        response = HttpResponse(snapshot.raw, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="snapshot-{snapshot.source_id}-{snapshot.pk}.bin"'
    elif view == "html" and snapshot.content_type in HTML_TYPES and (body := sanitized_html(snapshot)):
        head_end = body.find(">", body.lower().find("<body")) + 1 if "<body" in body.lower() else 0
        body = body[:head_end] + _banner(snapshot) + body[head_end:]
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
    else:
        text = snapshot.text or ("" if snapshot.content_type == "application/pdf" else decode_body(snapshot.raw, None))
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response
