"""Who may call the workflow API: scopes for keys, a user behind the call, a desk permission."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db.models import Value
from rest_framework.permissions import BasePermission

from claims.api.permissions import required_scope
from claims.models import ApiKey

REVIEW = "review"
READ = "read"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def permissions_prime(user) -> None:
    """Load a person's permissions in one query where ``ModelBackend`` would spend two (own, then groups').

    Fills the backend's per-object caches, so every later ``has_perm`` in the request is free.
    Only for the default backend, and not for superusers or inactive people (it handles them itself).
    """
    if list(settings.AUTHENTICATION_BACKENDS) != [MODEL_BACKEND] or hasattr(user, "_perm_cache"):
        return
    if not user.is_active or user.is_superuser:
        return
    fields = ("content_type__app_label", "codename")
    own = Permission.objects.filter(user=user).annotate(via=Value("user")).values_list("via", *fields).order_by()
    grouped = (
        Permission.objects.filter(group__user=user).annotate(via=Value("group")).values_list("via", *fields).order_by()
    )
    found: dict[str, set[str]] = {"user": set(), "group": set()}
    for via, app_label, codename in own.union(grouped, all=True):
        found[via].add(f"{app_label}.{codename}")
    user._user_perm_cache = found["user"]
    user._group_perm_cache = found["group"]
    user._perm_cache = found["user"] | found["group"]


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
        if user is not None and getattr(view, "user_required", False):
            permissions_prime(user)  # the view or its service checks this person's permissions
        permission = getattr(view, "desk_permission", None)
        if permission and not user.has_perm(permission):
            self.message = f"You need the '{permission.split('.')[-1]}' permission for this."
            return False
        return True
