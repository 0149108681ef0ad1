"""Published verdicts as the outside world reads them: one queryset and one payload.

The consumer API, the export, the webhooks and the feeds all read verdicts through
:func:`published_verdicts` and show them with :func:`verdict_payload`, so that a verdict
looks the same wherever it is read.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from claims.choices import ClaimStatus
from claims.models import Citation, Claim
from reviews.choices import Action
from reviews.markdown import render_markdown
from reviews.models import Verdict, VerdictVersion, WorkflowEvent

PUBLIC_STATES = (ClaimStatus.PUBLISHED, ClaimStatus.RETRACTED)
PUBLIC_ACTIONS = {Action.CORRECT: "correction", Action.RETRACT: "retraction"}

Bounds = tuple[float | None, float | None]


def published_verdicts_base() -> QuerySet[Verdict]:
    """Published or retracted verdicts, annotated with ``changed_at`` (last public change); no joins loaded.

    Use it for validators and counts; :func:`published_verdicts` for serialising.
    """
    return Verdict.objects.filter(
        published_version__isnull=False, published_at__isnull=False, claim__status__in=PUBLIC_STATES
    ).annotate(changed_at=Coalesce(F("updated_at"), F("published_at")))


def published_verdicts() -> QuerySet[Verdict]:
    """Published or retracted verdicts with what :func:`verdict_payload` reads, in a fixed number of queries."""
    return (
        published_verdicts_base()
        .select_related(
            "claim", "published_version__rating", "published_version__author", "published_version__approved_by"
        )
        .prefetch_related(
            "claim__tags",
            Prefetch("claim__citations", queryset=Citation.objects.select_related("source").order_by("id")),
            Prefetch(
                "claim__events",
                queryset=WorkflowEvent.objects.filter(public=True, action__in=list(PUBLIC_ACTIONS)).order_by(
                    "created_at", "id"
                ),
                to_attr="public_events",
            ),
        )
    )


def text_search(query: str) -> Q:
    """Every word of ``query`` appears in the claim's text, its claimant or the verdict's summary."""
    condition = Q()
    for word in query.split()[:20]:
        # Subqueries per table let PostgreSQL use the trigram indexes on claim text and claimant.
        claims = Claim.objects.filter(Q(text__icontains=word) | Q(claimant__icontains=word)).values("id")
        versions = VerdictVersion.objects.filter(summary__icontains=word).values("id")
        condition &= Q(claim_id__in=claims) | Q(published_version_id__in=versions)
    return condition


def language_match(language: str) -> Q:
    """``en`` matches claims in ``en`` and in ``en-GB``; ``en-GB`` only ``en-GB`` (case-insensitive)."""
    return Q(claim__language__iexact=language) | Q(claim__language__istartswith=f"{language}-")


def rating_bounds() -> Bounds:
    """(worst, best) of the active rating scale; read once per page, not once per verdict."""
    from reviews.claimreview import scale_bounds

    return scale_bounds()


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def verdict_status(verdict: Verdict) -> str:
    if verdict.retracted_at is not None or verdict.claim.status == ClaimStatus.RETRACTED:
        return "retracted"
    return "published"


def verdict_payload(verdict: Verdict, *, bounds: Bounds | None = None) -> dict[str, Any]:
    """The verdict as the API shows it. Load it through :func:`published_verdicts`.

    Pass ``bounds`` (from :func:`rating_bounds`) when serialising many verdicts.
    """
    from reviews.claimreview import verdict_public_url

    claim = verdict.claim
    version = verdict.published_version
    rating = version.rating
    worst, best = bounds if bounds is not None else rating_bounds()
    if rating.value is not None:  # the verdict's own value always lies within the bounds shown
        worst = rating.value if worst is None else min(worst, rating.value)
        best = rating.value if best is None else max(best, rating.value)
    url = verdict_public_url(verdict)
    events = getattr(claim, "public_events", None)
    if events is None:
        events = claim.events.filter(public=True, action__in=list(PUBLIC_ACTIONS)).order_by("created_at", "id")
    sources = []
    for citation in claim.citations.all():
        source = citation.source
        archived = source.fetched_at is not None
        sources.append(
            {
                "id": source.pk,
                "url": source.url,
                "title": source.title,
                "archived_url": f"{url}sources/{source.pk}/archive/" if archived else None,
                "archived_at": iso(source.fetched_at),
            }
        )
    return {
        "id": verdict.pk,
        "url": url,
        "slug": verdict.slug,
        "status": verdict_status(verdict),
        "claim": {
            "id": claim.pk,
            "text": claim.text,
            "claimant": claim.claimant,
            "claim_date": iso(claim.claim_date),
            "appearances": [claim.appeared_at] if claim.appeared_at else [],
        },
        "rating": {
            "label": rating.label,
            "slug": rating.slug,
            "value": rating.value,
            "best": best,
            "worst": worst,
        },
        "summary": version.summary,
        "analysis": version.analysis,
        "analysis_html": render_markdown(version.analysis) if version.analysis else "",
        "evidence": [{"url": item.get("url", ""), "note": item.get("note", "")} for item in version.evidence or []],
        "sources": sources,
        "language": claim.language,
        "tags": sorted(tag.name for tag in claim.tags.all()),
        "author": _person(version.author),
        "editor": _person(version.approved_by),
        "published_at": iso(verdict.published_at),
        "updated_at": iso(verdict.updated_at or verdict.published_at),
        "retracted_at": iso(verdict.retracted_at),
        "version": version.number,
        "corrections": [
            {"date": iso(event.created_at), "kind": PUBLIC_ACTIONS[event.action], "note": event.comment}
            for event in events
        ],
    }
