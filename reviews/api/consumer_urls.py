"""The read-only consumer API, mounted under /api/v1/ (namespace ``verdicts-api``).

``factchecktools_urlpatterns`` serves ``claims:search`` where Google's API client looks for it
(``<api_endpoint>v1alpha1/claims:search``): mount it at ``v1alpha1/`` of the site root.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema

from reviews.api import consumer
from reviews.api.matching import VerdictMatchView

urlpatterns = [
    path("verdicts/", consumer.VerdictListView.as_view(), name="verdict-list"),
    path("verdicts/match/", VerdictMatchView.as_view(), name="verdict-match"),
    path("verdicts/export/", consumer.VerdictExportView.as_view(), name="verdict-export"),
    path("verdicts/<int:pk>/", consumer.VerdictDetailView.as_view(), name="verdict-detail"),
    path("claims:search", consumer.ClaimSearchView.as_view(), name="claims-search"),
    path("claimreview/", consumer.ClaimReviewFeedView.as_view(), name="claimreview-feed"),
]


@extend_schema(exclude=True)  # the same operation as /api/v1/claims:search; documented once
class FactCheckToolsClaimSearchView(consumer.ClaimSearchView):
    pass


factchecktools_urlpatterns = [
    path("claims:search", FactCheckToolsClaimSearchView.as_view(), name="claims-search"),
]
