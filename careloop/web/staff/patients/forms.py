"""Forms only parse input; the rules live in careloop.patients.services."""

from typing import Any

from django import forms

from careloop.core.errors import ValidationFailed
from careloop.patients.models import CareTeamRole, SexAtBirth


def text(label: str, *, required: bool = False, **attrs: str) -> forms.CharField:
    # Required fields carry the HTML attribute only: the service gives the message, so the
    # form and the API say the same thing.
    widget_attrs = {"required": "required"} if required else {}
    widget_attrs.update(attrs)
    return forms.CharField(
        label=label, required=False, strip=True, widget=forms.TextInput(attrs=widget_attrs)
    )


class PatientForm(forms.Form):
    legal_given_name = text("Legal given name", required=True, autocomplete="off")
    legal_family_name = text("Legal family name", required=True, autocomplete="off")
    preferred_name = text("Preferred name")
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "required": "required"}),
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
    )
    sex_at_birth = forms.ChoiceField(
        label="Sex at birth",
        required=False,
        choices=[("", "Choose…"), *SexAtBirth.choices],
    )
    gender_identity = text("Gender identity")
    pronouns = text("Pronouns", list="pronoun-suggestions")
    email = text("Email", type="email", autocomplete="off")
    mobile_phone = text("Mobile phone", type="tel")
    home_phone = text("Home phone", type="tel")
    address_line1 = text("Address line 1")
    address_line2 = text("Address line 2")
    city = text("City")
    region = text("State or province")
    postal_code = text("Postal code")
    country = text("Country (two letters)", maxlength="2", size="2")
    preferred_language = text("Preferred language (e.g. en, es, pt-BR)")
    emergency_contact_name = text("Name")
    emergency_contact_relationship = text("Relationship")
    emergency_contact_phone = text("Phone", type="tel")

    GROUPS = (
        ("Legal and preferred name", ("legal_given_name", "legal_family_name", "preferred_name")),
        (
            "Birth and identity",
            ("date_of_birth", "sex_at_birth", "gender_identity", "pronouns"),
        ),
        ("Contact", ("mobile_phone", "home_phone", "email", "preferred_language")),
        (
            "Address",
            ("address_line1", "address_line2", "city", "region", "postal_code", "country"),
        ),
        (
            "Emergency contact",
            (
                "emergency_contact_name",
                "emergency_contact_relationship",
                "emergency_contact_phone",
            ),
        ),
    )

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.GROUPS]

    def values(self) -> dict[str, Any]:
        """The cleaned values, dates as dates and everything else as stripped text."""
        return {name: self.cleaned_data.get(name) for name in self.fields}


def show_errors(form: forms.Form, error: ValidationFailed) -> None:
    """Put each service field error beside its field (or above the form if it has none)."""
    for item in error.errors:
        form.add_error(item.field if item.field in form.fields else None, item.message)


class HouseholdForm(forms.Form):
    name = text("Household name", required=True)
    head = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CareTeamAssignForm(forms.Form):
    staff = forms.IntegerField(label="Staff member")
    role = forms.ChoiceField(label="Role", choices=CareTeamRole.choices)
