"""One input-cleaning rule for every request: control characters are refused, naming the field.

NUL and the other C0 control characters (tab, line feed and carriage return excepted) and DEL
have no place in a claim, a note or a query; PostgreSQL refuses NUL outright, so letting one
through turns a typo into a 500. ``ControlCharactersMiddleware`` checks every query parameter,
every form field and every string of a JSON body before a view runs, and answers 400 naming
the first offending field (the API's error shape under ``/api/``, a plain page elsewhere).
A view that checks row by row instead (the bulk import, where one bad row must not refuse the
others) is marked with ``@checks_control_characters_itself``; its rows meet the same rule in the
intake's fields (``claims.intake.validation``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# How a control character can hide in JSON text: as a \u escape (a raw one is invalid JSON).
_JSON_CONTROL_ESCAPE = re.compile(rb"\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])")
MESSAGE = "Control characters (such as NUL) are not allowed."


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def _strings(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, text) for every key and string in a JSON value: ``claims[3].sources[0].context``."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            name = f"{path}.{key}" if path else str(key)
            yield name, str(key)
            yield from _strings(value, name)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, f"{path}[{index}]")


def first_control_character_field(data: Any) -> str | None:
    """The path of the first key or string of ``data`` holding a control character, if any."""
    for path, text in _strings(data):
        if has_control_characters(text):
            return path or "body"
    return None


def checks_control_characters_itself(view: Callable) -> Callable:
    """Mark a view (or a viewset action) that applies the rule to its input row by row."""
    view.checks_control_characters_itself = True
    return view


def _exempt(view_func: Callable) -> bool:
    if getattr(view_func, "checks_control_characters_itself", False):
        return True
    cls, actions = getattr(view_func, "cls", None), getattr(view_func, "actions", None) or {}
    handlers = [getattr(cls, name, None) for name in actions.values()] if cls is not None else []
    return any(getattr(handler, "checks_control_characters_itself", False) for handler in handlers)


def _body_field(request: HttpRequest) -> str | None:
    content_type = request.content_type or ""
    if content_type == "application/x-www-form-urlencoded" or content_type.startswith("multipart/"):
        for name, values in request.POST.lists():
            if has_control_characters(name) or any(has_control_characters(value) for value in values):
                return name
        return None
    if "json" not in content_type:
        return None
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return None  # the parser refuses it as too large
    body = request.body
    if not _JSON_CONTROL_ESCAPE.search(body):
        return None
    try:
        return first_control_character_field(json.loads(body))
    except ValueError:
        return None  # not JSON: the parser answers 400


def _refusal(request: HttpRequest, field: str) -> HttpResponse:
    message = f"{field}: {MESSAGE}"
    if request.path.startswith("/api/"):
        body = {"error": {"code": "invalid", "message": message, "fields": {field: [MESSAGE]}}}
        return JsonResponse(body, status=400)
    page = f"<!DOCTYPE html><title>Bad request</title><h1>Bad request</h1><p>{escape(message)}</p>"
    return HttpResponse(page, status=400, content_type="text/html; charset=utf-8")


class ControlCharactersMiddleware:
    """Refuse a request carrying control characters in a query parameter, form field or JSON string."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs) -> HttpResponse | None:
        for name, values in request.GET.lists():
            if has_control_characters(name) or any(has_control_characters(value) for value in values):
                return _refusal(request, name)
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and not _exempt(view_func):
            field = _body_field(request)
            if field is not None:
                return _refusal(request, field)
        return None
