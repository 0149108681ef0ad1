"""A keyset cursor over the queue order (priority desc, created_at, id): stable and bounded.

DRF's ``CursorPagination`` keys on the first ordering field and skips ties by offset,
which breaks down on a queue where most claims share a priority.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class QueueCursorPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "limit"

    def page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        size = int(raw) if raw.isdigit() and int(raw) > 0 else settings.API_PAGE_SIZE
        return min(size, settings.API_MAX_PAGE_SIZE)

    def _decode(self, raw: str) -> tuple[int, datetime, int]:
        try:
            priority, created_at, pk = json.loads(base64.urlsafe_b64decode(raw.encode()))
            return int(priority), datetime.fromisoformat(created_at), int(pk)
        except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
            raise NotFound("Invalid cursor.") from exc

    @staticmethod
    def _encode(claim) -> str:
        position = [claim.priority, claim.created_at.isoformat(), claim.pk]
        return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:
        self.request = request
        raw = request.query_params.get(self.cursor_query_param)
        if raw:
            priority, created_at, pk = self._decode(raw)
            queryset = queryset.filter(
                Q(priority__lt=priority)
                | Q(priority=priority, created_at__gt=created_at)
                | Q(priority=priority, created_at=created_at, pk__gt=pk)
            )
        size = self.page_size(request)
        rows = list(queryset[: size + 1])
        self.next_cursor = self._encode(rows[size - 1]) if len(rows) > size else None
        return rows[:size]

    def get_paginated_response(self, data) -> Response:
        next_url = None
        if self.next_cursor:
            next_url = replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, self.next_cursor)
        return Response({"next": next_url, "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": {"type": "string", "format": "uri", "nullable": True}, "results": schema},
        }
