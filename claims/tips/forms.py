"""The public tip form. It only collects strings: the rules are the tip service's, as for every channel."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from claims.intake.validation import MAX_TEXT
from claims.tips.validation import MAX_EMAIL

HONEYPOT = "website"


class TipForm(forms.Form):
    text = forms.CharField(
        label=_("What was said or shown?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_TEXT}),
        help_text=_("Paste or describe the claim you want us to check, as plain text."),
    )
    url = forms.CharField(
        label=_("Where did you see it? (link, optional)"),
        required=False,
        widget=forms.URLInput(attrs={"inputmode": "url", "maxlength": 2048, "placeholder": "https://"}),
    )
    email = forms.CharField(
        label=_("Your e-mail address (optional)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "maxlength": MAX_EMAIL}),
    )
    language = forms.CharField(
        label=_("Language of the text"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 35, "autocomplete": "off"}),
        help_text=_("A language code such as en, es, fr or pt-BR."),
    )
    # The honeypot: hidden from people (CSS, aria-hidden, no tab stop), filled in by form-filling bots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        days = settings.TIP_CONTACT_RETENTION_DAYS
        self.fields["email"].help_text = _(
            "We write to you once, when it has been checked. Only our staff see your address, "
            "and it is deleted after %(days)d days."
        ) % {"days": days}

    @property
    def is_bot(self) -> bool:
        return bool(self.is_valid() and self.cleaned_data.get(HONEYPOT, "").strip())

    def to_tip(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            "text": data.get("text", ""),
            "url": data.get("url", ""),
            "email": data.get("email", ""),
            "language": data.get("language", "").strip() or "en",
        }

    def add_service_errors(self, fields: dict) -> None:
        for name, messages in fields.items():
            target = name if name in self.fields and name != HONEYPOT else None
            for message in messages if isinstance(messages, list) else [messages]:
                self.add_error(target, str(message))
