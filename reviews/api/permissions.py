"""Who may call the workflow API: scopes for keys, a user behind the call, a desk permission."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from claims.api.permissions import required_scope
from claims.models import ApiKey

REVIEW = "review"
READ = "read"


class DeskAccess(BasePermission):
    """Keys need the view's scope (``review`` also grants reads); staff sessions pass.

    A key with the ``review`` scope but no user is refused everywhere: it is a mistake.
    Views may also set ``user_required`` (the call must act as a person: a key created
    with ``--user``, or a session) and ``desk_permission`` (a permission that person needs,
    e.g. ``reviews.edit_claims`` to see the desk's load). Workflow services check the rest.
    """

    message = "You may not use this endpoint."

    def has_permission(self, request, view) -> bool:
        scope = required_scope(request, view)
        key = request.auth if isinstance(request.auth, ApiKey) else None
        user = request.user if request.user is not None and request.user.is_authenticated else None
        if key is not None:
            if scope is not None and not (key.has_scope(scope) or (scope == READ and key.has_scope(REVIEW))):
                self.message = f"This API key lacks the '{scope}' scope."
                return False
        elif user is None or not user.is_staff:
            return False
        acts_for_nobody = key is not None and key.has_scope(REVIEW)  # review keys exist to act as a person
        if user is None and (getattr(view, "user_required", False) or scope == REVIEW or acts_for_nobody):
            self.message = "This API key acts as no user: create it with --user USERNAME to work on the desk."
            return False
        permission = getattr(view, "desk_permission", None)
        if permission and not user.has_perm(permission):
            self.message = f"You need the '{permission.split('.')[-1]}' permission for this."
            return False
        return True
