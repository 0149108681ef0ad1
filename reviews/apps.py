from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs) -> None:
    from reviews.people import roles_ensure

    roles_ensure()


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews and verdicts"

    def ready(self) -> None:
        post_migrate.connect(_ensure_roles, sender=self)
