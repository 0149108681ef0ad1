from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from claims.urls import auth_urlpatterns
from factcheck.health import healthz
from factcheck.metrics_view import metrics
from reviews.api.consumer_urls import factchecktools_urlpatterns
from reviews.language_views import language_switch

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    # Django's set_language (a cookie; no JavaScript needed), which also saves a signed-in person's preference.
    path("i18n/setlang/", language_switch, name="set_language"),
    # reviews first: its claims/assign/ must not be taken for a claim id by the claims router
    path("api/v1/", include(("reviews.api.urls", "reviews-api"), namespace="reviews-api")),
    path("api/v1/", include(("reviews.api.consumer_urls", "verdicts-api"), namespace="verdicts-api")),
    path("api/v1/", include(("reviews.api.webhook_urls", "webhooks-api"), namespace="webhooks-api")),
    path("api/v1/", include(("claims.api.urls", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
    # Swagger UI's script comes from its own URL (no inline script); its page keeps a small <style>.
    path(
        "api/docs/",
        csp_replace({"style-src": ["'self'", "'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema", permission_classes=[])
        ),
        name="api-docs",
    ),
    # Google Fact Check Tools clients ask for <endpoint>v1alpha1/claims:search.
    path("v1alpha1/", include((factchecktools_urlpatterns, "factchecktools"), namespace="factchecktools")),
    path("", include("reviews.public_urls")),
    path("", include("reviews.urls")),
    path("", include("claims.urls")),
    *auth_urlpatterns,
]

handler404 = "factcheck.errors.not_found"
handler500 = "factcheck.errors.server_error"
