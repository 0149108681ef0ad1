"""One error shape for the whole API: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from claims.intake.validation import InvalidInput


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable code: invalid, not_found, permission_denied, conflict, …")
    message = serializers.CharField()
    fields = serializers.DictField(help_text="For `invalid`: each refused field with its messages (`_`: the whole).")


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (documented on every operation)."""

    error = ErrorBodySerializer()


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [str(item) for item in detail]
        return [_flatten(item) for item in detail]
    return [str(detail)]


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, InvalidInput):
        return Response(error_body("invalid", exc.message, _flatten(exc.fields)), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = _flatten(detail)
            non_field = fields.pop("non_field_errors", None)
            if non_field:
                fields["_"] = non_field
        else:
            fields = {"_": _flatten(detail)}
        response.data = error_body("invalid", "The submitted data is not valid.", fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if isinstance(code, (list, dict)):
            code = getattr(exc, "default_code", "error")
        response.data = error_body(str(code), str(detail))
    return response
