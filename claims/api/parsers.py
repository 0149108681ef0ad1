"""Request parsers that refuse oversized bodies before reading them into memory."""

from __future__ import annotations

import io

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser, JSONParser


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


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = read_limited(stream, parser_context)
        if not data.strip():
            raise exceptions.ParseError("The request body is empty; send a JSON object.")
        return super().parse(io.BytesIO(data), media_type, parser_context)


class CSVParser(BaseParser):
    """``text/csv`` bodies arrive as text; the import service reads the rows."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None) -> str:
        data = read_limited(stream, parser_context)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError("The CSV is not UTF-8 text.") from exc
