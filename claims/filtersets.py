"""Query filters for claim and source listings (django-filter)."""

from datetime import UTC

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from claims.choices import Channel, ClaimStatus, FetchStatus
from claims.models import Claim, Source

MAX_ID = 2**63 - 1  # PostgreSQL's bigint: a larger id is refused here, not by the database (a 500)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An object's id: a whole number the database can hold."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


class ClaimFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ClaimStatus.choices)
    language = django_filters.CharFilter(field_name="language", lookup_expr="iexact")
    tag = django_filters.CharFilter(method="filter_tag", label="Tag")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    q = django_filters.CharFilter(method="filter_text", label="Text search")
    created_after = django_filters.IsoDateTimeFilter(method="filter_created", label="Created at or after")
    created_before = django_filters.IsoDateTimeFilter(method="filter_created", label="Created before")

    class Meta:
        model = Claim
        fields = ["status", "language", "tag", "channel", "q", "created_after", "created_before"]

    def filter_created(self, queryset, name, value):
        # In UTC before it reaches the database: PostgreSQL refuses offsets beyond ±15:59.
        try:
            moment = value.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise ValidationError({name: ["This date and time is out of range."]}) from exc
        lookup = "created_at__gte" if name == "created_after" else "created_at__lt"
        return queryset.filter(**{lookup: moment})

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__name=" ".join(value.split()).lower())

    def filter_text(self, queryset, name, value):
        for word in value.split()[:10]:
            queryset = queryset.filter(text__icontains=word)
        return queryset


class SourceFilterSet(django_filters.FilterSet):
    fetch_status = django_filters.ChoiceFilter(choices=FetchStatus.choices)
    claim = IdFilter(field_name="citations__claim_id")

    class Meta:
        model = Source
        fields = ["fetch_status", "claim"]
