"""Who may call the workflow API: scopes for keys, a user behind the call, a desk permission."""

from __future__ import annotations

import functools
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from rest_framework.permissions import BasePermission

from claims.api.permissions import required_scope
from claims.models import ApiKey
from reviews.models import Reviewer

REVIEW = "review"
READ = "read"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# Checks log-in attempts only: it grants no permission, so the cache below stays exact beside it.
LOGIN_THROTTLE_BACKEND = "axes.backends.AxesStandaloneBackend"


@functools.cache
def _desk_person_sql() -> str:
    """A person's permissions, own and through groups, as (via, app_label, codename) rows, and their
    reviewer profile as ('reviewer', id, languages as JSON text).

    Plain SQL built once from the models' tables: the same through the ORM cost more to compile
    than the rest of a take's permission checks.
    """
    user_model = get_user_model()
    quote = connection.ops.quote_name
    permission, content_type = Permission._meta, ContentType._meta
    own = user_model._meta.get_field("user_permissions").remote_field.through._meta
    groups = user_model._meta.get_field("groups").remote_field.through._meta
    grouped = Group._meta.get_field("permissions").remote_field.through._meta
    reviewer = Reviewer._meta

    def table(meta) -> str:
        return quote(meta.db_table)

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    def select(via: str) -> str:
        return (
            f"SELECT '{via}', ct.{column(content_type, 'app_label')}, p.{column(permission, 'codename')}"  # noqa: S608 -- names from model metadata
            f" FROM {table(permission)} p JOIN {table(content_type)} ct"
            f" ON ct.{quote(content_type.pk.column)} = p.{column(permission, 'content_type')}"
        )

    return (
        f"{select('user')} JOIN {table(own)} up ON up.{column(own, 'permission')} = p.{quote(permission.pk.column)}"  # noqa: S608 -- names from model metadata
        f" WHERE up.{column(own, user_model._meta.model_name)} = %s"
        f" UNION ALL {select('group')}"
        f" JOIN {table(grouped)} gp ON gp.{column(grouped, 'permission')} = p.{quote(permission.pk.column)}"
        f" JOIN {table(groups)} ug ON ug.{column(groups, 'group')} = gp.{column(grouped, 'group')}"
        f" WHERE ug.{column(groups, user_model._meta.model_name)} = %s"
        f" UNION ALL SELECT 'reviewer', CAST(r.{quote(reviewer.pk.column)} AS text),"
        f" CAST(r.{column(reviewer, 'languages')} AS text) FROM {table(reviewer)} r"
        f" WHERE r.{column(reviewer, 'user')} = %s"
    )


def desk_person_prime(user) -> None:
    """Load what the desk checks about a person, their permissions and languages, in one query.

    ``ModelBackend`` would spend two queries on permissions (own, then groups') and the reviewer
    profile a third. Fills the backend's per-object caches, so every later ``has_perm`` in the
    request is free, and ``user.reviewer``. Only for the default backend (beside the log-in
    throttle's), and not for superusers or inactive people (it handles them itself).
    """
    backends = [name for name in settings.AUTHENTICATION_BACKENDS if name != LOGIN_THROTTLE_BACKEND]
    if backends != [MODEL_BACKEND] or hasattr(user, "_perm_cache"):
        return
    if not user.is_active or user.is_superuser:
        return
    found: dict[str, set[str]] = {"user": set(), "group": set()}
    reviewer = None
    with connection.cursor() as cursor:
        cursor.execute(_desk_person_sql(), [user.pk, user.pk, user.pk])
        for via, first, second in cursor.fetchall():
            if via == "reviewer":
                reviewer = Reviewer(pk=int(first), user=user, languages=json.loads(second))  # caches user.reviewer
            else:
                found[via].add(f"{first}.{second}")
    if reviewer is None:  # cached too: no query to learn that there is none
        Reviewer._meta.get_field("user").remote_field.set_cached_value(user, None)
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
            desk_person_prime(user)  # the view or its service checks this person's permissions and languages
        permission = getattr(view, "desk_permission", None)
        if permission and not user.has_perm(permission):
            self.message = f"You need the '{permission.split('.')[-1]}' permission for this."
            return False
        return True
