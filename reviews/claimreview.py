"""schema.org ``ClaimReview`` for a published verdict: the one place that builds the markup.

The verdict page, the bulk ``DataFeed`` of the API and anything else that shows ClaimReview
use :func:`claimreview`, so that search engines read the same thing everywhere.

Decisions (see https://developers.google.com/search/docs/appearance/structured-data/factcheck):

* **Rating values.** ``ratingValue`` is the rating's numeric value; ``bestRating`` and
  ``worstRating`` are the highest and lowest values of the active scale (widened to include
  the verdict's own value, so that ``worstRating <= ratingValue <= bestRating`` always holds
  even after an admin edits the scale). Ratings that have no place on the numeric line
  (e.g. *Misleading*, *Unproven*) carry only ``alternateName`` (and ``name``): Google
  requires ``alternateName`` and merely recommends the numbers, and inventing a value
  such as ``-1`` would tell machines something false.
* **Retractions.** Google asks publishers to remove ClaimReview from retracted fact-checks.
  A retracted verdict's page stays reachable with a retraction notice but carries no
  ClaimReview; :func:`has_claimreview` says whether a verdict should carry one, and
  bulk feeds must skip those for which it is false.
* **Dates.** Full ISO 8601 date-times with time zone; ``dateModified`` appears only once a
  correction has changed the verdict.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db.models import Max, Min
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from claims.choices import ClaimStatus
from reviews.models import Rating, Verdict

SCHEMA_CONTEXT = "https://schema.org"


def absolute_url(path: str) -> str:
    """An absolute URL on the public site (``SITE_URL`` + path)."""
    return f"{settings.SITE_URL}{path}"


def verdict_public_url(verdict: Verdict) -> str:
    """The canonical public address of a verdict's page."""
    return absolute_url(reverse("public:verdict", args=[verdict.slug]))


def has_claimreview(verdict: Verdict) -> bool:
    """Published and not retracted: only such verdicts carry ClaimReview markup."""
    return bool(
        verdict.slug
        and verdict.published_version_id
        and verdict.retracted_at is None
        and verdict.claim.status == ClaimStatus.PUBLISHED
    )


def organization() -> dict[str, Any]:
    """The publishing organisation, from settings."""
    org: dict[str, Any] = {
        "@type": "Organization",
        "name": settings.ORGANIZATION_NAME,
        "url": settings.ORGANIZATION_URL,
    }
    if settings.ORGANIZATION_LOGO_URL:
        org["logo"] = {"@type": "ImageObject", "url": settings.ORGANIZATION_LOGO_URL}
    return org


def scale_bounds() -> tuple[float | None, float | None]:
    """(worst, best): the lowest and highest numeric values of the active rating scale."""
    bounds = Rating.objects.filter(active=True, value__isnull=False).aggregate(worst=Min("value"), best=Max("value"))
    return bounds["worst"], bounds["best"]


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def review_rating(rating: Rating, bounds: tuple[float | None, float | None] | None = None) -> dict[str, Any]:
    """The ``reviewRating`` of a verdict with this rating (see the module docstring)."""
    result: dict[str, Any] = {"@type": "Rating", "alternateName": rating.label, "name": rating.label}
    if rating.definition:
        result["ratingExplanation"] = rating.definition
    if rating.value is None:
        return result
    worst, best = bounds if bounds is not None else scale_bounds()
    worst = rating.value if worst is None else min(worst, rating.value)
    best = rating.value if best is None else max(best, rating.value)
    result.update(ratingValue=_number(rating.value), bestRating=_number(best), worstRating=_number(worst))
    return result


def _claim_item(claim) -> dict[str, Any]:
    item: dict[str, Any] = {"@type": "Claim"}
    if claim.claimant:
        # The claimant is a free-text name: whether a person or a body is unknown, and Google
        # accepts either type; Person is the common case for quoted claims.
        item["author"] = {"@type": "Person", "name": claim.claimant}
    if claim.claim_date:
        item["datePublished"] = claim.claim_date.isoformat()
    if claim.appeared_at:
        appearance = {"@type": "CreativeWork", "url": claim.appeared_at}
        if claim.claim_date:
            appearance["datePublished"] = claim.claim_date.isoformat()
        item["appearance"] = [appearance]
        item["firstAppearance"] = appearance
    return item


def claimreview(verdict: Verdict, *, bounds: tuple[float | None, float | None] | None = None) -> dict[str, Any]:
    """One schema.org ClaimReview for a published verdict, as a JSON-able dict with absolute URLs.

    Pass ``bounds`` (from :func:`scale_bounds`) when building many, to read the scale once.
    Callers decide with :func:`has_claimreview` whether to show it (retracted verdicts: no).
    """
    claim = verdict.claim
    version = verdict.published_version
    url = verdict_public_url(verdict)
    review: dict[str, Any] = {
        "@context": SCHEMA_CONTEXT,
        "@type": "ClaimReview",
        "@id": f"{url}#claimreview",
        "url": url,
        "name": f"Fact-check: {claim.text[:110]}",
        "claimReviewed": claim.text,
        "datePublished": verdict.published_at.isoformat(),
    }
    if verdict.updated_at and verdict.updated_at > verdict.published_at:
        review["dateModified"] = verdict.updated_at.isoformat()
    review.update(
        {
            "inLanguage": claim.language,
            "author": organization(),
            "publisher": organization(),
            "reviewBody": version.summary,
            "reviewRating": review_rating(version.rating, bounds),
            "itemReviewed": _claim_item(claim),
        }
    )
    return review


_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def jsonld_script(data: dict[str, Any]) -> SafeString:
    """A ``<script type="application/ld+json">`` element that no string in ``data`` can close early."""
    body = json.dumps(data, ensure_ascii=False, sort_keys=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', SafeString(body))
