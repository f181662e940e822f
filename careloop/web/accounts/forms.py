from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm

from careloop.accounts.services.tokens import NAME_MAX_LENGTH
from careloop.core.errors import ValidationFailed


class SignInForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
        error_messages={"required": "Enter your username."},
    )
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the code from your authenticator app."},
    )


class TotpCodeForm(forms.Form):
    code = forms.RegexField(
        label="6-digit code",
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        help_text="The code your authenticator app shows now.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={
            "required": "Enter the 6-digit code from your authenticator app.",
            "invalid": "The code is 6 digits, like 123456.",
        },
    )


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="What will use it, e.g. “Lab results import”.",
        error_messages={
            "required": "Give the token a name, such as the integration that will use it.",
            "max_length": f"Keep the name to {NAME_MAX_LENGTH} characters or fewer.",
        },
    )


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        error_messages={
            "required": "Enter the email address of your account.",
            "invalid": "Enter an email address such as name@example.com.",
        },
    )


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Django's form, without autofocus: it sits beside other forms on the Security page."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs.pop("autofocus", None)


def add_service_errors(form: forms.Form, error: ValidationFailed) -> None:
    """Show a service's field errors beside the matching inputs (or above the form)."""
    for field_error in error.errors:
        field = field_error.field if field_error.field in form.fields else None
        form.add_error(field, field_error.message)
