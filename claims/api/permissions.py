"""Scope checks: a view names the scope each method needs; keys must carry it."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from claims.models import ApiKey


def required_scope(request, view) -> str | None:
    scopes = getattr(view, "required_scopes", None)
    if scopes is None:
        return None
    action = getattr(view, "action", None)
    if action and action in scopes:
        return scopes[action]
    return scopes.get("read" if request.method in SAFE_METHODS else "write")


class HasScope(BasePermission):
    """A key needs the view's scope; a staff session may do anything the API offers."""

    message = "This API key lacks the scope this endpoint needs."

    def has_permission(self, request, view) -> bool:
        scope = required_scope(request, view)
        if isinstance(request.auth, ApiKey):
            if scope is not None and not request.auth.has_scope(scope):
                self.message = f"This API key lacks the '{scope}' scope."
                return False
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)
