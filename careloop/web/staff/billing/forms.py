"""Forms only parse input (text to numbers, dates and cents); the rules and most messages live
in careloop.billing.services, so the pages and the API say the same."""

from typing import Any

from django import forms

from careloop.billing.models import (
    AfterFinalFailure,
    DiscountDuration,
    DiscountKind,
    InvoiceKind,
    InvoiceStatus,
    OverageBilling,
)
from careloop.billing.selectors.invoices import InvoiceFilters
from careloop.core.errors import ValidationFailed
from careloop.web.staff.catalog.forms import MoneyField

DATE_MESSAGE = "Enter a date as YYYY-MM-DD, for example 2026-03-08."


def date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        error_messages={"invalid": f"{label}: {DATE_MESSAGE}"},
    )


def show_errors(form: forms.Form, error: ValidationFailed) -> None:
    """Put each service field error beside its field (or above the form if it has none)."""
    for item in error.errors:
        form.add_error(item.field if item.field in form.fields else None, item.message)


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *InvoiceStatus.choices],
        error_messages={"invalid_choice": "Status: choose one from the list."},
    )
    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "Any kind"), *InvoiceKind.choices],
        error_messages={"invalid_choice": "Kind: choose one from the list."},
    )
    issued_from = date_field("Issued from")
    issued_to = date_field("Issued to")
    payer = forms.CharField(label="Payer name", required=False, max_length=200, strip=True)
    needs_attention = forms.BooleanField(label="Only overdue or failed", required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("issued_from"), cleaned.get("issued_to")
        if first and last and last < first:
            self.add_error("issued_to", "Issued to: choose the same day as Issued from or later.")
        return cleaned

    def filters(self) -> InvoiceFilters:
        data = self.cleaned_data
        return InvoiceFilters(
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            issued_from=data.get("issued_from"),
            issued_to=data.get("issued_to"),
            payer=data.get("payer") or "",
            needs_attention=bool(data.get("needs_attention")),
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", required=False, strip=True, max_length=500, widget=forms.TextInput
    )


class RefundForm(forms.Form):
    amount = MoneyField("Amount to refund")
    reason = forms.CharField(label="Reason", required=False, strip=True, max_length=300)


class CardForm(forms.Form):
    token = forms.CharField(label="Card", required=False, strip=True, max_length=120)


class RedeemForm(forms.Form):
    code = forms.CharField(label="Discount code", required=False, strip=True, max_length=40)


def _whole_number(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        error_messages={"invalid": f"{label}: enter a whole number."},
    )


class DiscountForm(forms.Form):
    name = forms.CharField(label="Name", required=False, strip=True, max_length=120)
    code = forms.CharField(
        label="Code",
        required=False,
        strip=True,
        max_length=40,
        help_text="What the patient tells the front desk, such as SPRING25.",
    )
    kind = forms.ChoiceField(
        label="Kind",
        choices=DiscountKind.choices,
        initial=DiscountKind.PERCENT,
        error_messages={"invalid_choice": "Choose a percentage or an amount."},
    )
    percent_off = _whole_number("Percent off")
    amount_off = MoneyField("Amount off")
    duration = forms.ChoiceField(
        label="Applies to",
        choices=DiscountDuration.choices,
        initial=DiscountDuration.ONCE,
        error_messages={"invalid_choice": "Choose once, a number of periods, or forever."},
    )
    periods = _whole_number("Number of periods")
    expires_on = date_field("Last day it can be redeemed")
    max_redemptions = _whole_number("Most redemptions")
    plans = forms.MultipleChoiceField(
        label="Only for these plans",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every plan.",
        error_messages={"invalid_choice": "Choose plans from the list."},
    )

    def __init__(self, *args: Any, plans: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["plans"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = plans


def _day_list(label: str, text: str) -> list[int]:
    parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise forms.ValidationError(
            f"{label}: enter whole numbers of days separated by commas, such as 1, 1, 5."
        )
    return [int(part) for part in parts]


class BillingSettingsForm(forms.Form):
    retry_days = forms.CharField(
        label="Retry a failed charge after (days)",
        required=False,
        help_text=(
            "Days after the previous try, separated by commas: 1, 1, 5 retries one, two and "
            "seven days after the first failure."
        ),
    )
    after_final_failure = forms.ChoiceField(
        label="After the last retry fails",
        choices=AfterFinalFailure.choices,
        error_messages={"invalid_choice": "Choose cancel or keep past due."},
    )
    renewal_notice_days = forms.CharField(
        label="Tell annual members before they renew (days before)",
        required=False,
        help_text="Separated by commas, such as 30, 7.",
    )
    overage_billing = forms.ChoiceField(
        label="Bill use beyond the allowance",
        choices=OverageBilling.choices,
        error_messages={"invalid_choice": "Choose on the next invoice or at once."},
    )
    card_expiry_notice_days = _whole_number("Remind about an expiring card (days before a charge)")

    def clean_retry_days(self) -> list[int]:
        return _day_list("Retry days", self.cleaned_data.get("retry_days") or "")

    def clean_renewal_notice_days(self) -> list[int]:
        return _day_list("Renewal notice days", self.cleaned_data.get("renewal_notice_days") or "")
