"""Workflow API routes, mounted under /api/v1/ before the claims API (``claims/assign/``)."""

from django.urls import path

from reviews.api import views
from reviews.api.matching import VerdictReuseView
from reviews.api.stats import StatsView

urlpatterns = [
    path("queue/", views.QueueView.as_view(), name="queue"),
    path("queue/take/", views.QueueTakeView.as_view(), name="queue-take"),
    path("my-claims/", views.MyClaimsView.as_view(), name="my-claims"),
    path("load/", views.LoadView.as_view(), name="load"),
    path("ratings/", views.RatingsView.as_view(), name="ratings"),
    path("stats/", StatsView.as_view(), name="stats"),
    path("claims/assign/", views.ClaimsBulkAssignView.as_view(), name="claims-assign"),
    path("claims/<int:pk>/assign/", views.ClaimAssignView.as_view(), name="claim-assign"),
    path("claims/<int:pk>/verdict/", views.VerdictView.as_view(), name="claim-verdict"),
    path("claims/<int:pk>/transition/", views.TransitionView.as_view(), name="claim-transition"),
    path("claims/<int:pk>/correct/", views.CorrectView.as_view(), name="claim-correct"),
    path("claims/<int:pk>/merge/", views.MergeView.as_view(), name="claim-merge"),
    path("claims/<int:pk>/reuse-verdict/", VerdictReuseView.as_view(), name="claim-reuse-verdict"),
    path("claims/<int:pk>/history/", views.HistoryView.as_view(), name="claim-history"),
]
