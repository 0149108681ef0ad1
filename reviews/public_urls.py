"""The public site (no login): fact-checks, their archived sources, methodology, corrections, the feed."""

from django.urls import path

from reviews import public
from reviews.feeds import VerdictFeed

app_name = "public"

urlpatterns = [
    path("fact-checks/", public.verdict_index, name="index"),
    path("fact-checks/<slug:slug>/", public.verdict_detail, name="verdict"),
    path("fact-checks/<slug:slug>/sources/<int:source_id>/archive/", public.source_archive, name="archive"),
    path("methodology/", public.methodology, name="methodology"),
    path("corrections/", public.corrections, name="corrections"),
    path("feeds/verdicts.atom", VerdictFeed(), name="feed"),
]
