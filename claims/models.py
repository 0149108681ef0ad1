"""Claims, the sources they cite, preserved snapshots, API keys, and readers' tips."""

from __future__ import annotations

import gzip

from django.conf import settings
from django.db import models
from django.utils import timezone

from claims.choices import (
    PRIORITY_LABELS,
    ArticleStatus,
    AttemptOutcome,
    CandidateStatus,
    Channel,
    ClaimStatus,
    ContactKind,
    FetchStatus,
    MatchKind,
    Priority,
    TipChannel,
    TipNotificationStatus,
)


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClaimQuerySet(models.QuerySet):
    def with_sources(self) -> ClaimQuerySet:
        return self.select_related("submitted_by", "submitted_by_key").prefetch_related(
            "tags", models.Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("id"))
        )


class Claim(models.Model):
    text = models.TextField()
    # sha256 of the normalised text: the identity used to refuse exact duplicates.
    text_key = models.CharField(max_length=64, unique=True, editable=False)
    claimant = models.CharField(max_length=255, blank=True)
    claim_date = models.DateField(null=True, blank=True)
    appeared_at = models.URLField(max_length=2048, blank=True)
    language = models.CharField(max_length=35, default="en")
    tags = models.ManyToManyField(Tag, blank=True, related_name="claims")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.API)
    status = models.CharField(max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.NEW)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="submitted_claims"
    )
    submitted_by_key = models.ForeignKey(
        "claims.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="submitted_claims"
    )
    sources = models.ManyToManyField("claims.Source", through="claims.Citation", related_name="claims")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "-priority", "created_at"], name="claim_queue_idx"),
            models.Index(fields=["language"], name="claim_language_idx"),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def priority_label(self) -> str:
        """The priority in the reader's language (``get_priority_display`` is the API's word)."""
        return str(PRIORITY_LABELS.get(self.priority, self.get_priority_display()))

    @property
    def submitter(self) -> str:
        if self.submitted_by_id:
            return self.submitted_by.get_username()
        if self.submitted_by_key_id:
            return f"key:{self.submitted_by_key.name}"
        return ""


class SourceQuerySet(models.QuerySet):
    def due_for_fetch(self, now=None) -> SourceQuerySet:
        """Pending sources whose next attempt time has come."""
        now = now or timezone.now()
        return self.filter(fetch_status=FetchStatus.PENDING).filter(
            models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now)
        )


class Source(models.Model):
    """One row per canonical URL, shared by every claim that cites it."""

    url = models.TextField(help_text="The URL as first submitted.")
    canonical_url = models.TextField()
    canonical_hash = models.CharField(max_length=64, unique=True, editable=False)
    fetch_status = models.CharField(max_length=16, choices=FetchStatus.choices, default=FetchStatus.PENDING)
    error = models.TextField(blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.TextField(blank=True)
    content_type = models.CharField(max_length=255, blank=True)
    title = models.TextField(blank=True)
    author = models.TextField(blank=True)
    published_date = models.DateField(null=True, blank=True)
    text = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Attempts in the current fetch cycle.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["fetch_status", "next_attempt_at"], name="source_due_idx"),
            models.Index(fields=["fetch_status", "last_checked_at"], name="source_recheck_idx"),
        ]

    def __str__(self) -> str:
        return self.canonical_url

    def latest_snapshot(self) -> Snapshot | None:
        return self.snapshots.order_by("-fetched_at", "-id").first()


class Citation(models.Model):
    """A claim citing a source, with the context in which it was cited."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="citations")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    context = models.TextField(blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["claim", "source"], name="citation_unique_claim_source")]

    def __str__(self) -> str:
        return f"{self.claim_id} cites {self.source_id}"


class Snapshot(models.Model):
    """A dated, preserved copy of a source as fetched; never modified."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="snapshots")
    fetched_at = models.DateTimeField(default=timezone.now)
    http_status = models.PositiveSmallIntegerField()
    final_url = models.TextField()
    content_type = models.CharField(max_length=255, blank=True)
    charset = models.CharField(max_length=64, blank=True)
    headers = models.JSONField(default=dict)
    raw_gzip = models.BinaryField()
    raw_size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    title = models.TextField(blank=True)
    author = models.TextField(blank=True)
    published_date = models.DateField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["-fetched_at", "-id"]
        indexes = [models.Index(fields=["source", "-fetched_at"], name="snapshot_source_idx")]

    def __str__(self) -> str:
        return f"{self.source_id} @ {self.fetched_at:%Y-%m-%d %H:%M}"

    @property
    def raw(self) -> bytes:
        return gzip.decompress(bytes(self.raw_gzip))


class FetchAttempt(models.Model):
    """One try at fetching a source, kept for the record."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="fetch_attempts")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source_id} {self.outcome} @ {self.started_at:%Y-%m-%d %H:%M:%S}"


class ApiKeyQuerySet(models.QuerySet):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A bearer key for the API. Only a hash of the secret is stored."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
        help_text="The user this key acts as, for scopes that act on someone's behalf.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyRecord(models.Model):
    """The first response to a request sent with an ``Idempotency-Key`` header."""

    owner = models.CharField(max_length=64, help_text="key:<id> or user:<id>")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_unique_owner_key")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class ClaimEmbedding(models.Model):
    """A claim's sentence embedding for matching, tied to the exact text it was computed from."""

    claim = models.OneToOneField(Claim, primary_key=True, on_delete=models.CASCADE, related_name="embedding")
    text_key = models.CharField(max_length=64, help_text="The claim's text_key when the vector was computed.")
    model = models.CharField(max_length=64)
    vector = models.BinaryField(help_text="Unit-length float16 vector.")
    matched = models.BooleanField(default=False, help_text="Matched against earlier claims with this text.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Every matching process reads what changed since its last look (claims.matching.index).
        indexes = [models.Index(fields=["updated_at"], name="claims_embedding_updated")]

    def __str__(self) -> str:
        return f"embedding of claim {self.claim_id}"


class ClaimMatch(models.Model):
    """An earlier claim found to say the same thing (duplicate) as a claim, or something close (similar)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="matches")
    matched = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="matched_by")
    score = models.FloatField()
    kind = models.CharField(max_length=16, choices=MatchKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-score", "matched_id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "matched"], name="claim_match_unique_pair"),
            models.CheckConstraint(condition=~models.Q(claim=models.F("matched")), name="claim_match_not_self"),
        ]
        verbose_name_plural = "claim matches"

    def __str__(self) -> str:
        return f"claim {self.claim_id} {self.kind} of {self.matched_id} ({self.score:.2f})"


class Article(models.Model):
    """A page or text submitted so that its check-worthy sentences become candidate claims."""

    url = models.TextField(blank=True, help_text="Where the article appeared (fetched when no body was sent).")
    final_url = models.TextField(blank=True, help_text="The URL that answered, after redirects.")
    body = models.TextField(blank=True, help_text="The HTML or text as submitted (empty for a fetched URL).")
    body_format = models.CharField(max_length=8, blank=True, help_text="html, text, or empty when fetched.")
    requested_language = models.CharField(max_length=35, blank=True)
    title = models.TextField(blank=True)
    author = models.TextField(blank=True)
    outlet = models.TextField(blank=True)
    published_date = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=35, blank=True)
    text = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="submitted_articles"
    )
    submitted_by_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="submitted_articles"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title or self.url or f"article {self.pk}"


class ArticleCandidate(models.Model):
    """One sentence of an article with its check-worthiness; accepting it makes it a claim."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="candidates")
    position = models.PositiveIntegerField(help_text="Order of the sentence in the article, from 0.")
    paragraph = models.PositiveIntegerField(help_text="Index of its paragraph, from 0.")
    sentence = models.TextField()
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    speaker = models.CharField(max_length=255, blank=True)
    links = models.JSONField(default=list, help_text="Absolute http(s) links of the sentence's paragraph.")
    matches = models.JSONField(default=list, help_text="Similar claims already in the desk, when scored.")
    status = models.CharField(max_length=16, choices=CandidateStatus.choices, default=CandidateStatus.OPEN)
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="article_candidates"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-score", "position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="candidate_unique_article_position")
        ]
        indexes = [models.Index(fields=["article", "-score"], name="candidate_article_score_idx")]

    def __str__(self) -> str:
        return self.sentence[:80]


class Tip(models.Model):
    """What one reader sent in (tip form, API, Telegram, WhatsApp), attached to the claim it became.

    Nothing here identifies the reader: how to reach them is a ``TipContact``, which only staff see.
    """

    reference = models.CharField(max_length=16, unique=True, editable=False, help_text="Shown to the tipster.")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="tips")
    channel = models.CharField(max_length=16, choices=TipChannel.choices)
    text = models.TextField(help_text="The tip as sent, as plain text.")
    url = models.TextField(blank=True, help_text="Where the reader saw it (cited by the claim as a source).")
    language = models.CharField(max_length=35, default="en")
    external_id = models.CharField(
        max_length=255,
        null=True,
        blank=True,
        unique=True,
        help_text="telegram:<update_id> or whatsapp:<message id>: a redelivered message creates nothing.",
    )
    merged_from = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="tips_merged_away"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"tip {self.reference}"


class TipContact(models.Model):
    """How to reach the reader behind a tip: staff only, deleted after ``TIP_CONTACT_RETENTION_DAYS``."""

    tip = models.OneToOneField(Tip, on_delete=models.CASCADE, related_name="contact")
    kind = models.CharField(max_length=16, choices=ContactKind.choices)
    address = models.CharField(max_length=320, help_text="An e-mail address, a Telegram chat id or a WhatsApp id.")
    address_hash = models.CharField(max_length=64, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} contact of tip {self.tip_id}"


class TipNotification(models.Model):
    """Telling one tipster (one address) about one claim's published verdict: the record that makes it once.

    Keyed by a hash of the address, not the address, so that it outlives the contact's retention
    without keeping it; several tips from one address merged into one claim share it.
    """

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="tip_notifications")
    kind = models.CharField(max_length=16, choices=ContactKind.choices)
    address_hash = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=TipNotificationStatus.choices, default=TipNotificationStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    verdict_url = models.TextField(blank=True, help_text="The public page the message linked to.")
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["claim", "kind", "address_hash"], name="tip_notification_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="tip_notification_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} notification {self.status} for claim {self.claim_id}"
