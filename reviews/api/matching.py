"""Matching on the review side of the API: published verdicts matching a text, and reusing one."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from claims.api.serializers import SimilarClaimSerializer, SimilarQuerySerializer
from claims.api.views import similar_to_query
from claims.intake.validation import StrictInput
from reviews.api.consumer import ConsumerView
from reviews.api.serializers import TransitionResultSerializer
from reviews.api.views import DeskView, _claim_body, _input
from reviews.matching import verdict_reuse


class VerdictMatchSerializer(SimilarClaimSerializer):
    verdict_id = serializers.IntegerField(help_text="The published verdict on the matched claim.")
    verdict_url = serializers.URLField(help_text="Its public page.")
    rating = serializers.CharField()


class VerdictMatchView(ConsumerView):
    @extend_schema(
        operation_id="verdicts_match", parameters=[SimilarQuerySerializer], responses=VerdictMatchSerializer(many=True)
    )
    def get(self, request) -> Response:
        """Published verdicts on claims that say what ``text`` says, in other words too, best first."""
        rows = similar_to_query(request.query_params, published_only=True)
        return Response([row for row in rows if "verdict_id" in row])  # a retracted verdict is not shown


class ReuseInput(StrictInput):
    claim_id = serializers.IntegerField(help_text="The earlier claim whose published verdict this claim reuses.")
    confirm = serializers.BooleanField(
        default=False,
        help_text="Reuse even though the matcher did not link the two claims: you checked that they say the same "
        "thing. Recorded on the audit row.",
    )


class VerdictReuseView(DeskView):
    desk_permission = None  # the draft and submit services check the assignee

    @extend_schema(
        request=ReuseInput,
        responses={
            200: TransitionResultSerializer,
            409: OpenApiResponse(
                description="No published verdict to reuse, the claims are not linked as a match (and `confirm` "
                "is false), or the claim is not assigned to you."
            ),
        },
    )
    def post(self, request, pk: int) -> Response:
        """Submit an earlier claim's published verdict as this claim's verdict, for an editor's approval."""
        data = _input(ReuseInput, request)
        claim = verdict_reuse(request.user, pk, data["claim_id"], confirmed=data["confirm"])
        return Response({"state": claim.status, "claim": _claim_body(request, pk)})
