from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .kinds import ALWAYS_MAILED, CHOOSABLE, MailMode


class SettingsForm(forms.Form):
    """The language of what a person is sent, and per kind: mailed at once, in the daily digest, or not."""

    language = forms.ChoiceField(label=_("Language of notifications and mails"), choices=settings.LANGUAGES)

    def __init__(self, *args, choices: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in CHOOSABLE:
            if kind in ALWAYS_MAILED:
                continue
            self.fields[f"mail_{kind}"] = forms.ChoiceField(
                label=kind.label, choices=MailMode.choices, widget=forms.RadioSelect,
                initial=choices.get(kind, MailMode.IMMEDIATE),
            )

    def kind_fields(self):
        return [self[name] for name in self.fields if name.startswith("mail_")]

    def choices(self) -> dict[str, str]:
        return {name.removeprefix("mail_"): value for name, value in self.cleaned_data.items()
                if name.startswith("mail_")}
