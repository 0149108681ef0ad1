from django.urls import path
from rest_framework.routers import SimpleRouter

from claims.api.articles import ArticleViewSet
from claims.api.checkworthiness import CheckworthinessView
from claims.api.views import ClaimViewSet, SourceViewSet, WhoAmIView

router = SimpleRouter(trailing_slash=True)
router.register("claims", ClaimViewSet, basename="claim")
router.register("sources", SourceViewSet, basename="source")
router.register("articles", ArticleViewSet, basename="article")

urlpatterns = [
    path("me/", WhoAmIView.as_view(), name="me"),
    path("checkworthiness/", CheckworthinessView.as_view(), name="checkworthiness"),
    *router.urls,
]
