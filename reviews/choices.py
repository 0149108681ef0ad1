"""Roles, workflow actions and related values of the review desk, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    FACTCHECKER = "factchecker", pgettext_lazy("role", "Fact-checker")
    EDITOR = "editor", pgettext_lazy("role", "Editor")
    ADMIN = "admin", pgettext_lazy("role", "Admin")


class Action(models.TextChoices):
    TAKE = "take", pgettext_lazy("history", "Took the claim")
    ASSIGN = "assign", pgettext_lazy("history", "Assigned")
    SUBMIT = "submit", pgettext_lazy("history", "Submitted the verdict")
    APPROVE = "approve", pgettext_lazy("history", "Approved and published")
    SEND_BACK = "send_back", pgettext_lazy("history", "Sent back")
    DISMISS = "dismiss", pgettext_lazy("history", "Dismissed")
    REOPEN = "reopen", pgettext_lazy("history", "Reopened")
    CORRECT = "correct", pgettext_lazy("history", "Corrected")
    PROPOSE_CORRECTION = "propose_correction", pgettext_lazy("history", "Proposed a correction")
    APPROVE_CORRECTION = "approve_correction", pgettext_lazy("history", "Approved the correction")
    REJECT_CORRECTION = "reject_correction", pgettext_lazy("history", "Rejected the proposed correction")
    RETRACT = "retract", pgettext_lazy("history", "Retracted")
    RELEASE = "release", pgettext_lazy("history", "Returned to the queue (idle)")
    MERGE = "merge", pgettext_lazy("history", "Merged its tips into another claim")
    MERGED_IN = "merged_in", pgettext_lazy("history", "Received the tips of a merged claim")


class VersionKind(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("version kind", "Submitted")
    CORRECTION = "correction", pgettext_lazy("version kind", "Correction")


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("A claim was assigned to you")
    SENT_BACK = "sent_back", _("Your verdict was sent back")
    APPROVED = "approved", _("Your verdict was approved")


class WebhookEventType(models.TextChoices):
    VERDICT_PUBLISHED = "verdict.published", "A verdict was published"
    VERDICT_CORRECTED = "verdict.corrected", "A published verdict was corrected"
    VERDICT_RETRACTED = "verdict.retracted", "A published verdict was retracted"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its next attempt"
    SENDING = "sending", "Being sent"
    DELIVERED = "delivered", "Delivered (the receiver answered 2xx)"
    FAILED = "failed", "Given up (retry window over, or endpoint disabled)"
