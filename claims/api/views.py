"""Claims and sources API: parse input, call one service, render output."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.api.errors import Conflict
from claims.api.pagination import NewestFirstCursorPagination
from claims.api.parsers import CSVParser, LimitedJSONParser, RequestTooLarge
from claims.api.serializers import (
    ClaimCreatedSerializer,
    ClaimListSerializer,
    ClaimSerializer,
    ImportReportSerializer,
    SimilarClaimSerializer,
    SimilarQuerySerializer,
    SnapshotSerializer,
    SourceSerializer,
    SourceSummarySerializer,
    WhoAmISerializer,
)
from claims.choices import ApiScope, Channel
from claims.filtersets import ClaimFilterSet, SourceFilterSet
from claims.intake.idempotency import IdempotencyKeyReused, request_fingerprint, run_once
from claims.intake.importing import rows_from_data, rows_from_file
from claims.intake.services import claim_submit, claims_import
from claims.intake.validation import ClaimInput, InvalidInput
from claims.matching.services import find_similar, matches_as_dicts
from claims.models import ApiKey, Claim, Source
from claims.sources.snapshots import snapshot_response
from factcheck.input import checks_control_characters_itself


def _actor(request) -> tuple[object | None, ApiKey | None]:
    key = request.auth if isinstance(request.auth, ApiKey) else None
    user = request.user if request.user and request.user.is_authenticated else None
    return user, key


def _owner(request) -> str:
    user, key = _actor(request)
    return f"key:{key.pk}" if key else f"user:{user.pk}"


def similar_to_query(params, *, published_only: bool = False) -> list[dict]:
    """Validate ``text``, ``limit`` and ``language`` (400 naming the field) and match the text."""
    query = SimilarQuerySerializer(data=params)
    query.is_valid(raise_exception=True)
    found = find_similar(
        query.validated_data["text"],
        limit=query.validated_data["limit"],
        language=query.validated_data.get("language"),
        published_only=published_only,
    )
    return matches_as_dicts(found)


class ClaimViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Submit claims with their cited sources, and read them back."""

    lookup_value_converter = "int"  # a non-numeric id is a 404 in the URL, never a query

    required_scopes = {"read": ApiScope.READ, "write": ApiScope.INTAKE}
    pagination_class = NewestFirstCursorPagination
    filterset_class = ClaimFilterSet
    parser_classes = [LimitedJSONParser]
    max_body_bytes: int | None = None  # None: DATA_UPLOAD_MAX_MEMORY_SIZE

    def get_queryset(self):
        return Claim.objects.with_sources()

    def get_serializer_class(self):
        return ClaimListSerializer if self.action == "list" else ClaimSerializer

    @extend_schema(
        request=ClaimInput,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Retrying with the same key returns the first response instead of acting twice.",
            )
        ],
        responses={
            201: ClaimCreatedSerializer,
            200: OpenApiResponse(ClaimCreatedSerializer, description="Exact duplicate of an existing claim"),
        },
    )
    def create(self, request):
        """Submit a claim; an exact duplicate returns the existing claim with ``duplicate: true``."""
        payload = request.data
        user, key = _actor(request)

        def submit() -> tuple[int, dict]:
            result = claim_submit(payload, channel=Channel.API, user=user, api_key=key)
            claim = result.claim  # a new claim comes with the tags and citations just written
            if result.duplicate:  # an existing claim: show all its tags and sources, not only those sent now
                claim = Claim.objects.with_sources().get(pk=claim.pk)
            claim.duplicate = result.duplicate
            body = ClaimCreatedSerializer(claim, context={"request": request}).data
            return (status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED), body

        idempotency_key = request.headers.get("Idempotency-Key", "").strip()
        if not idempotency_key:
            code, body = submit()
            return Response(body, status=code)
        if len(idempotency_key) > 255:
            raise InvalidInput({"Idempotency-Key": ["At most 255 characters."]})
        try:
            code, body, replayed = run_once(_owner(request), idempotency_key, request_fingerprint(payload), submit)
        except IdempotencyKeyReused as exc:
            raise Conflict("This Idempotency-Key was already used with a different request body.") from exc
        response = Response(body, status=code)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(
        request={
            "text/csv": OpenApiTypes.STR,
            "application/json": inline_serializer("ImportRows", {"claims": ClaimInput(many=True)}),
            "multipart/form-data": inline_serializer("ImportUpload", {"file": serializers.FileField()}),
        },
        responses={200: ImportReportSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[CSVParser, LimitedJSONParser, MultiPartParser, FormParser],
        max_body_bytes=settings.IMPORT_MAX_BYTES,
    )
    @checks_control_characters_itself  # a bad row is that row's error, not the whole import's
    def import_(self, request):
        """Bulk import (CSV or JSON, up to IMPORT_MAX_ROWS rows); each row accepted or refused on its own."""
        data = request.data
        if isinstance(data, str) or request.content_type.startswith("text/csv"):  # text/csv body (maybe empty)
            rows = rows_from_file(data if isinstance(data, str) else "", content_type="text/csv")
        elif hasattr(data, "getlist"):  # multipart upload
            upload = request.FILES.get("file")
            if upload is None:
                raise InvalidInput({"file": ["Upload the CSV or JSON file in a field named 'file'."]})
            if upload.size > settings.IMPORT_MAX_BYTES:
                raise RequestTooLarge()
            rows = rows_from_file(upload.read(), name=upload.name, content_type=upload.content_type or "")
        else:
            rows = rows_from_data(data)
        user, key = _actor(request)
        reports = claims_import(rows, user=user, api_key=key)
        body = {
            "created": sum(r.status == "created" for r in reports),
            "duplicates": sum(r.status == "duplicate" for r in reports),
            "errors": sum(r.status == "error" for r in reports),
            "rows": [r.as_dict() for r in reports],
        }
        return Response(body)

    @extend_schema(
        operation_id="claims_similar_to_text",
        parameters=[SimilarQuerySerializer],
        responses=SimilarClaimSerializer(many=True),
    )
    @action(detail=False, methods=["get"], url_path="similar", pagination_class=None, filter_backends=[])
    def similar_to_text(self, request) -> Response:
        """Claims already in the desk that say what ``text`` says, in other words too, best first."""
        return Response(similar_to_query(request.query_params))

    @extend_schema(
        operation_id="claims_similar",
        parameters=[
            OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 50}, description="1–50, default 10.")
        ],
        responses=SimilarClaimSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def similar(self, request, pk=None) -> Response:
        """Other claims that say what this one says, best first."""
        claim = get_object_or_404(Claim.objects.only("id", "text", "language"), pk=pk)
        query = SimilarQuerySerializer(data={"text": claim.text[:5000], "limit": request.query_params.get("limit", 10)})
        query.is_valid(raise_exception=True)
        found = find_similar(
            claim.text, limit=query.validated_data["limit"], language=claim.language, exclude_claim_id=claim.pk
        )
        return Response(matches_as_dicts(found))


class SourceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cited sources, their fetch status, extracted text and preserved snapshots."""

    lookup_value_converter = "int"  # a non-numeric id is a 404 in the URL, never a query

    required_scopes = {"read": ApiScope.READ}
    pagination_class = NewestFirstCursorPagination
    filterset_class = SourceFilterSet

    def get_queryset(self):
        return Source.objects.all()

    def get_serializer_class(self):
        return SourceSummarySerializer if self.action == "list" else SourceSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("snapshot", int, description="A snapshot id from /snapshots/ (default: the latest)."),
            OpenApiParameter(
                "view",
                str,
                enum=["html", "text", "raw"],
                description="html: the page with scripts removed, in a sandbox; text: extracted text; raw: download.",
            ),
        ],
        responses={(200, "text/html"): OpenApiTypes.STR, (200, "text/plain"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"])
    def snapshot(self, request, pk=None) -> HttpResponse:
        """The preserved copy of the page, shown so that none of its scripts can run."""
        source = self.get_object()
        snapshots = source.snapshots.all()
        snapshot_id = request.query_params.get("snapshot")
        if snapshot_id:
            if not snapshot_id.isdigit():
                raise InvalidInput({"snapshot": ["A snapshot id is a number."]})
            snapshot = get_object_or_404(snapshots, pk=int(snapshot_id))
        else:
            snapshot = snapshots.first()
            if snapshot is None:
                raise Conflict(f"This source has no snapshot yet (fetch status: {source.fetch_status}).")
        view = request.query_params.get("view", "html")
        if view not in {"html", "text", "raw"}:
            raise InvalidInput({"view": ["Choose html, text or raw."]})
        return snapshot_response(snapshot, view)

    @extend_schema(responses=SnapshotSerializer(many=True))
    @action(detail=True, methods=["get"])
    def snapshots(self, request, pk=None) -> Response:
        """Every preserved copy of the source, newest first."""
        source = self.get_object()
        return Response(SnapshotSerializer(source.snapshots.all(), many=True, context={"request": request}).data)


class WhoAmIView(APIView):
    """Who the API thinks you are, and what you may do: handy to check a new key."""

    required_scopes = None

    @extend_schema(responses=WhoAmISerializer)
    def get(self, request) -> Response:
        user, key = _actor(request)
        if key is not None:
            body = {"kind": "api_key", "name": key.name, "scopes": key.scopes, "user": user and user.get_username()}
        else:
            body = {"kind": "session", "name": user.get_username(), "scopes": ["*"], "user": user.get_username()}
        return Response(body)
