"""Webhook registration routes, mounted under /api/v1/ (namespace ``webhooks-api``)."""

from rest_framework.routers import SimpleRouter

from reviews.api.webhooks import WebhookViewSet

router = SimpleRouter()
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = router.urls
