"""Workflow errors as API errors: the shape comes from ``claims.api.errors.api_exception_handler``."""

from __future__ import annotations

from rest_framework import exceptions

from claims.api.errors import Conflict
from claims.models import Claim
from reviews.errors import InvalidReview, NotAllowed, WorkflowError


def as_api_error(exc: Exception) -> Exception:
    """409 for a state that forbids the action, 403 for a person who may not, 400 for bad content, 404."""
    if isinstance(exc, WorkflowError):
        return Conflict(str(exc))
    if isinstance(exc, NotAllowed):
        return exceptions.PermissionDenied(str(exc))
    if isinstance(exc, InvalidReview):
        return exceptions.ValidationError(exc.fields)
    if isinstance(exc, Claim.DoesNotExist):
        return exceptions.NotFound(str(exc) or "No such claim.")
    return exc


class WorkflowErrorsMixin:
    """Views that call workflow services turn its domain errors into API errors."""

    def handle_exception(self, exc):
        return super().handle_exception(as_api_error(exc))
