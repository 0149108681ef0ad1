from django.urls import path
from rest_framework.routers import SimpleRouter

from claims.api.articles import ArticleViewSet
from claims.api.checkworthiness import CheckworthinessView
from claims.api.tips import TipCreateView
from claims.api.views import ClaimViewSet, SourceViewSet, WhoAmIView

# Path converters: ids are <int:pk>, so a non-numeric id is a 404 and the schema says integer.
router = SimpleRouter(trailing_slash=True, use_regex_path=False)
router.register("claims", ClaimViewSet, basename="claim")
router.register("sources", SourceViewSet, basename="source")
router.register("articles", ArticleViewSet, basename="article")

urlpatterns = [
    path("me/", WhoAmIView.as_view(), name="me"),
    path("checkworthiness/", CheckworthinessView.as_view(), name="checkworthiness"),
    path("tips/", TipCreateView.as_view(), name="tips"),
    *router.urls,
]
