"""Workflow API: parse input, call one workflow service, render output.

Domain errors become API errors in ``WorkflowErrorsMixin`` (409 state, 403 person,
400 content, 404 claim); who may call what is decided in ``DeskAccess`` and the services.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.api.pagination import NewestFirstCursorPagination
from claims.api.parsers import LimitedJSONParser
from claims.api.serializers import ClaimListSerializer, ClaimSerializer
from claims.choices import Channel
from claims.models import Claim
from reviews import selectors, workflow
from reviews.api.errors import WorkflowErrorsMixin
from reviews.api.pagination import QueueCursorPagination
from reviews.api.permissions import READ, REVIEW, DeskAccess
from reviews.api.serializers import (
    AssignInput,
    BulkAssignInput,
    CorrectInput,
    CorrectResultSerializer,
    EventSerializer,
    LoadSerializer,
    MergeInput,
    MyClaimSerializer,
    RatingSerializer,
    TransitionInput,
    TransitionResultSerializer,
    VerdictInput,
    VerdictSerializer,
)
from reviews.choices import Action
from reviews.models import Rating

SCOPES = {"read": READ, "write": REVIEW}


class DeskView(WorkflowErrorsMixin, APIView):
    permission_classes = [DeskAccess]
    parser_classes = [LimitedJSONParser]
    required_scopes = SCOPES
    user_required = True
    desk_permission: str | None = workflow.WORK


def _input(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _claim_body(request, claim_id: int) -> dict:
    claim = Claim.objects.with_sources().get(pk=claim_id)
    return ClaimSerializer(claim, context={"request": request}).data


def _bool_param(request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in {"true", "1", "yes"}:
        return True
    if raw.lower() in {"false", "0", "no"}:
        return False
    raise ValidationError({name: ["Use true or false."]})


class QueueView(WorkflowErrorsMixin, generics.ListAPIView):
    """New claims waiting for a fact-checker: most urgent first, then oldest."""

    permission_classes = [DeskAccess]
    required_scopes = SCOPES
    serializer_class = ClaimListSerializer
    pagination_class = QueueCursorPagination
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("language", str, description="Comma-separated language tags; en also matches en-GB."),
            OpenApiParameter("tag", str),
            OpenApiParameter("channel", str, enum=Channel.values),
            OpenApiParameter("has_sources_fetched", bool, description="true: no cited source is still waiting."),
            OpenApiParameter("limit", int),
            OpenApiParameter("cursor", str),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        channel = params.get("channel") or None
        if channel is not None and channel not in Channel.values:
            raise ValidationError({"channel": [f"Choose one of: {', '.join(Channel.values)}."]})
        languages = [lang.strip() for lang in params.get("language", "").split(",") if lang.strip()]
        return selectors.queue_claims(
            languages=languages[:20],
            tag=params.get("tag") or None,
            channel=channel,
            has_sources_fetched=_bool_param(self.request, "has_sources_fetched"),
        )


class QueueTakeView(DeskView):
    desk_permission = None  # the service says who may take

    @extend_schema(
        request=None,
        responses={200: ClaimSerializer, 204: OpenApiResponse(description="The queue is empty for you.")},
    )
    def post(self, request) -> Response:
        """Take the top queued claim in your languages; it is assigned to you."""
        claim = workflow.claim_take_next(request.user)
        if claim is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        # The claim in hand is current (locked, then updated) and carries its new assignment:
        # only its tags and sources are left to load.
        return Response(ClaimSerializer(selectors.claim_sources_load(claim), context={"request": request}).data)


class MyClaimsView(WorkflowErrorsMixin, generics.ListAPIView):
    """Your active assignments, newest first."""

    permission_classes = [DeskAccess]
    required_scopes = SCOPES
    user_required = True
    serializer_class = MyClaimSerializer
    pagination_class = NewestFirstCursorPagination
    filter_backends: list = []

    def get_queryset(self):
        return selectors.my_assignments(self.request.user)


class LoadView(DeskView):
    desk_permission = workflow.EDIT

    @extend_schema(responses=LoadSerializer(many=True))
    def get(self, request) -> Response:
        """Every person who works on claims, with their number of active assignments."""
        return Response(LoadSerializer(selectors.factcheckers_with_load(), many=True).data)


class RatingsView(DeskView):
    user_required = False
    desk_permission = None

    @extend_schema(responses=RatingSerializer(many=True))
    def get(self, request) -> Response:
        """The rating scale, in order."""
        return Response(RatingSerializer(Rating.objects.filter(active=True), many=True).data)


class ClaimAssignView(DeskView):
    desk_permission = None

    @extend_schema(operation_id="claim_assign", request=AssignInput, responses=ClaimSerializer)
    def post(self, request, pk: int) -> Response:
        """Assign (or reassign) a claim to a fact-checker (editors)."""
        data = _input(AssignInput, request)
        workflow.claim_assign(request.user, pk, data["user"])
        return Response(_claim_body(request, pk))


class ClaimsBulkAssignView(DeskView):
    desk_permission = None

    @extend_schema(operation_id="claims_assign_many", request=BulkAssignInput, responses=ClaimListSerializer(many=True))
    def post(self, request) -> Response:
        """Assign many claims to one fact-checker: all or nothing (editors)."""
        data = _input(BulkAssignInput, request)
        claims = workflow.claims_assign(request.user, data["claims"], data["user"])
        rows = Claim.objects.with_sources().filter(pk__in=[claim.pk for claim in claims]).order_by("id")
        return Response({"results": ClaimListSerializer(rows, many=True, context={"request": request}).data})


class VerdictView(DeskView):
    """The verdict of a claim: the assignee's draft and every submitted or corrected version."""

    @extend_schema(responses=VerdictSerializer)
    def get(self, request, pk: int) -> Response:
        claim = get_object_or_404(Claim, pk=pk)
        return Response(VerdictSerializer(claim).data)

    @extend_schema(request=VerdictInput, responses=VerdictSerializer)
    def put(self, request, pk: int) -> Response:
        """Save the whole draft; fields left out are cleared."""
        data = {**VerdictInput.BLANK, **_input(VerdictInput, request)}
        return self._save(request, pk, data)

    @extend_schema(request=VerdictInput, responses=VerdictSerializer)
    def patch(self, request, pk: int) -> Response:
        """Save the fields given; the others keep their draft value."""
        return self._save(request, pk, dict(_input(VerdictInput, request, partial=True)))

    def _save(self, request, pk: int, data: dict) -> Response:
        workflow.verdict_save_draft(request.user, pk, data)
        return Response(VerdictSerializer(Claim.objects.get(pk=pk)).data)


TRANSITION_SERVICES = {
    Action.SUBMIT: workflow.review_submit,
    Action.APPROVE: workflow.review_approve,
    Action.SEND_BACK: workflow.review_send_back,
    Action.DISMISS: workflow.claim_dismiss,
    Action.REOPEN: workflow.claim_reopen,
    Action.RETRACT: workflow.verdict_retract,
    Action.APPROVE_CORRECTION: workflow.correction_approve,
    Action.REJECT_CORRECTION: workflow.correction_reject,
}


class TransitionView(DeskView):
    desk_permission = None  # each service checks its own permission

    @extend_schema(
        request=TransitionInput,
        responses={
            200: TransitionResultSerializer,
            403: OpenApiResponse(description="You may not do this."),
            409: OpenApiResponse(description="The claim's state does not allow this action."),
        },
    )
    def post(self, request, pk: int) -> Response:
        """Move the claim through the workflow: submit, approve, send_back, dismiss, reopen, retract, and
        approve_correction or reject_correction for a proposed correction (editors who did not write it)."""
        data = _input(TransitionInput, request)
        claim = TRANSITION_SERVICES[data["action"]](request.user, pk, data["comment"])
        return Response({"state": claim.status, "claim": _claim_body(request, pk)})


class MergeView(DeskView):
    desk_permission = None  # the service checks the editor's permission

    @extend_schema(
        request=MergeInput,
        responses={
            200: TransitionResultSerializer,
            403: OpenApiResponse(description="Only editors merge claims."),
            409: OpenApiResponse(description="The claim has no tips, is past triage, or the target is closed."),
        },
    )
    def post(self, request, pk: int) -> Response:
        """Merge a tip's claim into another claim (editors): its tips and their private contacts move there,
        so the tipsters are told when that claim is published; this claim is dismissed, and both histories
        record the merge."""
        data = _input(MergeInput, request)
        claim = workflow.claim_merge(request.user, pk, data["into"], data["comment"])
        return Response({"state": claim.status, "claim": _claim_body(request, pk)})


class CorrectView(DeskView):
    desk_permission = None

    @extend_schema(
        request=CorrectInput,
        responses={
            200: CorrectResultSerializer,
            202: CorrectResultSerializer,
            403: OpenApiResponse(description="You may not correct verdicts."),
            409: OpenApiResponse(description="Nothing published to correct, or a proposed correction is waiting."),
        },
    )
    def post(self, request, pk: int) -> Response:
        """Correct a published verdict: a new version with a public note (editors).

        A change of the analysis alone is published at once (200). A change of the rating or the
        summary is proposed (202): it is public only once a second editor approves it.
        """
        data = dict(_input(CorrectInput, request))
        note = data.pop("note")
        claim = workflow.verdict_correct(request.user, pk, data, note)
        event = claim.events.order_by("-id").first()
        body = {
            "state": claim.status,
            "claim": _claim_body(request, pk),
            "version": event.data["version"],
            "pending": event.data["pending"],
        }
        return Response(body, status=202 if body["pending"] else 200)


class HistoryView(WorkflowErrorsMixin, generics.ListAPIView):
    """Every workflow event of the claim, oldest first."""

    permission_classes = [DeskAccess]
    required_scopes = SCOPES
    user_required = True
    desk_permission = workflow.WORK
    serializer_class = EventSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        claim = get_object_or_404(Claim.objects.only("pk"), pk=self.kwargs["pk"])
        return selectors.claim_history(claim.pk)
