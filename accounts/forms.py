"""Forms of the password and two-factor pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from . import twofactor


class PlainHelpMixin:
    """The password rules as one line of text: Django's <ul> does not fit the site's field help."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = " ".join(password_validation.password_validators_help_texts())


class PasswordChangeForm(PlainHelpMixin, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(PlainHelpMixin, auth_forms.SetPasswordForm):
    pass


def code_widget() -> forms.TextInput:
    return forms.TextInput(attrs={
        "autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
        "pattern": "[0-9 ]*", "maxlength": 8, "size": 8, "style": "max-width: 12rem",
    })


class CodeForm(forms.Form):
    """A code of `device`: checked (and counted by its throttling) in clean_code."""

    code = forms.CharField(label=_("6-digit code"), max_length=8, widget=code_widget(),
                           help_text=_("Shown in your authenticator app; it changes every 30 seconds."))

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device
        self.code_checked = False  # whether a code was tried on the device (a failed login if wrong)

    def clean_code(self) -> str:
        code = twofactor.normalise_code(self.cleaned_data["code"])
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("Enter the 6 digits shown in your authenticator app."))
        self.code_checked = True
        error = twofactor.code_error(self.device, code)
        if error:
            raise forms.ValidationError(error)
        return code


class RemoveDeviceForm(forms.Form):
    """Turning two-factor off: the account's password, or a current code."""

    secret = forms.CharField(
        label=_("Your password or a current code"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = device

    def clean_secret(self) -> str:
        secret = self.cleaned_data["secret"]
        code = twofactor.normalise_code(secret)
        if code.isdigit() and len(code) == 6 and twofactor.code_error(self.device, code) is None:
            return secret
        if self.user.check_password(secret):
            return secret
        raise forms.ValidationError(_("Neither your password nor a current code: two-factor stays on."))
