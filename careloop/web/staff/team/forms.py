"""Forms only parse input; the rules live in careloop.accounts.services.staff."""

from django import forms

from careloop.accounts.roles import STAFF_ROLES, Role
from careloop.core.errors import ValidationFailed

STAFF_ROLE_CHOICES = [(value, label) for value, label in Role.choices if value in STAFF_ROLES]


def _text(label: str, **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, strip=True, widget=forms.TextInput(attrs=attrs)
    )


class ServiceErrorsForm(forms.Form):
    field_help: dict[str, str] = {}

    def fields_with_help(self) -> list[tuple[forms.BoundField, str]]:
        return [(self[name], self.field_help.get(name, "")) for name in self.fields]

    def show_errors(self, error: ValidationFailed) -> None:
        for item in error.errors:
            self.add_error(item.field if item.field in self.fields else None, item.message)


class StaffDetailsForm(ServiceErrorsForm):
    first_name = _text("First name", autocomplete="off")
    last_name = _text("Last name", autocomplete="off")
    email = _text("Email", type="email", autocomplete="off")
    credentials = _text("Credentials (optional)")

    field_help = {
        "email": "Invitations and password reset links are sent here.",
        "credentials": "Shown after the name, e.g. MD, NP, RN.",
    }


class StaffCreateForm(StaffDetailsForm):
    username = _text("Username", autocomplete="off", autocapitalize="none")
    # A plain field shown as a select, so an unknown role gets the service's message.
    role = forms.CharField(label="Role", required=False, widget=forms.Select)

    field_order = ["first_name", "last_name", "email", "username", "role", "credentials"]
    field_help = {
        **StaffDetailsForm.field_help,
        "username": "What they type to sign in. Letters, digits and . @ + - _ only.",
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        widget = self.fields["role"].widget
        assert isinstance(widget, forms.Select)
        widget.choices = [("", "Choose…"), *STAFF_ROLE_CHOICES]


class StaffRoleForm(ServiceErrorsForm):
    role = forms.CharField(label="Role", required=False, widget=forms.Select)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        widget = self.fields["role"].widget
        assert isinstance(widget, forms.Select)
        widget.choices = STAFF_ROLE_CHOICES
