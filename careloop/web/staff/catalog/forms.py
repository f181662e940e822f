"""Forms only parse input (dollars to cents, text to numbers and dates); the rules live in
careloop.memberships.services.catalog and .sponsors, so the forms and the API say the same."""

from typing import Any

from django import forms

from careloop.core.errors import ValidationFailed
from careloop.memberships.models import (
    AllowancePeriod,
    MessagingPriority,
    PastDueCoverage,
    PlanKind,
    Rollover,
    ServiceKind,
    SponsorShare,
)
from careloop.web.money import MoneyInputError, parse_money


class MoneyField(forms.CharField):
    """Dollars and cents as typed ("1,234.50"), cleaned to minor units or None."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        attrs = {"inputmode": "decimal", "class": "money", "autocomplete": "off"}
        super().__init__(label=label, required=False, widget=forms.TextInput(attrs=attrs), **kwargs)

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        try:
            return parse_money(str(value or ""), label=str(self.label))
        except MoneyInputError as error:
            raise forms.ValidationError(str(error)) from None


def number(label: str, **kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, **kwargs)


def date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
    )


def text(label: str, **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, strip=True, widget=forms.TextInput(attrs=attrs)
    )


def show_errors(form: forms.Form, error: ValidationFailed) -> None:
    """Put each service field error beside its field (or above the form if it has none)."""
    for item in error.errors:
        target = item.field if item.field in form.fields else None
        if target is None and item.field == "service" and "service_id" in form.fields:
            target = "service_id"
        form.add_error(target, item.message)


class GroupedForm(forms.Form):
    GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        if not self.GROUPS:
            return [("", [self[name] for name in self.fields])]
        return [(legend, [self[name] for name in names]) for legend, names in self.GROUPS]

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.fields}


class ServiceForm(GroupedForm):
    code = text("Code")
    name = text("Name")
    kind = forms.ChoiceField(label="Kind", required=False, choices=ServiceKind.choices)
    a_la_carte_price = MoneyField("A-la-carte price")
    active = forms.BooleanField(label="Offered", required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = "Lower-case letters, digits and hyphens; used by the API."
        self.fields["a_la_carte_price"].help_text = "What someone without a membership pays."


class PlanForm(GroupedForm):
    code = text("Code")
    name = text("Name")
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label="Kind", required=False, choices=PlanKind.choices)
    rank = number(
        "Rank", help_text="Higher ranks are richer tiers; tells upgrades from downgrades."
    )
    enrollment_fee = MoneyField("Enrollment fee")
    minimum_commitment_months = number("Minimum commitment (months)")
    early_termination_fee = MoneyField("Early-termination fee")
    cancellation_notice_days = number("Cancellation notice (days)")
    renews = forms.BooleanField(
        label="Renews at the end of each term",
        required=False,
        help_text="Unticked, a membership ends when its term ends (the cancellation is scheduled).",
    )
    pause_allowed = forms.BooleanField(label="Members may pause", required=False)
    pause_longest_months = number("Longest pause (months)")
    pause_fee_per_month = MoneyField("Fee per paused month")
    messaging_enabled = forms.BooleanField(label="Secure messaging included", required=False)
    response_target_business_hours = number("Response-time target (business hours)")
    messaging_priority = forms.ChoiceField(
        label="Messaging priority", required=False, choices=MessagingPriority.choices
    )
    messaging_daily_limit = number(
        "Messages a patient may send a day",
        help_text="Empty for no limit. Protects staff; the patient is told when they reach it.",
    )

    GROUPS = (
        ("Plan", ("name", "code", "kind", "rank", "description")),
        (
            "Fees and commitment",
            (
                "enrollment_fee",
                "minimum_commitment_months",
                "early_termination_fee",
                "cancellation_notice_days",
                "renews",
            ),
        ),
        ("Pausing", ("pause_allowed", "pause_longest_months", "pause_fee_per_month")),
        (
            "Messaging",
            (
                "messaging_enabled",
                "response_target_business_hours",
                "messaging_priority",
                "messaging_daily_limit",
            ),
        ),
    )

    def values(self) -> dict[str, Any]:
        values = super().values()
        # Empty numbers mean none: no fee, no commitment, no notice.
        for name in (
            "rank",
            "enrollment_fee",
            "minimum_commitment_months",
            "early_termination_fee",
            "cancellation_notice_days",
            "pause_longest_months",
            "pause_fee_per_month",
        ):
            if values[name] is None:
                values[name] = 0
        return values


class PriceForm(GroupedForm):
    amount = MoneyField("Price for the primary member")
    additional_adult_amount = MoneyField("Per additional adult")
    child_amount = MoneyField("Per child")
    child_age_limit = number(
        "Child age limit", help_text="A member younger than this on enrollment is a child."
    )

    def values(self) -> dict[str, Any]:
        values = super().values()
        for name in ("additional_adult_amount", "child_amount"):
            if values[name] is None:
                values[name] = 0
        if values["child_age_limit"] is None:
            values["child_age_limit"] = 18
        return values


class BenefitForm(GroupedForm):
    service_id = forms.TypedChoiceField(label="Service", required=False, coerce=int)
    unlimited = forms.BooleanField(label="Unlimited", required=False)
    allowance = number("Allowance (uses per period)")
    allowance_period = forms.ChoiceField(
        label="Period", required=False, choices=AllowancePeriod.choices
    )
    rollover = forms.ChoiceField(label="Unused uses", required=False, choices=Rollover.choices)
    rollover_cap = number("Rollover cap", help_text="For “up to a cap”: how many may roll over.")
    rollover_expires_after_periods = number(
        "Rolled-over uses expire after (periods)", help_text="For “expiring”."
    )
    member_price = MoneyField("Member price beyond the allowance")
    member_discount_percent = number(
        "Or a discount off the a-la-carte price (%)",
        help_text="Give a member price or a discount, not both; neither means a-la-carte.",
    )

    GROUPS = (
        ("Service and allowance", ("service_id", "allowance", "unlimited", "allowance_period")),
        ("Rollover", ("rollover", "rollover_cap", "rollover_expires_after_periods")),
        ("Beyond the allowance", ("member_price", "member_discount_percent")),
    )

    def __init__(self, *args: Any, services: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service_id"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Choose a service…"), *services]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("unlimited") and cleaned.get("allowance") is None:
            self.add_error("allowance", "Give the number of uses per period, or tick Unlimited.")
        if cleaned.get("service_id") in (None, ""):
            self.add_error("service_id", "Choose a service.")
        return cleaned

    def values(self) -> dict[str, Any]:
        values = super().values()
        unlimited = values.pop("unlimited")
        if unlimited:
            values["allowance"] = None
        return values


class SponsorForm(GroupedForm):
    name = text("Employer name")
    contact_name = text("Contact name")
    contact_email = text("Contact email", type="email")
    contact_phone = text("Contact phone", type="tel")
    share = forms.ChoiceField(
        label="Share", required=False, choices=SponsorShare.choices, widget=forms.RadioSelect
    )
    fixed_share_amount = MoneyField("Fixed share per member per month")
    plan_ids = forms.TypedMultipleChoiceField(
        label="Plans it pays for", required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    active = forms.BooleanField(label="Active", required=False, initial=True)

    GROUPS = (
        ("Employer", ("name", "contact_name", "contact_email", "contact_phone", "active")),
        ("What it pays", ("share", "fixed_share_amount", "plan_ids")),
    )

    def __init__(self, *args: Any, plans: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["plan_ids"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = plans


class RosterAddForm(forms.Form):
    patient = forms.IntegerField(widget=forms.HiddenInput)
    effective_on = date_field("Effective")
    terminated_on = date_field("Terminated (optional)")


class RosterTerminateForm(forms.Form):
    terminated_on = date_field("Terminated on")


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="Roster file (CSV)",
        help_text=(
            "Columns: given_name, family_name, date_of_birth, effective_on, terminated_on. "
            "Dates as 2025-01-31."
        ),
    )


class SettingsForm(GroupedForm):
    past_due_coverage = forms.ChoiceField(
        label="While a membership is past due",
        required=False,
        choices=PastDueCoverage.choices,
        widget=forms.RadioSelect,
    )
    clinic_billing_day = number(
        "Clinic billing day (1-31)",
        help_text="Leave empty to bill each membership on its start day.",
    )


class ReasonForm(forms.Form):
    label = text("New reason")
