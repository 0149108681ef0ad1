"""``GET /api/v1/stats/``: the desk analytics as JSON, the same figures as ``/desk/analytics/``.

For editors and admins: a key with the ``read`` scope acting as one of them (``--user``), or their
session. ``StatsQueryInput`` is also what the page validates its filters with.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from claims.choices import Channel
from claims.intake.validation import validate_language
from reviews.analytics import DEFAULT_WEEKS, MAX_PERIOD_DAYS, StatsFilters, desk_stats_cached
from reviews.api.consumer import ERROR
from reviews.api.permissions import READ
from reviews.api.views import DeskView
from reviews.workflow import EDIT

# --- Input -------------------------------------------------------------------------------------


class StatsQueryInput(serializers.Serializer):
    """The filters: ``from`` and ``to`` (dates, both included; default the last 12 weeks), language, tag, channel."""

    to = serializers.DateField(required=False, allow_null=True, default=None)
    language = serializers.CharField(required=False, allow_blank=True, max_length=35, default="")
    tag = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True, default="")

    def get_fields(self) -> dict[str, serializers.Field]:
        # ``from`` is a Python keyword: declared here rather than as a class attribute.
        fields = super().get_fields()
        return {"from": serializers.DateField(required=False, allow_null=True, default=None), **fields}

    def validate_language(self, value: str) -> str:
        return validate_language(value) if value.strip() else ""

    def validate_tag(self, value: str) -> str:
        return " ".join(value.split()).lower()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        today = timezone.localdate()
        end = attrs["to"] or max(today, attrs["from"] or today)
        start = attrs["from"] or end - timedelta(days=7 * DEFAULT_WEEKS - 1)
        if start > end:
            raise serializers.ValidationError({"to": ["Must be on or after 'from'."]})
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise serializers.ValidationError({"from": [f"The period is at most {MAX_PERIOD_DAYS} days long."]})
        return {**attrs, "from": start, "to": end}

    def filters(self) -> StatsFilters:
        data = self.validated_data
        return StatsFilters(
            start=data["from"], end=data["to"], language=data["language"], tag=data["tag"], channel=data["channel"]
        )


# --- Output (documents the response; the figures are already JSON-ready) --------------------------


class StatsLeadTimeSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Claims that reached the milestone.")
    median_hours = serializers.FloatField(allow_null=True)
    p90_hours = serializers.FloatField(allow_null=True, help_text="90th percentile.")


class StatsMilestonesSerializer(serializers.Serializer):
    to_first_take = StatsLeadTimeSerializer(help_text="Intake to the first take or assignment.")
    to_submission = StatsLeadTimeSerializer(help_text="Intake to the first submitted verdict.")
    to_publication = StatsLeadTimeSerializer(help_text="Intake to publication.")


class StatsWeekMilestonesSerializer(StatsMilestonesSerializer):
    week = serializers.DateField(help_text="Monday of the week.")


class StatsDurationsSerializer(serializers.Serializer):
    overall = StatsMilestonesSerializer()
    weeks = StatsWeekMilestonesSerializer(many=True)


class StatsStateCountSerializer(serializers.Serializer):
    state = serializers.CharField(help_text="new, assigned or submitted.")
    label = serializers.CharField()
    count = serializers.IntegerField()


class StatsAgeBucketSerializer(serializers.Serializer):
    bucket = serializers.CharField(help_text="lt_1d, 1_3d, 3_7d, 7_30d or gt_30d.")
    label = serializers.CharField()
    new = serializers.IntegerField()
    assigned = serializers.IntegerField()
    submitted = serializers.IntegerField()
    total = serializers.IntegerField()


class StatsBacklogWeekSerializer(serializers.Serializer):
    week = serializers.DateField()
    received = serializers.IntegerField()
    closed = serializers.IntegerField(help_text="Published or dismissed.")
    reopened = serializers.IntegerField()
    backlog = serializers.IntegerField(help_text="Open claims at the end of the week.")


class StatsBacklogSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Open claims now (new, assigned, submitted).")
    by_state = StatsStateCountSerializer(many=True)
    by_age = StatsAgeBucketSerializer(many=True)
    trend = StatsBacklogWeekSerializer(many=True)


class StatsRatingCountSerializer(serializers.Serializer):
    slug = serializers.CharField()
    label = serializers.CharField()
    colour = serializers.CharField()
    count = serializers.IntegerField()


class StatsPublishedWeekSerializer(serializers.Serializer):
    week = serializers.DateField()
    total = serializers.IntegerField()
    by_rating = serializers.DictField(child=serializers.IntegerField(), help_text="Rating slug to count.")


class StatsPublishedSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    ratings = StatsRatingCountSerializer(many=True)
    weeks = StatsPublishedWeekSerializer(many=True)


class StatsSendBackBucketSerializer(serializers.Serializer):
    send_backs = serializers.CharField(help_text="Times sent back: 0, 1, 2 or 3+.")
    verdicts = serializers.IntegerField()


class StatsSendBacksSerializer(serializers.Serializer):
    verdicts = serializers.IntegerField(help_text="Verdicts submitted in the period.")
    send_backs = serializers.IntegerField()
    per_verdict = serializers.FloatField(allow_null=True)
    distribution = StatsSendBackBucketSerializer(many=True)


class StatsCorrectionWeekSerializer(serializers.Serializer):
    week = serializers.DateField()
    corrections = serializers.IntegerField()
    retractions = serializers.IntegerField()


class StatsCorrectionsSerializer(serializers.Serializer):
    corrections = serializers.IntegerField()
    retractions = serializers.IntegerField()
    proposed_waiting = serializers.IntegerField(help_text="Proposed corrections waiting for a second editor now.")
    weeks = StatsCorrectionWeekSerializer(many=True)


class StatsPersonFiguresSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    languages = serializers.ListField(child=serializers.CharField())
    in_hand = serializers.IntegerField(help_text="Active assignments now.")
    submitted = serializers.IntegerField(help_text="Verdicts submitted in the period.")
    approved = serializers.IntegerField(help_text="Their verdicts approved in the period.")
    approvals_given = serializers.IntegerField(help_text="Verdicts they approved in the period.")


class StatsLanguageFiguresSerializer(serializers.Serializer):
    language = serializers.CharField()
    waiting = serializers.IntegerField(help_text="New claims now.")
    in_progress = serializers.IntegerField(help_text="Assigned or submitted claims now.")
    people = serializers.IntegerField(help_text="People who work in the language.")
    covered = serializers.BooleanField()


class StatsChannelCountSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()


class StatsIntakeWeekSerializer(serializers.Serializer):
    week = serializers.DateField()
    total = serializers.IntegerField()
    by_channel = serializers.DictField(child=serializers.IntegerField())


class StatsIntakeSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    channels = StatsChannelCountSerializer(many=True)
    weeks = StatsIntakeWeekSerializer(many=True)


class StatsMatchWeekSerializer(serializers.Serializer):
    week = serializers.DateField()
    duplicates = serializers.IntegerField()
    similar = serializers.IntegerField()


class StatsMatchesSerializer(serializers.Serializer):
    duplicates = serializers.IntegerField()
    similar = serializers.IntegerField()
    claims_with_match = serializers.IntegerField()
    weeks = StatsMatchWeekSerializer(many=True)


class StatsFetchStatusCountSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class StatsAttemptCountSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class StatsHostSerializer(serializers.Serializer):
    host = serializers.CharField()
    attempts = serializers.IntegerField()
    avg_ms = serializers.FloatField()
    max_ms = serializers.IntegerField()


class StatsSourcesSerializer(serializers.Serializer):
    by_status = StatsFetchStatusCountSerializer(
        many=True, help_text="Sources first cited in the period, by status now."
    )
    attempts = StatsAttemptCountSerializer(many=True, help_text="Fetch attempts in the period, by outcome.")
    slowest_hosts = StatsHostSerializer(many=True)


class StatsFiltersSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "language": serializers.CharField(allow_null=True),
            "tag": serializers.CharField(allow_null=True),
            "channel": serializers.CharField(allow_null=True),
        }


class StatsSerializer(serializers.Serializer):
    filters = StatsFiltersSerializer()
    person = serializers.CharField(allow_null=True, help_text="Set when the figures are one person's.")
    weeks = serializers.ListField(child=serializers.DateField(), help_text="Monday of each week of the period.")
    backlog = StatsBacklogSerializer()
    durations = StatsDurationsSerializer()
    published = StatsPublishedSerializer()
    send_backs = StatsSendBacksSerializer()
    corrections = StatsCorrectionsSerializer()
    people = StatsPersonFiguresSerializer(many=True)
    languages = StatsLanguageFiguresSerializer(many=True)
    intake = StatsIntakeSerializer()
    matches = StatsMatchesSerializer()
    sources = StatsSourcesSerializer()


# --- View --------------------------------------------------------------------------------------


class StatsView(DeskView):
    required_scopes = {"read": READ}
    desk_permission = EDIT

    @extend_schema(
        operation_id="stats_retrieve",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: 12 weeks before `to`)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included (default: today)."),
            OpenApiParameter("language", str, description="A language tag; en also matches en-GB."),
            OpenApiParameter("tag", str),
            OpenApiParameter("channel", str, enum=Channel.values),
        ],
        responses={
            200: StatsSerializer,
            400: OpenApiResponse(ERROR, description="Invalid filters; `fields` names them"),
            403: OpenApiResponse(ERROR, description="Not an editor's key or session"),
        },
    )
    def get(self, request: Request) -> Response:
        """Desk analytics for editors: backlog, lead times, verdicts, corrections, load, intake, sources."""
        query = StatsQueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(desk_stats_cached(query.filters()))
