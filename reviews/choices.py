"""Roles, workflow actions and related values of the review desk, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FACTCHECKER = "factchecker", "Fact-checker"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


class Action(models.TextChoices):
    TAKE = "take", "Took the claim"
    ASSIGN = "assign", "Assigned"
    SUBMIT = "submit", "Submitted the verdict"
    APPROVE = "approve", "Approved and published"
    SEND_BACK = "send_back", "Sent back"
    DISMISS = "dismiss", "Dismissed"
    REOPEN = "reopen", "Reopened"
    CORRECT = "correct", "Corrected"
    PROPOSE_CORRECTION = "propose_correction", "Proposed a correction"
    APPROVE_CORRECTION = "approve_correction", "Approved the correction"
    REJECT_CORRECTION = "reject_correction", "Rejected the proposed correction"
    RETRACT = "retract", "Retracted"
    RELEASE = "release", "Returned to the queue (idle)"
    MERGE = "merge", _("Merged its tips into another claim")
    MERGED_IN = "merged_in", _("Received the tips of a merged claim")


class VersionKind(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    CORRECTION = "correction", "Correction"


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "A claim was assigned to you"
    SENT_BACK = "sent_back", "Your verdict was sent back"
    APPROVED = "approved", "Your verdict was approved"


class WebhookEventType(models.TextChoices):
    VERDICT_PUBLISHED = "verdict.published", "A verdict was published"
    VERDICT_CORRECTED = "verdict.corrected", "A published verdict was corrected"
    VERDICT_RETRACTED = "verdict.retracted", "A published verdict was retracted"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its next attempt"
    SENDING = "sending", "Being sent"
    DELIVERED = "delivered", "Delivered (the receiver answered 2xx)"
    FAILED = "failed", "Given up (retry window over, or endpoint disabled)"
