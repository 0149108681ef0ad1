"""Query filters for claim and source listings (django-filter)."""

import django_filters

from claims.choices import Channel, ClaimStatus, FetchStatus
from claims.models import Claim, Source


class ClaimFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ClaimStatus.choices)
    language = django_filters.CharFilter(field_name="language", lookup_expr="iexact")
    tag = django_filters.CharFilter(method="filter_tag", label="Tag")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    q = django_filters.CharFilter(method="filter_text", label="Text search")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Claim
        fields = ["status", "language", "tag", "channel", "q", "created_after", "created_before"]

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__name=" ".join(value.split()).lower())

    def filter_text(self, queryset, name, value):
        for word in value.split()[:10]:
            queryset = queryset.filter(text__icontains=word)
        return queryset


class SourceFilterSet(django_filters.FilterSet):
    fetch_status = django_filters.ChoiceFilter(choices=FetchStatus.choices)
    claim = django_filters.NumberFilter(field_name="citations__claim_id")

    class Meta:
        model = Source
        fields = ["fetch_status", "claim"]
