"""``POST /api/v1/checkworthiness/``: score sentences for check-worthiness, with the reasons."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.api.parsers import LimitedJSONParser
from claims.articles.checkworthiness import score_sentences
from claims.choices import ApiScope
from claims.intake.validation import StrictInput, TextField, validate_language

MAX_SENTENCES = 1000
MAX_SENTENCE_CHARS = 5000


def _visible(value: str) -> None:
    if not value.strip():
        raise serializers.ValidationError("A sentence cannot be empty or only whitespace.")


class CheckworthinessInput(StrictInput):
    sentences = serializers.ListField(
        child=TextField(max_length=MAX_SENTENCE_CHARS, trim_whitespace=False, validators=[_visible]),
        max_length=MAX_SENTENCES,
        help_text=f"Up to {MAX_SENTENCES} sentences of up to {MAX_SENTENCE_CHARS} characters each.",
    )
    language = TextField(
        required=False,
        default="en",
        max_length=35,
        validators=[validate_language],
        help_text=(
            "BCP 47 language of the sentences. The cues' word lists exist for en, fr, es and de (others use "
            "English); the learned wording part reads the hundred or so languages of the embedding model."
        ),
    )

    def to_internal_value(self, data: Any) -> dict:
        unknown = {}
        if isinstance(data, dict):
            unknown = {str(key): ["Unknown field."] for key in data if key not in self.fields}
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = _dotted(exc.detail)
            raise serializers.ValidationError({**detail, **unknown} if isinstance(detail, dict) else detail) from exc
        if unknown:
            raise serializers.ValidationError(unknown)
        return values


def _dotted(detail: Any) -> Any:
    """``{"sentences": {3: [...]}}`` becomes ``{"sentences.3": [...]}``: one flat key per bad item."""
    if not isinstance(detail, dict):
        return detail
    flat: dict[str, Any] = {}
    for name, value in detail.items():
        if isinstance(value, dict):
            for index, messages in value.items():
                flat[f"{name}.{index}"] = messages
        else:
            flat[name] = value
    return flat


class WorthinessReasonSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text=(
            'Stable machine code: a cue ("quantity", "date", "entity", "attribution", "comparison", "causal", '
            '"event"; "opinion", "question", "prediction", "hedge", "call_to_action", "boilerplate", "too_short", '
            '"too_long") or "wording", what the learned model reads in the sentence as a whole.'
        )
    )
    weight = serializers.FloatField(help_text="Signed contribution to the score (before the logistic).")
    detail = serializers.CharField(help_text="The words that triggered it.")


class SentenceScoreSerializer(serializers.Serializer):
    sentence = serializers.CharField()
    score = serializers.FloatField(min_value=0, max_value=1, help_text="0..1; candidate claims score >= 0.5.")
    reasons = WorthinessReasonSerializer(many=True, help_text="What moved the score, largest contribution first.")
    speaker = serializers.CharField(allow_blank=True, help_text='The attributed speaker, if any ("the minister").')


class CheckworthinessView(APIView):
    """Score sentences or social posts for check-worthiness (0–1), each with the reasons that drove its score."""

    required_scopes = {"read": ApiScope.READ, "write": ApiScope.READ}  # scoring reads and stores nothing
    parser_classes = [LimitedJSONParser]
    # 1,000 sentences of 5,000 characters, up to 4 UTF-8 bytes each, plus the JSON around them.
    max_body_bytes = MAX_SENTENCES * (MAX_SENTENCE_CHARS * 4 + 16) + 1024

    @extend_schema(request=CheckworthinessInput, responses={200: SentenceScoreSerializer(many=True)})
    def post(self, request: Request) -> Response:
        """Scores in the order of the sentences sent; the same sentences always get the same scores."""
        serializer = CheckworthinessInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        sentences = serializer.validated_data["sentences"]
        results = score_sentences(sentences, serializer.validated_data["language"])
        body = [
            {
                "sentence": sentence,
                "score": result.score,
                "reasons": [{"code": r.code, "weight": r.weight, "detail": r.detail} for r in result.reasons],
                "speaker": result.speaker,
            }
            for sentence, result in zip(sentences, results, strict=True)
        ]
        return Response(body)
