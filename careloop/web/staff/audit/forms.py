"""The audit log's filter bar: query-string input parsed into AuditFilters."""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from careloop.audit.models import Outcome
from careloop.audit.selectors import AuditFilters

DATE_FORMAT_MESSAGE = "enter a date as YYYY-MM-DD, for example 2026-03-08."


class AuditLogFilterForm(forms.Form):
    user = forms.CharField(
        label="User",
        required=False,
        max_length=150,
        help_text="Username, exactly as it signs in.",
        error_messages={"max_length": "usernames are at most 150 characters."},
    )
    patient = forms.IntegerField(
        label="Patient id",
        required=False,
        min_value=1,
        error_messages={
            "invalid": "enter the patient's record number, a whole number such as 1042.",
            "min_value": "record numbers start at 1.",
        },
    )
    action = forms.ChoiceField(label="Action", required=False)
    outcome = forms.ChoiceField(
        label="Outcome",
        required=False,
        choices=[("", "Any outcome"), *Outcome.choices],
        error_messages={"invalid_choice": "choose success, denied or failed."},
    )
    from_date = forms.DateField(
        label="From",
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_FORMAT_MESSAGE},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    to_date = forms.DateField(
        label="To",
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_FORMAT_MESSAGE},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # Keyset paging cursors, carried in the links rather than shown as fields.
    before = forms.IntegerField(
        label="Page",
        required=False,
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"invalid": "this page link is damaged; start again from the newest."},
    )
    after = forms.IntegerField(
        label="Page",
        required=False,
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"invalid": "this page link is damaged; start again from the newest."},
    )

    def __init__(self, *args: Any, actions: list[str], zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        action_field = self.fields["action"]
        assert isinstance(action_field, forms.ChoiceField)
        action_field.choices = [("", "Any action"), *((name, name) for name in actions)]
        action_field.error_messages["invalid_choice"] = (
            "“%(value)s” is not an action in the log; choose one from the list."
        )

    def clean_user(self) -> str:
        return str(self.cleaned_data.get("user") or "").strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("from_date"), cleaned.get("to_date")
        if first and last and last < first:
            self.add_error("to_date", "must be the same day as From or later.")
        if cleaned.get("before") and cleaned.get("after"):
            self.add_error("after", "this page link is damaged; start again from the newest.")
        return cleaned

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.zone)

    def filters(self) -> AuditFilters:
        """The validated filters; call only after is_valid()."""
        data = self.cleaned_data
        first: date | None = data.get("from_date")
        last: date | None = data.get("to_date")
        return AuditFilters(
            username=data.get("user") or "",
            patient_id=data.get("patient"),
            action=data.get("action") or "",
            outcome=data.get("outcome") or "",
            occurred_from=self._midnight(first) if first else None,
            occurred_before=self._midnight(last + timedelta(days=1)) if last else None,
        )

    def error_lines(self) -> list[str]:
        """Each problem as "Field: what to do", for the message above the results."""
        lines: list[str] = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else "Filters"
            lines.extend(f"{label}: {error}" for error in errors)
        return lines
