"""Output shapes of claims and sources. Input rules live in ``claims.intake.validation``."""

from __future__ import annotations

import copy
from functools import cached_property
from typing import ClassVar

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.choices import MatchKind
from claims.intake.validation import PriorityField
from claims.models import ApiKey, Citation, Claim, Snapshot, Source

SOURCE_FIELDS = [
    "id",
    "url",
    "canonical_url",
    "fetch_status",
    "error",
    "http_status",
    "final_url",
    "content_type",
    "title",
    "author",
    "published_date",
    "text",
    "fetched_at",
    "sha256",
    "attempts",
    "snapshot_url",
]


class FieldsBuiltOnce:
    """Build a ModelSerializer's fields once per class, then copy them for each instance.

    ModelSerializer introspects the model for every instance it makes; for a response
    that is most of its cost. The copy is DRF's own (``Field.__deepcopy__``, as for
    declared fields), so each instance still binds fields of its own.
    """

    _built_fields: ClassVar[dict[type, dict[str, serializers.Field]]] = {}

    def get_fields(self) -> dict[str, serializers.Field]:
        built = FieldsBuiltOnce._built_fields.get(type(self))
        if built is None:
            built = FieldsBuiltOnce._built_fields[type(self)] = super().get_fields()
        return copy.deepcopy(built)


class SourceSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    snapshot_url = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = SOURCE_FIELDS
        read_only_fields = SOURCE_FIELDS

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_snapshot_url(self, source: Source) -> str | None:
        if source.fetched_at is None:
            return None
        path = reverse("api:source-snapshot", args=[source.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class SourceSummarySerializer(SourceSerializer):
    """A source without its extracted text, for listings."""

    class Meta(SourceSerializer.Meta):
        fields = [name for name in SOURCE_FIELDS if name != "text"]
        read_only_fields = fields


class CitationSerializer(serializers.Serializer):
    """A source as cited by one claim: the source's fields plus the citing context.

    One instance serves every citation of a response (``to_representation`` per citation):
    building a ModelSerializer's fields costs far more than using them.
    """

    def __init__(self, *args, summary: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.summary = summary

    @cached_property
    def source_serializer(self) -> SourceSerializer:
        serializer_class = SourceSummarySerializer if self.summary else SourceSerializer
        return serializer_class(context=self.context)

    def to_representation(self, citation: Citation) -> dict:
        data = self.source_serializer.to_representation(citation.source)
        data["context"] = citation.context
        return data


class ClaimSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    appeared_at = serializers.CharField(read_only=True, help_text="Where the claim appeared (a URL), or empty.")
    priority = PriorityField()
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    submitter = serializers.CharField(read_only=True)
    sources = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "text",
            "claimant",
            "claim_date",
            "appeared_at",
            "language",
            "tags",
            "priority",
            "channel",
            "status",
            "submitter",
            "created_at",
            "updated_at",
            "sources",
        ]
        read_only_fields = fields

    summary_sources = False
    include_extensions = True

    @cached_property
    def citation_serializer(self) -> CitationSerializer:
        """Shared by every claim this serializer shows (a listing's child serializes a whole page)."""
        return CitationSerializer(summary=self.summary_sources, context=self.context)

    @extend_schema_field(SourceSerializer(many=True))
    def get_sources(self, claim: Claim) -> list[dict]:
        serializer = self.citation_serializer
        return [serializer.to_representation(citation) for citation in claim.citations.all()]

    def to_representation(self, claim: Claim) -> dict:
        data = super().to_representation(claim)
        if not self.include_extensions:
            return data
        for name, extend in CLAIM_EXTENSIONS.items():
            data[name] = extend(claim, self.context)
        return data


# Fields other apps add to a claim's API representation (claims must not import them).
CLAIM_EXTENSIONS: dict = {}


def register_claim_extension(name: str, extend) -> None:
    """``extend(claim, context) -> JSON-able`` adds field ``name`` to every claim the API shows."""
    CLAIM_EXTENSIONS[name] = extend


class ClaimListSerializer(ClaimSerializer):
    """Claims in a listing carry their sources without extracted text."""

    summary_sources = True
    include_extensions = False  # listings stay one query per page; details carry the extensions

    @extend_schema_field(SourceSummarySerializer(many=True))
    def get_sources(self, claim: Claim) -> list[dict]:
        return super().get_sources(claim)


class ClaimCreatedSerializer(ClaimSerializer):
    """The answer to a submission: the claim as stored, its sources and ``duplicate``.

    Without the extensions of other apps (e.g. ``workflow``): a new claim has none yet beyond
    its ``status``, and intake stays cheap; ``GET /api/v1/claims/{id}/`` carries them.
    """

    include_extensions = False
    duplicate = serializers.BooleanField(read_only=True)

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "duplicate"]
        read_only_fields = fields


class SnapshotSerializer(serializers.ModelSerializer):
    view_url = serializers.SerializerMethodField()

    class Meta:
        model = Snapshot
        fields = [
            "id",
            "fetched_at",
            "http_status",
            "final_url",
            "content_type",
            "charset",
            "headers",
            "raw_size",
            "sha256",
            "title",
            "author",
            "published_date",
            "view_url",
        ]
        read_only_fields = fields

    def get_view_url(self, snapshot: Snapshot) -> str:
        path = reverse("api:source-snapshot", args=[snapshot.source_id]) + f"?snapshot={snapshot.pk}"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "duplicate", "error"])
    id = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField()


class ImportReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = serializers.IntegerField()
    rows = ImportRowSerializer(many=True)


class WhoAmISerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["api_key", "session"])
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    user = serializers.CharField(allow_null=True)


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class SimilarClaimSerializer(serializers.Serializer):
    """An earlier claim that says the same thing (duplicate) or something close (similar)."""

    claim_id = serializers.IntegerField()
    verdict_id = serializers.IntegerField(required=False, help_text="Its published verdict, if it has one.")
    verdict_url = serializers.URLField(required=False, help_text="The verdict's public page.")
    rating = serializers.CharField(required=False, help_text="The published verdict's rating label.")
    text = serializers.CharField()
    score = serializers.FloatField(help_text="0–1; see MATCH_DUPLICATE_THRESHOLD and MATCH_SIMILAR_THRESHOLD.")
    kind = serializers.ChoiceField(choices=MatchKind.choices)


class SimilarQuerySerializer(serializers.Serializer):
    """What to match: ``GET /api/v1/claims/similar/`` and ``/api/v1/verdicts/match/``."""

    text = serializers.CharField(max_length=5000, help_text="The claim as worded where you found it.")
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)
    language = serializers.CharField(max_length=35, required=False, help_text="BCP 47; default en.")
