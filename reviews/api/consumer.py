"""The read-only consumer API: verdicts, Google-compatible ``claims:search``, ClaimReview feed, export.

Anyone may read (at ``API_ANON_RATE``); a key with the ``read`` scope reads at
``API_KEY_RATE``; a wrong key is still refused (401). Views stay thin: the rows come from
:mod:`reviews.published`, the 304 logic from :mod:`reviews.api.conditional`.

**Pagination.** Verdicts are walked oldest first by ``(published_at, id)`` with an opaque
cursor holding both. ``published_at`` is set once, when a verdict is first published, and
never changes (corrections and retractions set ``updated_at``), so a row never moves:
a walk neither repeats nor skips a verdict, and verdicts published during the walk
appear on its last pages. ``updated_since`` turns the walk into an incremental sync.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import django_filters
from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from claims.api.errors import ErrorSerializer
from claims.choices import ClaimStatus
from reviews.api.conditional import Page, page_response
from reviews.api.throttling import ConsumerRateThrottle
from reviews.claimreview import claimreview, scale_bounds
from reviews.models import Verdict
from reviews.published import (
    cached_payloads,
    language_match,
    published_verdicts,
    published_verdicts_base,
    text_search,
    verdict_payload,
    with_fingerprint,
)

# --- Output shapes (documentation for the schema; the payload comes from verdict_payload) --------


class VerdictClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    claimant = serializers.CharField(allow_blank=True)
    claim_date = serializers.DateField(allow_null=True)
    appearances = serializers.ListField(child=serializers.URLField())


class VerdictRatingSerializer(serializers.Serializer):
    label = serializers.CharField()
    slug = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text="Null for ratings off the numeric scale.")
    best = serializers.FloatField(allow_null=True)
    worst = serializers.FloatField(allow_null=True)


class VerdictSourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    archived_url = serializers.URLField(allow_null=True, help_text="Public archived copy, once fetched.")
    archived_at = serializers.DateTimeField(allow_null=True)


class EvidenceSerializer(serializers.Serializer):
    url = serializers.CharField()
    note = serializers.CharField(allow_blank=True)


class CorrectionSerializer(serializers.Serializer):
    date = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=["correction", "retraction"])
    note = serializers.CharField(allow_blank=True)


class PublishedVerdictSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="The verdict's public page.")
    slug = serializers.CharField()
    status = serializers.ChoiceField(choices=["published", "retracted"])
    claim = VerdictClaimSerializer()
    rating = VerdictRatingSerializer()
    summary = serializers.CharField()
    analysis = serializers.CharField(allow_blank=True, help_text="Markdown.")
    analysis_html = serializers.CharField(allow_blank=True, help_text="The analysis as safe HTML.")
    evidence = EvidenceSerializer(many=True)
    sources = VerdictSourceSerializer(many=True)
    language = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    author = serializers.CharField(allow_null=True)
    editor = serializers.CharField(allow_null=True)
    published_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(help_text="Last public change; equals published_at until corrected.")
    retracted_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    corrections = CorrectionSerializer(many=True)


class VerdictPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last one.")
    results = PublishedVerdictSerializer(many=True)


class PublisherSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    site = serializers.CharField(required=False)


class ClaimReviewSummarySerializer(serializers.Serializer):
    publisher = PublisherSerializer(required=False)
    url = serializers.URLField(required=False)
    title = serializers.CharField(required=False)
    reviewDate = serializers.DateTimeField(required=False)  # Google's camelCase names
    textualRating = serializers.CharField(required=False)
    languageCode = serializers.CharField(required=False)


class FactCheckedClaimSerializer(serializers.Serializer):
    text = serializers.CharField(required=False)
    claimant = serializers.CharField(required=False)
    claimDate = serializers.DateTimeField(required=False)
    claimReview = ClaimReviewSummarySerializer(many=True, required=False)


class ClaimSearchResponseSerializer(serializers.Serializer):
    claims = FactCheckedClaimSerializer(many=True, required=False)
    nextPageToken = serializers.CharField(required=False)


ERROR = ErrorSerializer
ERRORS = {
    400: OpenApiResponse(ERROR, description="Invalid parameters"),
    401: OpenApiResponse(ERROR, description="Invalid or revoked API key"),
    429: OpenApiResponse(ERROR, description="Rate limit reached; see Retry-After"),
}
NOT_MODIFIED = OpenApiResponse(description="Not modified (If-None-Match / If-Modified-Since)")
VALIDATOR_HEADERS = [
    OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="An ETag seen before."),
    OpenApiParameter("If-Modified-Since", OpenApiTypes.STR, OpenApiParameter.HEADER, description="An HTTP date."),
]

# --- Filters ------------------------------------------------------------------------------------


class VerdictFilter(django_filters.FilterSet):
    rating = django_filters.CharFilter(field_name="published_version__rating__slug", label="Rating slug")
    language = django_filters.CharFilter(method="filter_language", label="Language (en also matches en-GB)")
    tag = django_filters.CharFilter(method="filter_tag", label="Tag")
    claimant = django_filters.CharFilter(field_name="claim__claimant", lookup_expr="icontains", label="Claimant")
    q = django_filters.CharFilter(method="filter_text", label="Text search")
    updated_since = django_filters.IsoDateTimeFilter(method="filter_updated_since")

    class Meta:
        model = Verdict
        fields = ["rating", "language", "tag", "claimant", "q", "updated_since"]

    def filter_language(self, queryset, name, value):
        return queryset.filter(language_match(value))

    def filter_tag(self, queryset, name, value):
        return queryset.filter(claim__tags__name=" ".join(value.split()).lower())

    def filter_text(self, queryset, name, value):
        return queryset.filter(text_search(value))

    def filter_updated_since(self, queryset, name, value):
        # In UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 (and Python) accept.
        return queryset.filter(changed_at__gte=value.astimezone(UTC))


FILTER_PARAMETERS = [
    OpenApiParameter("rating", OpenApiTypes.STR, description="Rating slug, e.g. false."),
    OpenApiParameter("language", OpenApiTypes.STR, description="BCP 47 language; en also matches en-GB."),
    OpenApiParameter("tag", OpenApiTypes.STR),
    OpenApiParameter("claimant", OpenApiTypes.STR, description="Part of the claimant's name."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Words that all appear in the claim, claimant or summary."),
    OpenApiParameter(
        "updated_since",
        OpenApiTypes.DATETIME,
        description="Only verdicts published, corrected or retracted at or after this time (ISO 8601).",
    ),
]
PAGE_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="The opaque cursor of the next link."),
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1},
        description="Page size, at most API_MAX_PAGE_SIZE (more gives that).",
    ),
]


def filter_verdicts(queryset: QuerySet[Verdict], params) -> QuerySet[Verdict]:
    nul = sorted(name for name in VerdictFilter.base_filters if "\x00" in params.get(name, ""))
    if nul:  # PostgreSQL text cannot hold NUL: a 400, not a database error
        raise ValidationError({name: ["Null characters are not allowed."] for name in nul})
    if not any(name in params for name in VerdictFilter.base_filters):
        return queryset  # no filter asked for: skip building and validating the filter form
    filterset = VerdictFilter(params, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


# --- Keyset cursors -----------------------------------------------------------------------------


def encode_cursor(verdict: Verdict) -> str:
    return encode_position(verdict.published_at, verdict.pk)


def encode_position(published_at: datetime, pk: int) -> str:
    position = [published_at.isoformat(), pk]
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def decode_cursor(raw: str, param: str = "cursor") -> tuple[datetime, int]:
    try:
        padded = raw + "=" * (-len(raw) % 4)
        published_at, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        when = datetime.fromisoformat(published_at)
        if timezone.is_naive(when):
            raise ValueError("naive")
        return when, int(pk)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError({param: ["Invalid cursor."]}) from exc


def keyset(queryset: QuerySet[Verdict], after: tuple[datetime, int] | None, *, newest_first: bool = False):
    """Rows strictly after ``after`` in (published_at, id) order (or its reverse)."""
    if after is not None:
        when, pk = after
        # The plain range condition lets the (published_at, id) index start at the cursor.
        if newest_first:
            queryset = queryset.filter(published_at__lte=when).filter(
                Q(published_at__lt=when) | Q(published_at=when, pk__lt=pk)
            )
        else:
            queryset = queryset.filter(published_at__gte=when).filter(
                Q(published_at__gt=when) | Q(published_at=when, pk__gt=pk)
            )
    return queryset.order_by("-published_at", "-id") if newest_first else queryset.order_by("published_at", "id")


def page_size(request, param: str = "limit", default: int | None = None) -> int:
    raw = request.query_params.get(param, "")
    if raw == "":
        return min(default or settings.API_PAGE_SIZE, settings.API_MAX_PAGE_SIZE)
    if not raw.isdigit() or int(raw) < 1:
        raise ValidationError({param: ["A positive whole number."]})
    return min(int(raw), settings.API_MAX_PAGE_SIZE)


# --- Views --------------------------------------------------------------------------------------


class ConsumerView(APIView):
    """Public reads: anyone may call, keys only change the rate; a bad key is still a 401."""

    permission_classes = [AllowAny]
    throttle_classes = [ConsumerRateThrottle]


class VerdictListView(ConsumerView):
    @extend_schema(
        operation_id="verdicts_list",
        parameters=[*FILTER_PARAMETERS, *PAGE_PARAMETERS, *VALIDATOR_HEADERS],
        responses={200: VerdictPageSerializer, 304: NOT_MODIFIED, **ERRORS},
    )
    def get(self, request):
        """Published and retracted verdicts, oldest first; stable cursor pagination."""
        size = page_size(request)
        raw_cursor = request.query_params.get("cursor")
        after = decode_cursor(raw_cursor) if raw_cursor else None

        def build() -> Page:
            # Built only when the page is: a 304 or a cached page costs no queryset. An invalid
            # filter is a 400 here; a matching ETag can only name an address that was served.
            ordered = keyset(filter_verdicts(published_verdicts_base(), request.query_params), after)
            # One query: the page's rows (and the one after, which decides ``next``) with a
            # fingerprint of everything their payloads show, which keys the cached payloads.
            rows = list(with_fingerprint(ordered)[: size + 1])
            changed = max((row[2] for row in rows), default=None)
            fingerprints = tuple(row[3] for row in rows)
            next_url = None
            if len(rows) > size:
                rows = rows[:size]
                pk, published_at, _, _ = rows[-1]
                next_url = replace_query_param(
                    request.build_absolute_uri(), "cursor", encode_position(published_at, pk)
                )
            body = {"next": next_url, "results": cached_payloads(rows)}
            return Page(body, last_modified=changed, etag_parts=(request.get_full_path(), *fingerprints))

        return page_response(request, build, kind="verdicts")


class VerdictDetailView(ConsumerView):
    @extend_schema(
        operation_id="verdicts_retrieve",
        parameters=VALIDATOR_HEADERS,
        responses={200: PublishedVerdictSerializer, 304: NOT_MODIFIED, 404: OpenApiResponse(ERROR), **ERRORS},
    )
    def get(self, request, pk: int):
        """One published or retracted verdict."""

        def build() -> Page:
            rows = list(with_fingerprint(published_verdicts_base().filter(pk=pk)))
            if not rows:
                raise NotFound("No published verdict with this id.")
            [(_, _, changed, fingerprint)] = rows
            [payload] = cached_payloads(rows)
            return Page(payload, last_modified=changed, etag_parts=("verdict", pk, fingerprint))

        return page_response(request, build, kind="verdict")


# --- Google Fact Check Tools compatible search -----------------------------------------------


class ClaimSearchInput(serializers.Serializer):
    query = serializers.CharField(required=False, allow_blank=True, max_length=500)
    languageCode = serializers.CharField(required=False, allow_blank=True, max_length=35)
    reviewPublisherSiteFilter = serializers.CharField(required=False, allow_blank=True, max_length=255)
    maxAgeDays = serializers.IntegerField(required=False, min_value=1, max_value=100_000)
    pageSize = serializers.IntegerField(required=False, min_value=1, max_value=2_147_483_647)
    pageToken = serializers.CharField(required=False, allow_blank=True, max_length=200)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=100_000)

    def validate(self, attrs):
        if not (attrs.get("query") or "").strip() and not (attrs.get("reviewPublisherSiteFilter") or "").strip():
            raise ValidationError({"query": ["Required unless reviewPublisherSiteFilter is given."]})
        return attrs


def site_host(value: str) -> str:
    """``https://www.Example.org:443/x`` and ``example.org`` → ``example.org``."""
    value = value.strip().lower()
    host = urlsplit(value if "://" in value else f"//{value}").hostname or ""
    return host.removeprefix("www.")


def publisher_site() -> str:
    return site_host(settings.ORGANIZATION_URL) or site_host(settings.SITE_URL)


def rfc3339(value: datetime | date) -> str:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Google leaves out empty fields."""
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def fact_checked_claim(verdict: Verdict, bounds) -> dict[str, Any]:
    claim = verdict.claim
    markup = claimreview(verdict, bounds=bounds)
    review = _compact(
        {
            "publisher": _compact({"name": settings.ORGANIZATION_NAME, "site": publisher_site()}),
            "url": markup["url"],
            "title": markup.get("name", ""),
            "reviewDate": rfc3339(verdict.published_at),
            "textualRating": verdict.published_version.rating.label,
            "languageCode": claim.language,
        }
    )
    return _compact(
        {
            "text": claim.text,
            "claimant": claim.claimant,
            "claimDate": rfc3339(claim.claim_date) if claim.claim_date else None,
            "claimReview": [review],
        }
    )


class ClaimSearchView(ConsumerView):
    @extend_schema(
        operation_id="claims_search",
        parameters=[ClaimSearchInput],
        responses={200: ClaimSearchResponseSerializer, **ERRORS},
    )
    def get(self, request):
        """Google Fact Check Tools ``claims:search``: same parameters, same response; newest first.

        Retracted verdicts are left out (they carry no ClaimReview). ``key`` and ``alt``
        parameters that Google clients send are ignored.
        """
        params = ClaimSearchInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        site = (data.get("reviewPublisherSiteFilter") or "").strip()
        if site and site_host(site) not in {publisher_site(), site_host(settings.SITE_URL)}:
            return Response({})
        size = min(data.get("pageSize") or 10, settings.API_MAX_PAGE_SIZE)
        token = (data.get("pageToken") or "").strip()
        after = decode_cursor(token, "pageToken") if token else None
        start = 0 if token else data.get("offset", 0)

        def build() -> Page:
            verdicts = published_verdicts_base().filter(
                claim__status=ClaimStatus.PUBLISHED, retracted_at__isnull=True, slug__isnull=False
            )
            query = (data.get("query") or "").strip()
            if query:
                verdicts = verdicts.filter(text_search(query))
            if (data.get("languageCode") or "").strip():
                verdicts = verdicts.filter(language_match(data["languageCode"].strip()))
            if data.get("maxAgeDays"):
                cutoff = timezone.now() - timedelta(days=data["maxAgeDays"])
                verdicts = verdicts.filter(Q(published_at__gte=cutoff) | Q(claim__claim_date__gte=cutoff.date()))
            ordered = keyset(verdicts, after, newest_first=True).select_related("claim", "published_version__rating")
            rows = list(ordered[start : start + size + 1])
            body: dict[str, Any] = {}
            if rows:
                bounds = scale_bounds()
                body["claims"] = [fact_checked_claim(v, bounds) for v in rows[:size]]
            if len(rows) > size:
                body["nextPageToken"] = encode_cursor(rows[size - 1])
            return Page(body)

        # maxAgeDays counts back from now: such a page changes with the clock, not only with the data.
        return page_response(request, build, kind="claims-search", cacheable=not data.get("maxAgeDays"))


# --- ClaimReview DataFeed -----------------------------------------------------------------------

FEED_PAGE_SIZE = 100


class ClaimReviewFeedView(ConsumerView):
    @extend_schema(
        operation_id="claimreview_feed",
        parameters=[*FILTER_PARAMETERS, *PAGE_PARAMETERS, *VALIDATOR_HEADERS],
        responses={
            (200, "application/ld+json"): OpenApiResponse(
                inline_serializer(
                    "ClaimReviewDataFeed",
                    {
                        "@context": serializers.CharField(),
                        "@type": serializers.CharField(),
                        "name": serializers.CharField(),
                        "url": serializers.URLField(),
                        "dateModified": serializers.DateTimeField(),
                        "dataFeedElement": serializers.ListField(child=serializers.DictField()),
                    },
                ),
                description="A schema.org DataFeed of DataFeedItems, each holding one ClaimReview. "
                'The next page, if any, is in the Link header (rel="next").',
            ),
            304: NOT_MODIFIED,
            **ERRORS,
        },
    )
    def get(self, request):
        """Every published verdict's ClaimReview as JSON-LD, 100 a page (``limit`` up to API_MAX_PAGE_SIZE).

        Retracted verdicts are left out: Google asks publishers to remove their markup.
        """
        size = page_size(request, default=FEED_PAGE_SIZE)
        raw_cursor = request.query_params.get("cursor")
        after = decode_cursor(raw_cursor) if raw_cursor else None

        def build() -> Page:
            verdicts = published_verdicts().filter(
                claim__status=ClaimStatus.PUBLISHED, retracted_at__isnull=True, slug__isnull=False
            )
            rows = list(keyset(filter_verdicts(verdicts, request.query_params), after)[: size + 1])
            changed = max((verdict.changed_at for verdict in rows), default=None)
            parts = (request.get_full_path(), *((verdict.pk, verdict.changed_at.isoformat()) for verdict in rows))
            bounds = scale_bounds()
            headers = {}
            if len(rows) > size:
                rows = rows[:size]
                next_url = replace_query_param(request.build_absolute_uri(), "cursor", encode_cursor(rows[-1]))
                headers["Link"] = f'<{next_url}>; rel="next"'
            elements = []
            for verdict in rows:
                markup = claimreview(verdict, bounds=bounds)
                markup.pop("@context", None)
                elements.append(
                    {
                        "@type": "DataFeedItem",
                        "dateCreated": verdict.published_at.isoformat(),
                        "dateModified": verdict.changed_at.isoformat(),
                        "item": [markup],
                    }
                )
            body = {
                "@context": "https://schema.org",
                "@type": "DataFeed",
                "name": f"{settings.ORGANIZATION_NAME}: fact-checks (ClaimReview)",
                "url": request.build_absolute_uri(),
                "dateModified": (changed or timezone.now()).isoformat(),
                "dataFeedElement": elements,
            }
            return Page(
                body, last_modified=changed, headers=headers, content_type="application/ld+json", etag_parts=parts
            )

        return page_response(request, build, kind="claimreview-feed")


# --- Export -------------------------------------------------------------------------------------

EXPORT_CHUNK = 500
CSV_COLUMNS = [
    "id",
    "url",
    "status",
    "claim_text",
    "claimant",
    "claim_date",
    "appearances",
    "language",
    "tags",
    "rating",
    "rating_label",
    "rating_value",
    "summary",
    "analysis",
    "published_at",
    "updated_at",
    "retracted_at",
    "version",
    "source_urls",
    "archived_urls",
    "corrections",
]


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_safe(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula, made inert by a leading apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(payload: dict[str, Any]) -> list[Any]:
    """One verdict as CSV cells; every text cell is neutralised for spreadsheets."""
    return [spreadsheet_safe(cell) for cell in _csv_cells(payload)]


def _csv_cells(payload: dict[str, Any]) -> list[Any]:
    claim, rating = payload["claim"], payload["rating"]
    return [
        payload["id"],
        payload["url"],
        payload["status"],
        claim["text"],
        claim["claimant"],
        claim["claim_date"] or "",
        " ".join(claim["appearances"]),
        payload["language"],
        ";".join(payload["tags"]),
        rating["slug"],
        rating["label"],
        "" if rating["value"] is None else rating["value"],
        payload["summary"],
        payload["analysis"],
        payload["published_at"],
        payload["updated_at"],
        payload["retracted_at"] or "",
        payload["version"],
        " ".join(source["url"] for source in payload["sources"]),
        " ".join(source["archived_url"] or "" for source in payload["sources"]),
        len(payload["corrections"]),
    ]


def export_lines(verdicts: QuerySet[Verdict], export_format: str) -> Iterator[str]:
    """The export, a few hundred rows at a time: a server-side cursor, never the whole table."""
    bounds = scale_bounds()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if export_format == "csv":
        writer.writerow(CSV_COLUMNS)
    for count, verdict in enumerate(verdicts.iterator(chunk_size=EXPORT_CHUNK), start=1):
        payload = verdict_payload(verdict, bounds=bounds)
        if export_format == "csv":
            writer.writerow(csv_row(payload))
        else:
            buffer.write(json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
            buffer.write("\n")
        if count % 100 == 0:  # hand the server a block of rows at a time
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


class FirstRendererNegotiation(BaseContentNegotiation):
    """No ``?format=`` override: on the export, ``format`` names the file format, not a renderer."""

    def select_parser(self, request, parsers: Iterable):
        return next(iter(parsers), None)

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


class ExportInput(serializers.Serializer):
    format = serializers.ChoiceField(choices=["csv", "jsonl"], default="jsonl")


class VerdictExportView(ConsumerView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        operation_id="verdicts_export",
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "jsonl"], description="Default: jsonl."),
            *FILTER_PARAMETERS,
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per verdict, with a header."),
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR, description="One verdict per line, as in /api/v1/verdicts/."
            ),
            **ERRORS,
        },
    )
    def get(self, request):
        """Every matching verdict (same filters as the list), streamed: no row cap, constant memory."""
        params = ExportInput(data={"format": request.query_params.get("format") or "jsonl"})
        params.is_valid(raise_exception=True)
        export_format = params.validated_data["format"]
        verdicts = keyset(filter_verdicts(published_verdicts(), request.query_params), None)
        content_type = "text/csv; charset=utf-8" if export_format == "csv" else "application/x-ndjson; charset=utf-8"
        response = StreamingHttpResponse(export_lines(verdicts, export_format), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="verdicts.{export_format}"'
        return response
