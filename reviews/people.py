"""People of the desk: roles as groups with permissions, and the languages each works in."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import transaction

from claims.intake.validation import validate_language
from reviews.choices import Role
from reviews.models import Reviewer

ROLE_GROUPS = {Role.FACTCHECKER: "Fact-checkers", Role.EDITOR: "Editors", Role.ADMIN: "Admins"}
ROLE_PERMISSIONS = {
    Role.FACTCHECKER: ["work_claims"],
    Role.EDITOR: ["work_claims", "edit_claims"],
    Role.ADMIN: ["work_claims", "edit_claims", "manage_desk"],
}


def roles_ensure() -> dict[str, Group]:
    """Create or repair the three role groups (run after every migrate)."""
    groups = {}
    for role, name in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="reviews", codename__in=ROLE_PERMISSIONS[role])
        group.permissions.set(perms)
        groups[role] = group
    return groups


def role_of(user: AbstractBaseUser) -> str | None:
    names = set(user.groups.values_list("name", flat=True))
    for role in (Role.ADMIN, Role.EDITOR, Role.FACTCHECKER):
        if ROLE_GROUPS[role] in names:
            return str(role)
    return Role.ADMIN if user.is_superuser else None


def user_add(username: str, role: str, languages: list[str], password: str | None = None) -> AbstractBaseUser:
    """Create or update a desk member with one role and their working languages."""
    from rest_framework import serializers

    if role not in ROLE_GROUPS:
        raise ValueError(f"Unknown role {role!r}: choose {', '.join(ROLE_GROUPS)}.")
    try:
        languages = [validate_language(language) for language in languages if language.strip()]
    except serializers.ValidationError as exc:
        raise ValueError(f"Bad language in {languages}: {exc.detail[0]}") from exc
    groups = roles_ensure()
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(username=username)
        if password:
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        # Editors and admins use the staff pages (intake form, API by session); admins also the admin site.
        user.is_staff = role in (Role.EDITOR, Role.ADMIN)
        user.is_superuser = role == Role.ADMIN
        user.save()
        user.groups.remove(*groups.values())
        user.groups.add(groups[role])
        Reviewer.objects.update_or_create(user=user, defaults={"languages": languages})
    return user
