"""Request parsers that refuse oversized bodies before reading them into memory."""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework import exceptions, renderers, status
from rest_framework.parsers import BaseParser
from rest_framework.settings import api_settings
from rest_framework.utils.json import strict_constant as json_strict_constant


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The request body is too large."


def _limit(parser_context) -> int:
    view = (parser_context or {}).get("view")
    action_kwargs = getattr(view, "max_body_bytes", None) if view else None
    return action_kwargs or settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def read_limited(stream, parser_context) -> bytes:
    limit = _limit(parser_context)
    request = (parser_context or {}).get("request")
    length = request.META.get("CONTENT_LENGTH") if request is not None else None
    if length and length.isdigit() and int(length) > limit:
        raise RequestTooLarge(f"The request body is limited to {limit} bytes.")
    data = stream.read(limit + 1) if stream is not None else b""
    if len(data) > limit:
        raise RequestTooLarge(f"The request body is limited to {limit} bytes.")
    return data


class LimitedJSONParser(BaseParser):
    """JSON, read no further than the view's limit.

    Not a ``JSONParser`` subclass on purpose: DRF hands JSONParser subclasses the
    whole of ``request.body``, which Django refuses past DATA_UPLOAD_MAX_MEMORY_SIZE
    with an HTML 400 before this parser could answer 413 (or allow a larger import).
    """

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer
    strict = api_settings.STRICT_JSON

    def parse(self, stream, media_type=None, parser_context=None):
        data = read_limited(stream, parser_context)
        if not data.strip():
            raise exceptions.ParseError("The request body is empty; send a JSON object.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise exceptions.ParseError(f"The request body is not {encoding} text.") from exc
        try:
            return json.loads(text, parse_constant=json_strict_constant if self.strict else None)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc


class CSVParser(BaseParser):
    """``text/csv`` bodies arrive as text; the import service reads the rows."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None) -> str:
        data = read_limited(stream, parser_context)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError("The CSV is not UTF-8 text.") from exc
