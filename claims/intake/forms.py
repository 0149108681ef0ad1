"""The staff intake form. Validation is delegated to the intake service, like every channel."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.choices import PRIORITY_LABELS, Priority


class ClaimForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Claim"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)
    claimant = forms.CharField(label=gettext_lazy("Who said it"), required=False, max_length=255)
    claim_date = forms.DateField(
        label=gettext_lazy("When it was said"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    appeared_at = forms.CharField(label=gettext_lazy("Where it appeared (URL)"), required=False, max_length=2048)
    language = forms.CharField(label=gettext_lazy("Language (BCP 47)"), initial="en", max_length=35)
    tags = forms.CharField(label=gettext_lazy("Tags (comma-separated)"), required=False, max_length=2000)
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"),
        choices=[(label, PRIORITY_LABELS[value]) for value, label in Priority.choices],
        initial="normal",
    )
    sources = forms.CharField(
        label=gettext_lazy("Cited sources (one URL per line)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def to_intake(self) -> dict:
        data = self.cleaned_data
        return {
            "text": data["text"],
            "claimant": data["claimant"],
            "claim_date": data["claim_date"].isoformat() if data["claim_date"] else None,
            "appeared_at": data["appeared_at"],
            "language": data["language"],
            "tags": [tag for tag in (t.strip() for t in data["tags"].split(",")) if tag],
            "priority": data["priority"],
            "sources": [line.strip() for line in data["sources"].splitlines() if line.strip()],
        }

    def add_service_errors(self, fields: dict) -> None:
        for name, messages in fields.items():
            target = name if name in self.fields else None
            if isinstance(messages, dict):  # per-item errors, e.g. sources.3
                messages = [
                    _("item %(index)s: %(errors)s") % {"index": index, "errors": " ".join(map(str, errs))}
                    for index, errs in messages.items()
                ]
            for message in messages if isinstance(messages, list) else [messages]:
                self.add_error(target, str(message))
