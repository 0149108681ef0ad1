from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims and sources"

    def ready(self) -> None:
        from claims.api import schema  # noqa: F401 - registers OpenAPI extensions
