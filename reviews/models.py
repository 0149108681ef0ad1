"""The review desk: people, assignments, verdicts and their versions, the audit trail."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from claims.models import Claim
from reviews.choices import Action, DeliveryStatus, NotificationKind, VersionKind, WebhookEventType


class Reviewer(models.Model):
    """What the desk knows about a person beyond Django's user: the languages they work in and read the desk in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer")
    languages = models.JSONField(default=list, blank=True, help_text='BCP 47 tags, e.g. ["en", "fr"].')
    # One of settings.LANGUAGES (checked by reviews.languages, not by choices: adding a language needs no migration).
    preferred_language = models.CharField(
        max_length=8,
        blank=True,
        help_text="Language of the desk's pages and e-mails for this person; empty: the browser's.",
    )

    class Meta:
        permissions = [
            ("work_claims", "Take claims and write verdicts"),
            ("edit_claims", "Assign, approve, send back, dismiss, correct and retract"),
            ("manage_desk", "Manage people, keys, the rating scale and settings"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({', '.join(self.languages) or 'any language'})"


class Rating(models.Model):
    """One step of the rating scale; editable by admins."""

    slug = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=60)
    value = models.FloatField(null=True, blank=True, help_text="Numeric value on the scale, if it has one.")
    colour = models.CharField(max_length=7, default="#777777", help_text="Hex colour, e.g. #1a7f37.")
    definition = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    # The default scale's words are in the catalogues (reviews.ratings); a label an admin wrote shows as written.
    @property
    def label_display(self) -> str:
        return gettext(self.label)

    @property
    def definition_display(self) -> str:
        return gettext(self.definition)


class AssignmentQuerySet(models.QuerySet):
    def active(self) -> AssignmentQuerySet:
        return self.filter(released_at__isnull=True)


class Assignment(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="assignments")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    last_activity_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=32, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assigned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim"], condition=Q(released_at__isnull=True), name="assignment_one_active_per_claim"
            )
        ]
        indexes = [models.Index(fields=["assignee", "released_at"], name="assignment_assignee_idx")]

    def __str__(self) -> str:
        return f"{self.claim_id} → {self.assignee}"


class Verdict(models.Model):
    """A claim's verdict; its content lives in immutable versions and one working draft."""

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="verdict")
    slug = models.SlugField(max_length=120, unique=True, null=True, blank=True)
    published_version = models.ForeignKey(
        "reviews.VerdictVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True, help_text="Last public change (correction).")
    retracted_at = models.DateTimeField(null=True, blank=True)
    # The working draft of the assignee, saved as they type.
    draft_rating = models.ForeignKey(Rating, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    draft_summary = models.TextField(blank=True)
    draft_analysis = models.TextField(blank=True)
    draft_evidence = models.JSONField(default=list, blank=True)
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    # Everyone who changed the draft (or brought reused text into it): they all become writers
    # of the next submitted version, and none of them may approve it.
    draft_writers = models.ManyToManyField(settings.AUTH_USER_MODEL, through="DraftWriter", related_name="+")

    class Meta:
        indexes = [models.Index(fields=["published_at", "id"], name="verdict_published_idx")]

    def __str__(self) -> str:
        return self.slug or f"verdict on claim {self.claim_id}"


class VerdictVersion(models.Model):
    """A submitted or corrected verdict; never modified after approval."""

    verdict = models.ForeignKey(Verdict, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=VersionKind.choices, default=VersionKind.SUBMITTED)
    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField()
    analysis = models.TextField(blank=True)
    evidence = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True, help_text="A proposed correction an editor turned down.")
    note = models.TextField(blank=True, help_text="Public correction note.")
    # Who wrote or edited any part of this version's text; a database trigger refuses an
    # approver among them (migration reviews 0007), whatever path the approval takes.
    writers = models.ManyToManyField(settings.AUTH_USER_MODEL, through="VersionWriter", related_name="+")

    class Meta:
        ordering = ["verdict", "number"]
        constraints = [
            models.UniqueConstraint(fields=["verdict", "number"], name="verdictversion_unique_number"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("author")),
                name="verdictversion_approver_is_not_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.verdict} v{self.number}"


class DraftWriter(models.Model):
    verdict = models.ForeignKey(Verdict, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["verdict", "user"], name="draftwriter_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} wrote in the draft of {self.verdict_id}"


class VersionWriter(models.Model):
    version = models.ForeignKey(VerdictVersion, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "user"], name="versionwriter_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} wrote version {self.version_id}"


class WorkflowEvent(models.Model):
    """Every change of a claim's workflow: who, when, from, to, why."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=24, choices=Action.choices)
    from_state = models.CharField(max_length=16)
    to_state = models.CharField(max_length=16)
    comment = models.TextField(blank=True)
    public = models.BooleanField(default=False, help_text="Corrections and retractions are shown publicly.")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.from_state} → {self.to_state} ({self.action})"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return f"{self.user}: {self.message[:60]}"


# --- Webhooks ----------------------------------------------------------------------------------


class Webhook(models.Model):
    """An endpoint an API key registered to hear about verdicts.

    ``secret`` is stored as issued (``whsec_`` + base64): signing needs it, so it cannot be hashed.
    """

    key = models.ForeignKey("claims.ApiKey", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2048)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True, help_text="First failure since the last success.")
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url

    @property
    def active(self) -> bool:
        return self.disabled_at is None


class WebhookEvent(models.Model):
    """Something that happened to a verdict, with the payload every endpoint receives for it."""

    type = models.CharField(max_length=32, choices=WebhookEventType.choices)
    verdict = models.ForeignKey(Verdict, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} ({self.verdict_id})"


class WebhookDelivery(models.Model):
    """One event for one endpoint; its id is the stable ``webhook-id`` receivers deduplicate on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    cycle_started_at = models.DateTimeField(default=timezone.now, help_text="Creation or last replay.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "webhook"], name="webhookdelivery_one_per_event_endpoint")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhookdelivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.webhook_id}"

    @property
    def message_id(self) -> str:
        return f"msg_{self.id.hex}"


class WebhookAttempt(models.Model):
    """Every try of a delivery: when, the receiver's answer, how long it took, what went wrong."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField()
    delivered = models.BooleanField(default=False)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.started_at}: {self.response_code or self.error[:40]}"
