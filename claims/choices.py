"""Status and option values of the claims app, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClaimStatus(models.TextChoices):
    """Where a claim is in the review workflow; the transitions live in ``reviews.workflow``."""

    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    SUBMITTED = "submitted", "Submitted for approval"
    PUBLISHED = "published", "Published"
    DISMISSED = "dismissed", "Dismissed"
    RETRACTED = "retracted", "Retracted"


class Channel(models.TextChoices):
    API = "api", "API"
    FORM = "form", "Web form"
    IMPORT = "import", "Bulk import"
    ADMIN = "admin", "Admin"
    ARTICLE = "article", "Article"
    TIP = "tip", _("Reader tip")


class Priority(models.IntegerChoices):
    LOW = 0, "low"
    NORMAL = 1, "normal"
    HIGH = 2, "high"
    URGENT = 3, "urgent"


class FetchStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    FETCHING = "fetching", "Fetching"
    FETCHED = "fetched", "Fetched"
    FAILED = "failed", "Failed"
    BLOCKED = "blocked", "Blocked"
    GONE = "gone", "Gone"


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

    DUPLICATE = "duplicate", "Duplicate"
    SIMILAR = "similar", "Similar"


class ArticleStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class CandidateStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


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
