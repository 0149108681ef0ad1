"""OpenAPI descriptions drf-spectacular cannot infer: our authentication and custom fields."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema_field

from claims.choices import Priority
from claims.intake.validation import PriorityField, SourceInputField


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
