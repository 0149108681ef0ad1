"""Webhooks API: an API key with the ``webhooks`` scope registers endpoints and reads their deliveries.

Views parse input, call one ``reviews.webhooks`` service and render the result. Every webhook
belongs to the key that registered it; other keys see 404.
"""

from __future__ import annotations

import uuid

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from claims.api.errors import Conflict
from claims.api.parsers import LimitedJSONParser
from claims.intake.validation import StrictInput
from claims.models import ApiKey
from reviews import webhooks
from reviews.choices import DeliveryStatus, WebhookEventType
from reviews.models import Webhook, WebhookAttempt, WebhookDelivery

SCOPE = "webhooks"


class WebhookKeyAccess(BasePermission):
    """Webhooks belong to an API key: the call needs a key that carries the ``webhooks`` scope."""

    message = f"Manage webhooks with an API key that has the '{SCOPE}' scope."

    def has_permission(self, request, view) -> bool:
        key = request.auth
        return isinstance(key, ApiKey) and key.has_scope(SCOPE)


# --- Serializers -------------------------------------------------------------------------------


class WebhookInput(StrictInput):
    url = serializers.CharField(max_length=2048)
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEventType.choices), min_length=1)


class WebhookUpdateInput(WebhookInput):
    active = serializers.BooleanField(help_text="false pauses deliveries; true re-enables a disabled webhook.")


class WebhookSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEventType.choices))

    class Meta:
        model = Webhook
        fields = [
            "id",
            "url",
            "events",
            "active",
            "created_at",
            "secret_rotated_at",
            "last_success_at",
            "failing_since",
            "disabled_at",
            "disabled_reason",
        ]
        read_only_fields = fields


class WebhookWithSecretSerializer(WebhookSerializer):
    """Shown once, at registration and rotation: keep the secret, it signs every delivery."""

    secret = serializers.CharField(read_only=True)

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["started_at", "delivered", "response_code", "duration_ms", "error"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="message_id", read_only=True, help_text="The webhook-id header.")
    event = serializers.CharField(source="event.type", read_only=True)
    verdict = serializers.IntegerField(source="event.verdict_id", read_only=True, allow_null=True)
    attempt_count = serializers.IntegerField(source="attempts", read_only=True)
    attempts = AttemptSerializer(source="attempt_log", many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "event",
            "verdict",
            "status",
            "response_code",
            "duration_ms",
            "error",
            "attempt_count",
            "attempts",
            "next_attempt_at",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


class DeliveryPagination(CursorPagination):
    ordering = "-created_at"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200


# --- Views -------------------------------------------------------------------------------------


class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Register endpoints that receive signed ``verdict.*`` events; see their deliveries."""

    permission_classes = [WebhookKeyAccess]
    parser_classes = [LimitedJSONParser]
    serializer_class = WebhookSerializer
    pagination_class = None
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return Webhook.objects.filter(key=self.request.auth)

    def _input(self, serializer_class, **kwargs) -> dict:
        serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(request=WebhookInput, responses={201: WebhookWithSecretSerializer})
    def create(self, request):
        data = self._input(WebhookInput)
        webhook = webhooks.webhook_create(key=request.auth, url=data["url"], events=data["events"])
        return Response(WebhookWithSecretSerializer(webhook).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookUpdateInput, responses={200: WebhookSerializer})
    def partial_update(self, request, pk=None):
        webhook = self.get_object()
        data = self._input(WebhookUpdateInput, partial=True)
        webhooks.webhook_update(webhook, data)
        return Response(WebhookSerializer(webhook).data)

    def perform_destroy(self, instance):
        webhooks.webhook_delete(instance)

    @extend_schema(request=None, responses={200: WebhookWithSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        webhook = webhooks.webhook_rotate_secret(self.get_object())
        return Response(WebhookWithSecretSerializer(webhook).data)

    @extend_schema(
        responses={200: DeliverySerializer(many=True)},
        parameters=[OpenApiParameter("status", str, enum=DeliveryStatus.values, description="Only this status.")],
    )
    @action(detail=True, methods=["get"], pagination_class=DeliveryPagination)
    def deliveries(self, request, pk=None):
        webhook = self.get_object()
        deliveries = webhook.deliveries.select_related("event").prefetch_related("attempt_log")
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in DeliveryStatus.values:
                raise ValidationError({"status": [f"Use one of: {', '.join(DeliveryStatus.values)}."]})
            deliveries = deliveries.filter(status=wanted)
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>[0-9a-f-]{32,36})/replay")
    def replay(self, request, pk=None, delivery_id=None):
        webhook = self.get_object()
        try:
            delivery_uuid = uuid.UUID(delivery_id)
        except ValueError:
            raise NotFound("No such delivery.") from None
        delivery = get_object_or_404(webhook.deliveries.select_related("webhook", "event"), pk=delivery_uuid)
        try:
            delivery = webhooks.webhook_delivery_replay(delivery)
        except webhooks.WebhookConflict as exc:
            raise Conflict(str(exc)) from exc
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
