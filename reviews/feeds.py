"""The Atom feed of verdicts: one entry per public verdict, in its latest state.

An entry's id names the verdict and its published version, so a correction (a new version)
reaches feed readers as a new entry titled "Corrected: …"; a retraction keeps the id and
moves ``updated``, with the title "Retracted: …".
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from claims.choices import ClaimStatus
from reviews.choices import VersionKind
from reviews.claimreview import absolute_url, verdict_public_url
from reviews.models import Verdict
from reviews.public import public_verdicts

FEED_SIZE = 50


def verdict_changed_at(verdict: Verdict) -> datetime:
    return verdict.updated_at or verdict.published_at


def verdict_is_retracted(verdict: Verdict) -> bool:
    return verdict.retracted_at is not None or verdict.claim.status == ClaimStatus.RETRACTED


def feed_entry_id(verdict: Verdict) -> str:
    """A stable tag URI (RFC 4151) per verdict and published version."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"tag:{host},{verdict.published_at:%Y-%m-%d}:verdict:{verdict.pk}:v{verdict.published_version.number}"


class VerdictFeed(Feed):
    feed_type = Atom1Feed
    description_template = None

    def title(self) -> str:
        return f"{settings.ORGANIZATION_NAME}: fact-checks"

    def subtitle(self) -> str:
        return "Verdicts as they are published, corrected and retracted."

    def link(self) -> str:
        return absolute_url(reverse("public:index"))

    def feed_url(self) -> str:
        return absolute_url(reverse("public:feed"))

    def feed_guid(self) -> str:
        return self.feed_url()

    def author_name(self) -> str:
        return settings.ORGANIZATION_NAME

    def author_link(self) -> str:
        return settings.ORGANIZATION_URL

    def items(self) -> QuerySet[Verdict]:
        return public_verdicts().prefetch_related("claim__tags").order_by("-changed_at", "-id")[:FEED_SIZE]

    def item_title(self, verdict: Verdict) -> str:
        text = verdict.claim.text
        text = text if len(text) <= 120 else f"{text[:119]}…"
        rating = verdict.published_version.rating.label
        if verdict_is_retracted(verdict):
            return f"Retracted: {text}"
        if verdict.published_version.kind == VersionKind.CORRECTION:
            return f"Corrected: {text} ({rating})"
        return f"{text} ({rating})"

    def item_description(self, verdict: Verdict) -> str:
        version = verdict.published_version
        parts = [f"Rating: {version.rating.label}. {version.summary}"]
        if version.note:
            parts.append(f"Correction: {version.note}")
        if verdict_is_retracted(verdict):
            parts.insert(0, "This fact-check was retracted.")
        return "\n\n".join(parts)

    def item_link(self, verdict: Verdict) -> str:
        return verdict_public_url(verdict)

    def item_guid(self, verdict: Verdict) -> str:
        return feed_entry_id(verdict)

    item_guid_is_permalink = False

    def item_pubdate(self, verdict: Verdict) -> datetime:
        return verdict.published_at

    def item_updateddate(self, verdict: Verdict) -> datetime:
        return verdict_changed_at(verdict)

    def item_author_name(self) -> str:
        return settings.ORGANIZATION_NAME

    def item_categories(self, verdict: Verdict) -> list[str]:
        return [verdict.published_version.rating.label, *(tag.name for tag in verdict.claim.tags.all())]
