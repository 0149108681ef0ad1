"""Django admin for claims, sources and API keys. New claims go through the intake service."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from claims.intake.keys import api_key_create, api_key_revoke, api_key_validate
from claims.intake.validation import ClaimInput, InvalidInput, error_messages
from claims.models import ApiKey, Article, ArticleCandidate, Citation, Claim, FetchAttempt, Snapshot, Source, Tag
from claims.sources import archive


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 0
    fields = ["source", "context", "added_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ClaimAdminForm(forms.ModelForm):
    """Edits follow the intake rules (``claims.intake.validation``): no javascript: links, no made-up languages."""

    class Meta:
        model = Claim
        fields = ["claimant", "claim_date", "appeared_at", "language", "tags", "priority", "status"]
        # A plain text field: validation.py decides what a valid URL is (http and https only).
        field_classes = {"appeared_at": forms.CharField}
        widgets = {"appeared_at": forms.URLInput}

    def clean(self):
        cleaned = super().clean()
        checked = {
            name: cleaned[name] for name in ("claimant", "claim_date", "appeared_at", "language") if name in cleaned
        }
        serializer = ClaimInput(data=checked, partial=True)
        if serializer.is_valid():
            cleaned.update(serializer.validated_data)
        else:
            for field, field_messages in error_messages(serializer.errors).items():
                for message in field_messages:
                    self.add_error(field if field in self.fields else None, message)
        return cleaned


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    form = ClaimAdminForm
    formfield_overrides = {models.URLField: {"form_class": forms.CharField, "widget": forms.URLInput}}
    list_display = ["id", "short_text", "claimant", "language", "priority", "status", "channel", "created_at"]
    list_filter = ["status", "language", "channel", "priority"]
    search_fields = ["text", "claimant"]
    readonly_fields = ["text", "text_key", "channel", "submitted_by", "submitted_by_key", "created_at", "updated_at"]
    fields = [
        "text",
        "claimant",
        "claim_date",
        "appeared_at",
        "language",
        "tags",
        "priority",
        "status",
        *readonly_fields[1:],
    ]
    inlines = [CitationInline]
    autocomplete_fields = ["tags"]

    @admin.display(description="claim")
    def short_text(self, claim: Claim) -> str:
        return claim.text[:100]

    def add_view(self, request, form_url="", extra_context=None):
        # New claims are validated and deduplicated by the intake service, through its form.
        return HttpResponseRedirect(reverse("claims:new"))


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class SnapshotInline(admin.TabularInline):
    model = Snapshot
    extra = 0
    fields = ["fetched_at", "http_status", "final_url", "content_type", "raw_size", "sha256", "view"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="stored copy")
    def view(self, snapshot: Snapshot) -> str:
        url = reverse("api:source-snapshot", args=[snapshot.source_id]) + f"?snapshot={snapshot.pk}"
        return format_html('<a href="{}" target="_blank" rel="noopener">view</a>', url)


class FetchAttemptInline(admin.TabularInline):
    model = FetchAttempt
    extra = 0
    fields = ["started_at", "outcome", "http_status", "duration_ms", "error"]
    readonly_fields = fields
    can_delete = False
    max_num = 0


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["id", "canonical_url", "fetch_status", "http_status", "title", "fetched_at", "attempts"]
    list_filter = ["fetch_status"]
    search_fields = ["canonical_url", "title"]
    readonly_fields = [f.name for f in Source._meta.fields]
    inlines = [SnapshotInline, FetchAttemptInline]
    actions = ["refetch"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Fetch again now")
    def refetch(self, request, queryset):
        count = archive.sources_refetch(queryset.values_list("id", flat=True))
        self.message_user(request, f"{count} source(s) queued for fetching.")


class ApiKeyForm(forms.ModelForm):
    """Checks name and scopes with the service's rules, so that errors show on the form."""

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "user"]

    def clean(self):
        cleaned = super().clean()
        if "name" in cleaned and "scopes" in cleaned:
            try:
                cleaned["name"], cleaned["scopes"] = api_key_validate(name=cleaned["name"], scopes=cleaned["scopes"])
            except InvalidInput as exc:
                for field, field_messages in exc.fields.items():
                    for message in field_messages:
                        self.add_error(field, message)
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix", "scopes", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    fields = ["name", "scopes", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # The form checked the input with the same rules, so this does not fail.
        key, raw = api_key_create(name=obj.name, scopes=obj.scopes, user=obj.user)
        obj.pk = key.pk
        obj.prefix = key.prefix
        obj._state.adding = False
        self.message_user(request, f"New key (shown once, copy it now): {raw}", messages.WARNING)

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.")


class ArticleCandidateInline(admin.TabularInline):
    model = ArticleCandidate
    extra = 0
    fields = ["position", "paragraph", "sentence", "score", "speaker", "status", "claim"]
    readonly_fields = fields
    can_delete = False
    ordering = ["position"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Articles are submitted and decided through the desk pages or the API; the admin shows them."""

    list_display = ["id", "title", "outlet", "published_date", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "url", "outlet"]
    readonly_fields = [
        "url",
        "final_url",
        "body_format",
        "title",
        "author",
        "outlet",
        "published_date",
        "language",
        "status",
        "error",
        "attempts",
        "submitted_by",
        "submitted_by_key",
        "created_at",
        "processed_at",
    ]
    fields = readonly_fields
    inlines = [ArticleCandidateInline]

    def has_add_permission(self, request) -> bool:
        return False
