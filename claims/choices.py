"""Status and option values of the claims app, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ClaimStatus(models.TextChoices):
    """Where a claim is in the review workflow; the transitions live in ``reviews.workflow``."""

    NEW = "new", pgettext_lazy("claim status", "New")
    ASSIGNED = "assigned", pgettext_lazy("claim status", "Assigned")
    SUBMITTED = "submitted", pgettext_lazy("claim status", "Submitted for approval")
    PUBLISHED = "published", pgettext_lazy("claim status", "Published")
    DISMISSED = "dismissed", pgettext_lazy("claim status", "Dismissed")
    RETRACTED = "retracted", pgettext_lazy("claim status", "Retracted")


class Channel(models.TextChoices):
    API = "api", pgettext_lazy("channel", "API")
    FORM = "form", pgettext_lazy("channel", "Web form")
    IMPORT = "import", pgettext_lazy("channel", "Bulk import")
    ADMIN = "admin", pgettext_lazy("channel", "Admin")
    ARTICLE = "article", pgettext_lazy("channel", "Article")
    TIP = "tip", pgettext_lazy("channel", "Reader tip")


class Priority(models.IntegerChoices):
    LOW = 0, "low"
    NORMAL = 1, "normal"
    HIGH = 2, "high"
    URGENT = 3, "urgent"


# Priority's labels are words of the API ("low" … "urgent") and stay as they are; pages show these.
PRIORITY_LABELS = {
    Priority.LOW: pgettext_lazy("priority", "low"),
    Priority.NORMAL: pgettext_lazy("priority", "normal"),
    Priority.HIGH: pgettext_lazy("priority", "high"),
    Priority.URGENT: pgettext_lazy("priority", "urgent"),
}


class FetchStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("source status", "Pending")
    FETCHING = "fetching", pgettext_lazy("source status", "Fetching")
    FETCHED = "fetched", pgettext_lazy("source status", "Fetched")
    FAILED = "failed", pgettext_lazy("source status", "Failed")
    BLOCKED = "blocked", pgettext_lazy("source status", "Blocked")
    GONE = "gone", pgettext_lazy("source status", "Gone")


class AttemptOutcome(models.TextChoices):
    FETCHED = "fetched", "Fetched (new snapshot)"
    UNCHANGED = "unchanged", "Fetched (unchanged)"
    RETRY = "retry", "Transient failure, will retry"
    FAILED = "failed", "Failed"
    BLOCKED = "blocked", "Refused by the fetcher"
    GONE = "gone", "Gone (404/410)"


class ApiScope(models.TextChoices):
    INTAKE = "intake", "Submit claims"
    READ = "read", "Read claims and sources"


class MatchKind(models.TextChoices):
    """How close an earlier claim is to a new one; the thresholds live in settings (``MATCH_*``)."""

    DUPLICATE = "duplicate", pgettext_lazy("match kind", "Duplicate")
    SIMILAR = "similar", pgettext_lazy("match kind", "Similar")


class ArticleStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("article status", "Pending")
    PROCESSING = "processing", pgettext_lazy("article status", "Processing")
    READY = "ready", pgettext_lazy("article status", "Ready")
    FAILED = "failed", pgettext_lazy("article status", "Failed")


class CandidateStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("candidate status", "Open")
    ACCEPTED = "accepted", pgettext_lazy("candidate status", "Accepted")
    DISMISSED = "dismissed", pgettext_lazy("candidate status", "Dismissed")


class TipChannel(models.TextChoices):
    """How a reader's tip reached the desk (every tip's claim has the channel ``tip``)."""

    WEB = "web", _("Tip form")
    API = "api", _("Tip API")
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")


class ContactKind(models.TextChoices):
    """How a tipster can be told about the verdict: an e-mail address or a messaging sender id."""

    EMAIL = "email", _("E-mail")
    TELEGRAM = "telegram", _("Telegram chat")
    WHATSAPP = "whatsapp", _("WhatsApp number")


class TipNotificationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Given up")
