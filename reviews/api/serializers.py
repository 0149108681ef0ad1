"""Input and output shapes of the workflow API. The rules live in ``reviews.workflow``."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from claims.api.serializers import ClaimListSerializer
from claims.choices import ClaimStatus
from claims.intake.validation import StrictInput
from claims.models import Claim
from reviews.choices import Action
from reviews.evidence import MAX_EVIDENCE
from reviews.markdown import render_markdown
from reviews.models import Assignment, Rating, Verdict, VerdictVersion, WorkflowEvent
from reviews.selectors import role_from_groups
from reviews.workflow import active_assignment, allowed_actions, languages_of

PUBLIC_VERDICT_PATH = "/fact-checks/{slug}/"
TRANSITION_ACTIONS = [
    Action.SUBMIT,
    Action.APPROVE,
    Action.SEND_BACK,
    Action.DISMISS,
    Action.REOPEN,
    Action.RETRACT,
    Action.APPROVE_CORRECTION,
    Action.REJECT_CORRECTION,
]


# --- Input ---------------------------------------------------------------------------------


def active_user(username: str):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise serializers.ValidationError(f"No active user named {username!r}.")
    return user


class AssignInput(StrictInput):
    user = serializers.CharField(max_length=150)

    def validate_user(self, username: str):
        return active_user(username)


class BulkAssignInput(AssignInput):
    claims = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=500)


class VerdictInput(StrictInput):
    rating = serializers.CharField(allow_null=True, allow_blank=True, max_length=40, required=False)
    summary = serializers.CharField(allow_blank=True, max_length=2000, required=False, trim_whitespace=False)
    analysis = serializers.CharField(allow_blank=True, max_length=100_000, required=False, trim_whitespace=False)
    evidence = serializers.ListField(child=serializers.JSONField(), max_length=MAX_EVIDENCE, required=False)

    BLANK = {"rating": None, "summary": "", "analysis": "", "evidence": []}


class TransitionInput(StrictInput):
    action = serializers.ChoiceField(choices=[str(action) for action in TRANSITION_ACTIONS])
    comment = serializers.CharField(allow_blank=True, max_length=5000, required=False, default="")


class MergeInput(StrictInput):
    into = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The claim that receives this claim's tips."
    )
    comment = serializers.CharField(allow_blank=True, max_length=5000, required=False, default="")


class CorrectInput(StrictInput):
    rating = serializers.CharField(allow_blank=True, max_length=40, required=False)
    summary = serializers.CharField(allow_blank=True, max_length=2000, required=False)
    analysis = serializers.CharField(allow_blank=True, max_length=100_000, required=False, trim_whitespace=False)
    note = serializers.CharField(allow_blank=True, max_length=5000)


# --- Output --------------------------------------------------------------------------------


class RatingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rating
        fields = ["slug", "label", "value", "colour", "definition"]
        read_only_fields = fields


class MyClaimSerializer(serializers.ModelSerializer):
    """An active assignment of the caller, with its claim."""

    claim = ClaimListSerializer(read_only=True)
    assigned_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Assignment
        fields = ["claim", "assigned_at", "assigned_by", "due_at", "last_activity_at"]
        read_only_fields = fields


class LoadSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.SerializerMethodField()
    languages = serializers.SerializerMethodField()
    active_assignments = serializers.IntegerField()

    def get_role(self, user) -> str | None:
        return role_from_groups(user)

    def get_languages(self, user) -> list[str]:
        return languages_of(user)


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()

    class Meta:
        model = WorkflowEvent
        fields = ["id", "actor", "action", "from_state", "to_state", "comment", "public", "data", "created_at"]
        read_only_fields = fields

    def get_actor(self, event: WorkflowEvent) -> str | None:
        return event.actor.get_username() if event.actor else None


class VersionSerializer(serializers.ModelSerializer):
    rating = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    analysis_html = serializers.SerializerMethodField()

    class Meta:
        model = VerdictVersion
        fields = [
            "number",
            "kind",
            "rating",
            "summary",
            "analysis",
            "analysis_html",
            "evidence",
            "author",
            "created_at",
            "approved_by",
            "approved_at",
            "rejected_at",
            "note",
        ]
        read_only_fields = fields

    def get_analysis_html(self, version: VerdictVersion) -> str:
        return render_markdown(version.analysis)


def _time(value) -> str | None:
    return serializers.DateTimeField().to_representation(value) if value else None


class VerdictSerializer(serializers.Serializer):
    """A claim's verdict: the working draft, every version, and what is published."""

    def to_representation(self, claim: Claim) -> dict:
        verdict: Verdict | None = Verdict.objects.filter(claim=claim).select_related("draft_rating").first()
        if verdict is None:
            verdict = Verdict(claim=claim)
        versions = list(verdict.versions.select_related("rating", "author", "approved_by")) if verdict.pk else []
        published = next((v for v in versions if v.pk == verdict.published_version_id), None)
        return {
            "claim": claim.pk,
            "state": claim.status,
            "slug": verdict.slug,
            "published_version": published.number if published else None,
            "published_at": _time(verdict.published_at),
            "updated_at": _time(verdict.updated_at),
            "retracted_at": _time(verdict.retracted_at),
            "draft": {
                "rating": verdict.draft_rating.slug if verdict.draft_rating_id else None,
                "summary": verdict.draft_summary,
                "analysis": verdict.draft_analysis,
                "analysis_html": render_markdown(verdict.draft_analysis),
                "evidence": verdict.draft_evidence,
                "saved_at": _time(verdict.draft_saved_at),
            },
            "versions": VersionSerializer(versions, many=True).data,
        }


class TransitionResultSerializer(serializers.Serializer):
    state = serializers.CharField()
    claim = serializers.DictField()


class CorrectResultSerializer(TransitionResultSerializer):
    version = serializers.IntegerField(help_text="The number of the new version.")
    pending = serializers.BooleanField(
        help_text="True when the correction changes the rating or the summary: it is published only once a "
        "second editor approves it (transition `approve_correction`)."
    )


# --- The ``workflow`` field of a claim's detail ------------------------------------------------


def claim_workflow(claim: Claim, context: dict) -> dict:
    """Where the claim is in the review workflow, and its published verdict if any."""
    request = context.get("request")
    user = getattr(request, "user", None)
    assignment = active_assignment(claim)
    verdict = None
    if claim.status in (ClaimStatus.PUBLISHED, ClaimStatus.RETRACTED):  # only these have a public verdict
        verdict = Verdict.objects.filter(claim=claim).select_related("published_version__rating").first()
    published = None
    if verdict is not None and verdict.published_version is not None:
        path = PUBLIC_VERDICT_PATH.format(slug=verdict.slug)
        published = {
            "rating": verdict.published_version.rating.slug,
            "summary": verdict.published_version.summary,
            "version": verdict.published_version.number,
            "slug": verdict.slug,
            "url": request.build_absolute_uri(path) if request else path,
            "published_at": _time(verdict.published_at),
            "updated_at": _time(verdict.updated_at),
            "retracted_at": _time(verdict.retracted_at),
        }
    return {
        "state": claim.status,
        "assignee": assignment.assignee.get_username() if assignment else None,
        "due_at": _time(assignment.due_at if assignment else None),
        "allowed_actions": allowed_actions(user, claim, assignee_id=assignment.assignee_id if assignment else None)
        if user is not None and user.is_authenticated
        else [],
        "verdict": published,
    }
