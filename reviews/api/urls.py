"""Workflow API routes (filled in by the review desk work)."""

urlpatterns: list = []
