"""Forms of the review desk pages. They parse input; the workflow services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from claims.choices import Channel
from claims.models import Tag
from reviews.models import Rating


def _rating_choices() -> list[tuple[str, str]]:
    return [("", _("— choose a rating —"))] + [
        (slug, gettext(label)) for slug, label in Rating.objects.filter(active=True).values_list("slug", "label")
    ]


def evidence_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ServiceErrorsMixin:
    """Show a service's ``InvalidReview.fields`` next to the matching fields."""

    def add_service_errors(self, fields: dict[str, list[str]]) -> None:
        for name, messages in fields.items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)


class VerdictForm(ServiceErrorsMixin, forms.Form):
    rating = forms.ChoiceField(label=_("Rating"), required=False)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or two sentences a reader sees first."),
    )
    analysis = forms.CharField(
        label=_("Analysis (Markdown)"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    evidence = forms.CharField(
        label=_("Evidence URLs (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("They are added to the claim's sources and preserved."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].choices = _rating_choices()

    @classmethod
    def from_verdict(cls, verdict) -> VerdictForm:
        if verdict is None:
            return cls()
        return cls(
            initial={
                "rating": verdict.draft_rating.slug if verdict.draft_rating_id else "",
                "summary": verdict.draft_summary,
                "analysis": verdict.draft_analysis,
                "evidence": "\n".join(item["url"] for item in verdict.draft_evidence),
            }
        )

    def to_draft(self) -> dict:
        data = self.cleaned_data
        return {
            "rating": data["rating"],
            "summary": data["summary"],
            "analysis": data["analysis"],
            "evidence": evidence_lines(data["evidence"]),
        }


class CommentForm(ServiceErrorsMixin, forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to send back, dismiss or retract."),
    )


class CorrectionForm(ServiceErrorsMixin, forms.Form):
    rating = forms.ChoiceField(label=_("Rating"), required=False)
    summary = forms.CharField(
        label=_("Summary"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    analysis = forms.CharField(
        label=_("Analysis (Markdown)"), required=False, max_length=100_000, widget=forms.Textarea(attrs={"rows": 8})
    )
    note = forms.CharField(
        label=_("Public correction note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown on the public page. Required."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].choices = _rating_choices()

    @classmethod
    def from_version(cls, version) -> CorrectionForm:
        initial = {}
        if version is not None:
            initial = {"rating": version.rating.slug, "summary": version.summary, "analysis": version.analysis}
        return cls(initial=initial)


def desk_workers():
    """Active people who may work on claims (for the assign select)."""
    perm = Q(groups__permissions__codename="work_claims", groups__permissions__content_type__app_label="reviews")
    return get_user_model().objects.filter(is_active=True).filter(perm | Q(is_superuser=True)).distinct()


class AssignForm(ServiceErrorsMixin, forms.Form):
    claims = forms.TypedMultipleChoiceField(label=_("Claims"), coerce=int, choices=[])
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=None, empty_label=_("— choose a person —"))

    def __init__(self, *args, claim_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claims"].choices = [(pk, pk) for pk in claim_ids]
        self.fields["assignee"].queryset = desk_workers().order_by("username")
        self.fields["assignee"].label_from_instance = lambda user: user.get_username()


class QueueFilterForm(forms.Form):
    language = forms.CharField(label=_("Language"), required=False, max_length=35)
    tag = forms.ModelChoiceField(label=_("Tag"), required=False, queryset=Tag.objects.all(), to_field_name="name")
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("any")), *Channel.choices])
    fetched = forms.BooleanField(label=_("Has fetched sources"), required=False)


class LanguagePreferenceForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the desk"),
        required=False,
        help_text=_("Pages, messages and e-mails of the desk, on every device you sign in on."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Follow my browser")), *settings.LANGUAGES]
