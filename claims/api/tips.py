"""``POST /api/v1/tips/``: a reader's tip, anonymous, as the public form takes it."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from claims.api.errors import ErrorSerializer
from claims.api.parsers import LimitedJSONParser
from claims.choices import TipChannel
from claims.tips.limits import tip_rate_refused
from claims.tips.services import tip_submit
from claims.tips.validation import TipInput
from factcheck.security import client_ip


class TipRateThrottle(BaseThrottle):
    """``TIP_RATE_PER_ADDRESS`` per client address and ``TIP_RATE_GLOBAL`` overall: 429 with ``Retry-After``."""

    def allow_request(self, request: Request, view) -> bool:
        self.retry_after = tip_rate_refused(f"ip:{client_ip(request) or 'unknown'}")
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after


class CheckedSerializer(serializers.Serializer):
    claim_id = serializers.IntegerField(help_text="The claim the published verdict is about.")
    text = serializers.CharField(help_text="That claim's text.")
    verdict_url = serializers.URLField(help_text="The verdict's public page.")
    rating = serializers.CharField(help_text="The published rating.")


class TipReceiptSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="The tip's reference, to quote in any later message.")
    already_checked = CheckedSerializer(
        many=True, help_text="Published verdicts on this claim or on claims saying the same thing (may be empty)."
    )


class TipCreateView(APIView):
    """Anyone may send a tip: no key, no session (so no CSRF either), limited per address."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TipRateThrottle]
    parser_classes = [LimitedJSONParser]
    max_body_bytes = 128 * 1024

    @extend_schema(
        operation_id="tips_create",
        request=TipInput,
        responses={
            201: TipReceiptSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Bad input, naming the field; nothing is stored."),
            413: OpenApiResponse(ErrorSerializer, description="The body is larger than 128 KiB."),
            429: OpenApiResponse(
                ErrorSerializer, description="Too many tips from this address, or overall; see Retry-After."
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        """Send a claim to be checked. The e-mail address, if given, is seen only by the desk's staff.

        The answer carries the tip's reference and, when the desk has already published a verdict
        on this claim or on one saying the same thing, that verdict's public page.
        """
        result = tip_submit(request.data, channel=TipChannel.API, find_checked=True)
        body = {"reference": result.tip.reference, "already_checked": result.already_checked}
        return Response(TipReceiptSerializer(body).data, status=status.HTTP_201_CREATED)
