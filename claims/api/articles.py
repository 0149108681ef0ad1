"""Articles API: submit an article, read its candidate claims, accept or dismiss them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from claims.api.checkworthiness import WorthinessReasonSerializer
from claims.api.errors import Conflict
from claims.api.pagination import NewestFirstCursorPagination
from claims.api.parsers import LimitedJSONParser
from claims.api.serializers import ClaimCreatedSerializer, SimilarClaimSerializer
from claims.api.views import _actor
from claims.articles.services import (
    ARTICLE_MAX_BODY_BYTES,
    ArticleInput,
    CandidateDecided,
    article_candidates,
    article_submit,
    candidate_accept,
    candidate_dismiss,
)
from claims.choices import ApiScope
from claims.intake.validation import InvalidInput, StrictInput, TextField, error_messages
from claims.models import Article, ArticleCandidate

_TRUE = {"1", "true", "yes", "on"}


class CandidateSerializer(serializers.ModelSerializer):
    reasons = WorthinessReasonSerializer(many=True, read_only=True)
    matches = SimilarClaimSerializer(many=True, read_only=True)
    links = serializers.ListField(child=serializers.URLField(), read_only=True)
    claim_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = ArticleCandidate
        fields = [
            "id",
            "sentence",
            "paragraph",
            "position",
            "score",
            "reasons",
            "speaker",
            "links",
            "status",
            "claim_id",
            "matches",
        ]
        read_only_fields = fields


ARTICLE_FIELDS = [
    "id",
    "url",
    "final_url",
    "title",
    "author",
    "outlet",
    "published_date",
    "language",
    "status",
    "error",
    "created_at",
    "processed_at",
]


class ArticleSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Article
        fields = ARTICLE_FIELDS
        read_only_fields = fields


class ArticleSerializer(ArticleSummarySerializer):
    candidates = serializers.SerializerMethodField()

    class Meta(ArticleSummarySerializer.Meta):
        fields = [*ARTICLE_FIELDS, "candidates"]
        read_only_fields = fields

    @extend_schema_field(CandidateSerializer(many=True))
    def get_candidates(self, article: Article) -> list[dict]:
        include_all = bool(self.context.get("include_all"))
        return CandidateSerializer(article_candidates(article, include_all=include_all), many=True).data


class CandidateAcceptInput(StrictInput):
    text = TextField(required=False, trim_whitespace=False, help_text="The claim as worded by the editor.")


class ArticleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Articles read for check-worthy sentences, which editors accept as claims or dismiss."""

    lookup_value_converter = "int"  # a non-numeric id is a 404 in the URL, never a query

    required_scopes = {"read": ApiScope.READ, "write": ApiScope.INTAKE}
    pagination_class = NewestFirstCursorPagination
    parser_classes = [LimitedJSONParser]
    max_body_bytes = ARTICLE_MAX_BODY_BYTES

    def get_queryset(self):
        return Article.objects.all()

    def get_serializer_class(self):
        return ArticleSummarySerializer if self.action == "list" else ArticleSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["include_all"] = self.request.query_params.get("all", "").lower() in _TRUE
        return context

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "all", bool, description="Include sentences below the check-worthiness threshold (default: no)."
            )
        ]
    )
    def retrieve(self, request, *args, **kwargs):
        """The article with its candidate sentences, most check-worthy first."""
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=ArticleInput, responses={202: ArticleSerializer})
    def create(self, request):
        """Submit a URL to fetch, or HTML or text; it is read in the background (poll its ``status``)."""
        user, key = _actor(request)
        article = article_submit(request.data, user=user, api_key=key)
        body = ArticleSerializer(article, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=CandidateAcceptInput,
        responses={
            201: ClaimCreatedSerializer,
            200: OpenApiResponse(ClaimCreatedSerializer, description="Accepted before, or a duplicate of a claim"),
            409: OpenApiResponse(description="The candidate was dismissed"),
        },
    )
    @action(detail=True, methods=["post"], url_path="candidates/<int:cid>/accept")
    def accept(self, request, pk=None, cid=None):
        """Make the candidate a claim (optionally reworded); accepting again returns the same claim."""
        serializer = CandidateAcceptInput(data=request.data or {})
        if not serializer.is_valid():
            raise InvalidInput(error_messages(serializer.errors))
        user, key = _actor(request)
        try:
            accepted = candidate_accept(
                int(pk), int(cid), text=serializer.validated_data.get("text"), user=user, api_key=key
            )
        except ArticleCandidate.DoesNotExist as exc:
            raise exceptions.NotFound() from exc
        except CandidateDecided as exc:
            raise Conflict(exc.message) from exc
        claim = accepted.claim
        claim.duplicate = not accepted.created
        body = ClaimCreatedSerializer(claim, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if accepted.created else status.HTTP_200_OK)

    @extend_schema(request=None, responses={200: CandidateSerializer, 409: OpenApiResponse(description="Accepted")})
    @action(detail=True, methods=["post"], url_path="candidates/<int:cid>/dismiss")
    def dismiss(self, request, pk=None, cid=None):
        """Mark the candidate not worth checking; dismissing again changes nothing."""
        user, key = _actor(request)
        try:
            candidate = candidate_dismiss(int(pk), int(cid), user=user, api_key=key)
        except ArticleCandidate.DoesNotExist as exc:
            raise exceptions.NotFound() from exc
        except CandidateDecided as exc:
            raise Conflict(exc.message) from exc
        return Response(CandidateSerializer(candidate).data)
