"""Reusable read queries of the claims app."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q


def language_filter(languages: Iterable[str], field: str = "language") -> Q:
    """Claims in any of these languages, regional variants included (``en`` matches ``en-GB``).

    ``field`` is the path to the claim's language from the filtered model (``claim__language``).
    """
    query = Q()
    for language in languages:
        query |= Q(**{f"{field}__iexact": language}) | Q(**{f"{field}__istartswith": f"{language}-"})
    return query
