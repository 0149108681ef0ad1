"""API keys: created with a secret shown once, stored as a hash, scoped, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from claims.choices import ApiScope
from claims.intake.validation import InvalidInput
from claims.models import ApiKey

API_KEY_PREFIX = "fck"
LAST_USED_PRECISION = timedelta(minutes=1)


def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_validate(*, name: Any, scopes: Any) -> tuple[str, list[str]]:
    """The key's name and scopes as stored (trimmed, sorted), or ``InvalidInput`` naming the fields."""
    errors: dict[str, list[str]] = {}
    scopes = list(scopes) if isinstance(scopes, Iterable) and not isinstance(scopes, (str, Mapping)) else None
    if scopes is None or not all(isinstance(scope, str) for scope in scopes):
        errors["scopes"] = ["Give the scopes as a list of names."]
        scopes = []
    scopes = sorted(set(scopes))
    unknown = [scope for scope in scopes if scope not in api_scopes()]
    if unknown:
        errors["scopes"] = [f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(api_scopes())}."]
    if not scopes and "scopes" not in errors:
        errors["scopes"] = ["Give at least one scope."]
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["Give the key a name."]
    if errors:
        raise InvalidInput(errors)
    return name.strip(), scopes


def api_key_create(*, name: str, scopes: Iterable[str], user: AbstractBaseUser | None = None) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is shown once and never stored."""
    name, scopes = api_key_validate(name=name, scopes=scopes)
    prefix = secrets.token_hex(4)
    raw = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(name=name, prefix=prefix, key_hash=_hash_key(raw), scopes=scopes, user=user)
    return key, raw


def api_scopes() -> list[str]:
    """Every scope a key may carry; other apps add theirs with ``api_scope_register``."""
    return [*ApiScope.values, *_EXTRA_SCOPES]


_EXTRA_SCOPES: list[str] = []


def api_scope_register(scope: str) -> None:
    if scope not in _EXTRA_SCOPES and scope not in ApiScope.values:
        _EXTRA_SCOPES.append(scope)


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key matching ``raw``, or None. Records when it was last used."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    key = ApiKey.objects.active().select_related("user").filter(prefix=parts[1]).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash_key(raw)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def api_key_revoke(key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
