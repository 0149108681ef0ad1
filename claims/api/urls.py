from django.urls import path
from rest_framework.routers import SimpleRouter

from claims.api.views import ClaimViewSet, SourceViewSet, WhoAmIView

router = SimpleRouter(trailing_slash=True)
router.register("claims", ClaimViewSet, basename="claim")
router.register("sources", SourceViewSet, basename="source")

urlpatterns = [path("me/", WhoAmIView.as_view(), name="me"), *router.urls]
