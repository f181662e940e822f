"""Forms only parse input; the rules (and most messages) live in careloop.memberships.services."""

from datetime import date
from typing import Any

from django import forms

from careloop.core.errors import ValidationFailed
from careloop.memberships.models import MemberRole
from careloop.memberships.periods import Interval


def date_field(label: str, *, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        error_messages={"required": f"{label}: choose a date."},
    )


def choice(label: str, choices: list[tuple[str, str]], message: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        error_messages={"required": message, "invalid_choice": message},
    )


# Where a service names a field differently from the form that asked for it.
FIELD_ALIASES = {"effective_on": "on", "sponsor": "payer", "price": "plan", "token": "card"}


def show_errors(form: forms.Form, error: ValidationFailed) -> None:
    """Put each service field error beside its field (or above the form if it has none)."""
    for item in error.errors:
        field = item.field
        if field not in form.fields:
            field = FIELD_ALIASES.get(field, field)
        form.add_error(field if field in form.fields else None, item.message)


NOW, PERIOD_END, ON_DATE = "now", "period_end", "date"


class WhenForm(forms.Form):
    """When an action takes effect: now, at the end of the current period, or on a date."""

    when = forms.ChoiceField(
        label="When",
        widget=forms.RadioSelect,
        choices=[(NOW, "Now"), (PERIOD_END, "At the end of the period"), (ON_DATE, "On a date")],
        initial=NOW,
        error_messages={"required": "Choose when this takes effect."},
    )
    on = date_field("Date")

    def __init__(
        self,
        *args: Any,
        when_labels: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["when"]
        assert isinstance(field, forms.ChoiceField)
        if when_labels is not None:
            field.choices = [(key, label) for key, label in when_labels.items()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("when") == ON_DATE and cleaned.get("on") is None and "on" not in self.errors:
            self.add_error("on", "Choose the date it takes effect.")
        return cleaned

    def timing(self) -> dict[str, Any]:
        """The `effective_on` and `at_period_end` arguments of the lifecycle services."""
        when = self.cleaned_data["when"]
        if when == PERIOD_END:
            return {"effective_on": None, "at_period_end": True}
        if when == ON_DATE:
            return {"effective_on": self.cleaned_data["on"], "at_period_end": False}
        return {"effective_on": None, "at_period_end": False}


class PlanChangeForm(WhenForm):
    plan = choice("New plan", [], "Choose the plan to move to.")


class IntervalChangeForm(WhenForm):
    interval = choice("Bill", [], "Choose monthly, quarterly or annual.")


class MemberAddForm(WhenForm):
    patient = choice("Household member", [], "Choose who joins.")
    role = choice(
        "Role",
        [(MemberRole.ADULT.value, "Adult"), (MemberRole.CHILD.value, "Child")],
        "Choose adult or child.",
    )


class MemberRemoveForm(WhenForm):
    patient = choice("Member", [], "Choose who leaves.")


class PauseForm(WhenForm):
    resumes_on = date_field("Resumes on")


class ResumeForm(WhenForm):
    pass


class CancelForm(WhenForm):
    reason = choice("Reason", [], "Choose a cancellation reason from the list.")
    note = forms.CharField(
        label="Note", required=False, strip=True, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReactivateForm(WhenForm):
    pass


class PriceChangeForm(WhenForm):
    price = choice("New price", [], "Choose the new price version.")
    notice_on = date_field("Payer told on", required=True)


class CoverageForm(forms.Form):
    service = choice("Service", [], "Choose a service.")
    on = date_field("Date", required=True)


ANCHOR_START, ANCHOR_CLINIC = "start_day", "clinic_day"
# The card choices: the payer's card on file, a sandbox test card's token, or none.
CARD_ON_FILE, NO_CARD = "on_file", "none"
PAYER_PATIENT = "patient"


class EnrollForm(forms.Form):
    """Enroll a patient (the primary member) and any of their household.

    Each household member has a `member_<id>` checkbox and a `role_<id>` select.
    """

    payer = choice("Payer", [], "Choose who pays: this patient or a sponsor.")
    # Holds the service's messages about members; the members themselves are the checkboxes.
    members = forms.CharField(required=False, widget=forms.HiddenInput)
    plan = choice("Plan", [], "Choose a plan.")
    interval = choice(
        "Billing interval",
        [(str(value), str(label)) for value, label in Interval.choices],
        "Choose monthly, quarterly or annual.",
    )
    start_date = date_field("Start date", required=True)
    anchor = forms.ChoiceField(
        label="Billing day",
        widget=forms.RadioSelect,
        choices=[(ANCHOR_START, "The start day")],
        initial=ANCHOR_START,
        error_messages={"required": "Choose the billing day.", "invalid_choice": "Choose one."},
    )
    card = forms.ChoiceField(
        label="Card",
        required=False,
        widget=forms.RadioSelect,
        choices=[(NO_CARD, "No card yet")],
        initial=NO_CARD,
        error_messages={"invalid_choice": "Choose the card that pays, or no card yet."},
        help_text=(
            "The first invoice is charged to this card at once. Without a card the membership "
            "is pending and covers nothing until a card is added on the chart."
        ),
    )

    def __init__(
        self,
        *args: Any,
        payers: list[tuple[str, str]],
        plans: list[tuple[str, str]],
        household: list[tuple[int, str, str]],
        clinic_day_label: str | None,
        earliest: date | None,
        cards: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "payer", payers)
        set_choices(self, "card", [*cards, (NO_CARD, "No card yet")])
        set_choices(self, "plan", plans)
        if clinic_day_label is not None:
            set_choices(
                self, "anchor", [(ANCHOR_START, "The start day"), (ANCHOR_CLINIC, clinic_day_label)]
            )
        if earliest is not None:
            self.fields["start_date"].widget.attrs["min"] = earliest.isoformat()
        self.household = household
        for patient_id, name, role in household:
            self.fields[f"member_{patient_id}"] = forms.BooleanField(label=name, required=False)
            self.fields[f"role_{patient_id}"] = forms.ChoiceField(
                label=f"Role of {name}",
                choices=[(MemberRole.ADULT.value, "Adult"), (MemberRole.CHILD.value, "Child")],
                initial=role,
            )

    def household_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"member_{patient_id}"], self[f"role_{patient_id}"])
            for patient_id, _, _ in self.household
        ]

    def chosen_members(self) -> list[tuple[int, MemberRole]]:
        return [
            (patient_id, MemberRole(self.cleaned_data[f"role_{patient_id}"]))
            for patient_id, _, _ in self.household
            if self.cleaned_data.get(f"member_{patient_id}")
        ]


def set_choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices
