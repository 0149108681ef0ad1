from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _desk_defaults_ensure(sender, **kwargs) -> None:
    from reviews.people import roles_ensure
    from reviews.ratings import ratings_ensure

    roles_ensure()
    ratings_ensure()


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews and verdicts"

    def ready(self) -> None:
        from claims.api.serializers import register_claim_extension
        from claims.intake.keys import api_scope_register
        from claims.matching.services import register_match_annotator
        from reviews.api.serializers import claim_workflow
        from reviews.matching import published_verdicts_of
        from reviews.receivers import connect_claim_signals

        post_migrate.connect(_desk_defaults_ensure, sender=self)
        api_scope_register("review")
        api_scope_register("webhooks")
        register_claim_extension("workflow", claim_workflow)
        register_match_annotator(published_verdicts_of)
        connect_claim_signals()
