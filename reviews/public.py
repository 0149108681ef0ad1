"""The public site: fact-check index and pages, methodology, corrections, archived copies. No login.

A verdict is public once it has been published; a retracted verdict stays public with a notice
(but loses its ClaimReview markup, see ``reviews.claimreview``).
"""

from __future__ import annotations

from contextlib import suppress

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from claims.choices import ClaimStatus
from claims.models import Citation, Snapshot
from claims.normalize import canonicalize_url
from claims.sources.snapshots import snapshot_response
from factcheck.languages import supported_language
from factcheck.ratelimit import over_limit
from factcheck.security import client_ip
from reviews.choices import Action, VersionKind
from reviews.claimreview import absolute_url, claimreview, has_claimreview, jsonld_script, verdict_public_url
from reviews.markdown import render_markdown
from reviews.models import Rating, Verdict, VerdictVersion, WorkflowEvent
from reviews.published import language_match, published_verdicts_base, text_search

INDEX_PAGE_SIZE = 20
CORRECTIONS_PAGE_SIZE = 50


def public_verdicts() -> QuerySet[Verdict]:
    """Verdicts anyone may read: published, or retracted after publication."""
    return published_verdicts_base().filter(slug__isnull=False).select_related("claim", "published_version__rating")


def display_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


class VerdictSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=gettext_lazy("Search"))
    rating = forms.ModelChoiceField(
        queryset=Rating.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=gettext_lazy("Any rating"),
        label=gettext_lazy("Rating"),
    )
    language = forms.CharField(required=False, max_length=35, label=gettext_lazy("Language"))
    tag = forms.CharField(required=False, max_length=50, label=gettext_lazy("Tag"))
    claimant = forms.CharField(required=False, max_length=255, label=gettext_lazy("Claimant"))
    published_from = forms.DateField(required=False, label=gettext_lazy("Published from"))
    published_to = forms.DateField(required=False, label=gettext_lazy("Published until"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].label_from_instance = lambda rating: rating.label_display

    def filter(self, verdicts: QuerySet[Verdict]) -> QuerySet[Verdict]:
        data = self.cleaned_data
        if data["q"]:
            verdicts = verdicts.filter(text_search(data["q"]))
        if data["rating"]:
            verdicts = verdicts.filter(published_version__rating=data["rating"])
        if data["language"]:
            verdicts = verdicts.filter(language_match(data["language"].strip()))
        if data["tag"]:
            verdicts = verdicts.filter(claim__tags__name__iexact=data["tag"].strip())
        if data["claimant"]:
            verdicts = verdicts.filter(claim__claimant__icontains=data["claimant"].strip())
        if data["published_from"]:
            verdicts = verdicts.filter(published_at__date__gte=data["published_from"])
        if data["published_to"]:
            verdicts = verdicts.filter(published_at__date__lte=data["published_to"])
        return verdicts


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    context.setdefault("site_name", settings.ORGANIZATION_NAME)
    context.setdefault("canonical", absolute_url(request.path))
    return render(request, template, context)


def _page(request: HttpRequest, items, size: int):
    return Paginator(items, size).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _search_refused(request: HttpRequest) -> int | None:
    """Seconds to wait when this address searched more than PUBLIC_SEARCH_RATE allows, else None."""
    return over_limit(cache, "public-search", client_ip(request), settings.PUBLIC_SEARCH_RATE, what="search rate limit")


@require_safe
def verdict_index(request: HttpRequest) -> HttpResponse:
    if request.GET.get("q") and (wait := _search_refused(request)) is not None:
        response = _render(request, "reviews/public/search_limited.html", {"wait": wait})
        response.status_code = 429
        response["Retry-After"] = str(wait)
        return response
    form = VerdictSearchForm(request.GET or None)
    verdicts = public_verdicts().prefetch_related("claim__tags")
    if form.is_bound and form.is_valid():
        verdicts = form.filter(verdicts).distinct()
    page = _page(request, verdicts.order_by("-published_at", "-id"), INDEX_PAGE_SIZE)
    return _render(
        request,
        "reviews/public/index.html",
        {"form": form, "page": page, "query": _query_without_page(request)},
    )


def _sources(verdict: Verdict, version: VerdictVersion) -> list[dict]:
    """The claim's cited sources, with the verdict's notes on them and whether a copy is archived."""
    notes = {}
    for item in version.evidence:
        with suppress(ValueError):  # an old evidence URL that no longer canonicalises: no note for it
            notes[canonicalize_url(item["url"])] = item.get("note", "")
    citations = (
        Citation.objects.filter(claim_id=verdict.claim_id)
        .select_related("source")
        .annotate(snapshot_count=Count("source__snapshots"))
        .order_by("id")
    )
    seen: set[int] = set()
    sources = []
    for citation in citations:
        source = citation.source
        if source.pk in seen:
            continue
        seen.add(source.pk)
        sources.append(
            {
                "source": source,
                "note": notes.get(source.canonical_url, ""),
                "archived": citation.snapshot_count > 0,
            }
        )
    return sources


def _people(verdict: Verdict) -> tuple[str, str]:
    """Author and editor of the verdict as first published."""
    published = (
        VerdictVersion.objects.filter(verdict=verdict, kind=VersionKind.SUBMITTED, approved_by__isnull=False)
        .select_related("author", "approved_by")
        .order_by("-number")
        .first()
    )
    if published is None:
        return display_name(verdict.published_version.author), ""
    return display_name(published.author), display_name(published.approved_by)


@require_safe
def verdict_detail(request: HttpRequest, slug: str) -> HttpResponse:
    verdict = get_object_or_404(public_verdicts(), slug=slug)
    claim = verdict.claim
    version = verdict.published_version
    corrections = list(
        WorkflowEvent.objects.filter(claim=claim, public=True)
        .order_by("created_at", "id")
        .only("action", "comment", "created_at")
    )
    retraction = next((event for event in reversed(corrections) if event.action == Action.RETRACT), None)
    author, editor = _people(verdict)
    canonical = verdict_public_url(verdict)
    # The page speaks the verdict's language when the desk ships it (an Arabic fact-check is an Arabic,
    # right-to-left page for every visitor); otherwise the visitor's.
    language = supported_language(claim.language) or translation.get_language()
    with translation.override(language):
        response = _render(
            request,
            "reviews/public/verdict.html",
            {
                "verdict": verdict,
                "claim": claim,
                "version": version,
                "rating": version.rating,
                "analysis_html": render_markdown(version.analysis),
                "sources": _sources(verdict, version),
                "corrections": corrections,
                "retraction": retraction,
                "retracted": verdict.retracted_at is not None or claim.status == ClaimStatus.RETRACTED,
                "author": author,
                "editor": editor,
                "tags": list(claim.tags.all()),
                "canonical": canonical,
                "jsonld": jsonld_script(claimreview(verdict)) if has_claimreview(verdict) else "",
            },
        )
    response["Content-Language"] = language
    return response


@require_safe
def source_archive(request: HttpRequest, slug: str, source_id: int) -> HttpResponse:
    """The archived copy of a source cited by a public verdict's claim, in the snapshot sandbox."""
    verdict = get_object_or_404(public_verdicts(), slug=slug)
    if not Citation.objects.filter(claim_id=verdict.claim_id, source_id=source_id).exists():
        raise Http404(_("This fact-check does not cite that source."))
    snapshot = Snapshot.objects.filter(source_id=source_id).order_by("-fetched_at", "-id").first()
    if snapshot is None:
        raise Http404(_("No archived copy of this source yet."))
    view = request.GET.get("view", "html")
    return snapshot_response(snapshot, view if view in {"html", "text"} else "html")


@require_safe
def methodology(request: HttpRequest) -> HttpResponse:
    ratings = Rating.objects.filter(active=True).order_by("position", "id")
    return _render(request, "reviews/public/methodology.html", {"ratings": ratings})


def public_corrections() -> QuerySet[WorkflowEvent]:
    """Every public correction and retraction of a public verdict, newest first."""
    return (
        WorkflowEvent.objects.filter(
            public=True,
            action__in=(Action.CORRECT, Action.RETRACT),
            claim__verdict__published_version__isnull=False,
            claim__verdict__slug__isnull=False,
        )
        .select_related("claim__verdict")
        .order_by("-created_at", "-id")
    )


@require_safe
def corrections(request: HttpRequest) -> HttpResponse:
    page = _page(request, public_corrections(), CORRECTIONS_PAGE_SIZE)
    return _render(request, "reviews/public/corrections.html", {"page": page})
