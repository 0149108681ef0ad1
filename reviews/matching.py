"""The review side of claim matching: which matched claims have a published verdict, and reusing one.

Matching itself lives in ``claims.matching.services``; this module tells it about verdicts (an annotator
registered in ``ReviewsConfig.ready``) and lets a fact-checker reuse a published verdict for a
claim that says the same thing. Reuse fills the draft from the published version and submits
it in one action, recorded on the audit row; the writers of the reused text count as writers of
the new version, so an editor who wrote none of it must still approve it. A verdict is reused
only from a claim the matcher linked to this one, or with an explicit confirmation (recorded).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse

from claims.models import Claim, ClaimMatch
from reviews.claimreview import absolute_url
from reviews.errors import WorkflowError
from reviews.models import Verdict
from reviews.workflow import review_submit, verdict_save_draft


def published_verdicts_of(claim_ids: list[int]) -> dict[int, dict]:
    """``{claim_id: {"verdict_id", "verdict_url", "rating"}}`` for claims with a live published verdict."""
    rows = Verdict.objects.filter(
        claim_id__in=claim_ids, published_version__isnull=False, retracted_at__isnull=True
    ).values("id", "claim_id", "slug", "published_version__rating__label")
    return {
        row["claim_id"]: {
            "verdict_id": row["id"],
            "verdict_url": absolute_url(reverse("public:verdict", args=[row["slug"]])),
            "rating": row["published_version__rating__label"],
        }
        for row in rows
    }


def claim_matches(claim: Claim) -> list[dict]:
    """The earlier claims linked to this one by the matcher, with their verdicts, best first."""
    links = list(ClaimMatch.objects.filter(claim=claim).select_related("matched").order_by("-score", "matched_id"))
    verdicts = published_verdicts_of([link.matched_id for link in links])
    return [
        {
            "claim_id": link.matched_id,
            "text": link.matched.text,
            "status": link.matched.status,
            "status_label": link.matched.get_status_display(),
            "language": link.matched.language,
            "score": link.score,
            "kind": link.kind,
            **verdicts.get(link.matched_id, {}),
        }
        for link in links
    ]


def verdict_reuse(actor: AbstractBaseUser, claim_id: int, source_claim_id: int, *, confirmed: bool = False) -> Claim:
    """Submit, for approval, the published verdict of ``source_claim_id`` as this claim's verdict.

    The two claims must be linked as a match, unless ``confirmed`` says the person checked that
    they say the same thing anyway; the audit row records which.
    """
    if source_claim_id == claim_id:
        raise WorkflowError("A claim cannot reuse its own verdict.")
    source = (
        Verdict.objects.select_related("published_version__rating")
        .filter(claim_id=source_claim_id, published_version__isnull=False, retracted_at__isnull=True)
        .first()
    )
    if source is None:
        raise WorkflowError(f"Claim {source_claim_id} has no published verdict to reuse.")
    version = source.published_version
    link = (
        ClaimMatch.objects.filter(claim_id=claim_id, matched_id=source_claim_id).first()
        or ClaimMatch.objects.filter(claim_id=source_claim_id, matched_id=claim_id).first()
    )
    if link is None and not confirmed:
        raise WorkflowError(
            f"Claim {source_claim_id} is not linked to this claim as a match: check that both say the same "
            "thing, then confirm the reuse."
        )
    url = absolute_url(reverse("public:verdict", args=[source.slug]))
    with transaction.atomic():
        verdict_save_draft(
            actor,
            claim_id,
            {
                "rating": version.rating.slug,
                "summary": version.summary,
                "analysis": version.analysis,
                "evidence": version.evidence,
            },
            reused_from=version,
        )
        return review_submit(
            actor,
            claim_id,
            f"Reuses the published verdict on claim {source_claim_id}: {url}",
            data={
                "reused_verdict": source.pk,
                "reused_claim": source_claim_id,
                "reused_version": version.number,
                "match_score": link.score if link else None,
                "match_kind": link.kind if link else "",
                "confirmed_without_match": link is None,
            },
        )
