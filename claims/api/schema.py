"""OpenAPI descriptions drf-spectacular cannot infer: our authentication, custom fields, the
answers every operation can give besides its own, and the input rule that holds for every string."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema_field

from claims.api.errors import ErrorSerializer
from claims.choices import Priority
from claims.intake.validation import PriorityField, SourceInputField

# factcheck.input.CONTROL_CHARACTERS, as a JSON Schema pattern: what no string may hold.
NO_CONTROL_CHARACTERS = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"


class ProjectAutoSchema(AutoSchema):
    """Adds to each operation the error answers it can give that its view does not declare."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        security = operation.get("security") or []
        anonymous_allowed = not security or {} in security
        # A cursor paginator answers 404 to a cursor it did not give out (DRF's CursorPagination does).
        cursor = getattr(getattr(self.view, "pagination_class", None), "cursor_query_param", None)
        paginator = cursor is not None and any(p.get("name") == cursor for p in operation.get("parameters", []))
        errors = {
            "400": "Invalid input; `fields` names each refused field (control characters are refused in every field)"
        }
        if security:
            errors["401"] = "Invalid or revoked API key" + ("" if anonymous_allowed else ", or none given")
        if not anonymous_allowed:
            errors["403"] = "The key's scopes or the user's role do not allow this"
        if "{" in path or paginator:
            errors["404"] = "No such object here" + (", or a cursor this API did not give out" if paginator else "")
        if "requestBody" in operation:
            errors["413"] = "The request body is larger than API_MAX_BODY_BYTES"
            errors["415"] = "The body is not in a documented content type"
        responses = operation["responses"]
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code)
                responses[code]["description"] = description
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and getattr(serializer, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False
        return schema


def document_input_rule(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """Postprocessing hook: every free string of a query or a request body refuses control characters."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _forbid_control_characters(parameter.get("schema", {}))
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _forbid_control_characters(component)
    return result


def _forbid_control_characters(schema: dict[str, Any]) -> None:
    if schema.get("type") == "string" and not {"enum", "pattern", "format", "$ref"} & schema.keys():
        schema["pattern"] = NO_CONTROL_CHARACTERS
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _forbid_control_characters(schema[key])
    for child in schema.get("properties", {}).values():
        _forbid_control_characters(child)
    for key in ("oneOf", "anyOf", "allOf"):
        for child in schema.get(key, []):
            _forbid_control_characters(child)


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "claims.api.authentication.ApiKeyAuthentication"
    name = "bearerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from `manage.py create_api_key`, sent as `Authorization: Bearer <key>`.",
        }


class StaffSessionScheme(OpenApiAuthenticationExtension):
    target_class = "claims.api.authentication.StaffSessionAuthentication"
    name = "staffSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid", "description": "A logged-in staff user."}


extend_schema_field({"type": "string", "enum": [label for _, label in Priority.choices]})(PriorityField)
extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "uri", "maxLength": 2048},
            {
                "type": "object",
                "properties": {"url": {"type": "string", "format": "uri"}, "context": {"type": "string"}},
                "required": ["url"],
            },
        ]
    }
)(SourceInputField)
