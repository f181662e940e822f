"""Forms of the staff care pages. They only read the input's types: every rule (a timing that
never fires, a missing reason, a due date before the care plan) is the services' own, shown
beside the field it names."""

from datetime import date, timedelta
from typing import Any

from django import forms

from careloop.accounts.models import User
from careloop.accounts.roles import STAFF_ROLES, Role
from careloop.care.models import ActivityKind, Protocol
from careloop.care.services.activities import ActivitySpec
from careloop.care.timing import Anchor, Repeat, Unit
from careloop.memberships.models import Plan, ServiceKind

FIGURES_MOST_DAYS = 366
NO_CHOICE = [("", "---------")]


def _choices(values: Any) -> list[tuple[str, str]]:
    return [(value.value, value.value.replace("_", " ")) for value in values]


class ActivityForm(forms.Form):
    """An activity as a protocol (or one patient's care plan) carries it."""

    kind = forms.ChoiceField(choices=NO_CHOICE + list(ActivityKind.choices), required=False)
    role = forms.ChoiceField(
        choices=NO_CHOICE + [(role.value, role.label) for role in Role if role in STAFF_ROLES],
        required=False,
        label="Staff role",
    )
    repeat = forms.ChoiceField(
        choices=[
            (Repeat.EVERY.value, "Every N days, weeks or months"),
            (Repeat.CALENDAR.value, "In given calendar months"),
        ]
    )
    every = forms.IntegerField(required=False, label="Every (N)")
    unit = forms.ChoiceField(choices=NO_CHOICE + _choices(Unit), required=False)
    calendar_months = forms.CharField(
        required=False, max_length=40, help_text="Months by number, e.g. 1,4,7,10."
    )
    day_of_month = forms.IntegerField(required=False)
    anchor = forms.ChoiceField(
        choices=[
            (Anchor.PREVIOUS_DUE.value, "From the previous due date"),
            (Anchor.PREVIOUS_COMPLETION.value, "From the previous completion"),
        ],
        label="Timed",
    )
    first_offset_days = forms.IntegerField(
        required=False, initial=0, label="First due, days after the start"
    )
    end_after_occurrences = forms.IntegerField(required=False)
    end_after_months = forms.IntegerField(required=False)
    days_before = forms.IntegerField(required=False, initial=7, label="Window: days before")
    days_after = forms.IntegerField(required=False, initial=14, label="Window: days after")
    service_kind = forms.ChoiceField(
        choices=[("", "None"), *list(ServiceKind.choices)],
        required=False,
        label="Plan service it uses",
    )
    instructions = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    order = forms.IntegerField(required=False, initial=0)

    def spec(self) -> ActivitySpec:
        data = self.cleaned_data

        def number(name: str, default: int) -> int:
            value = data.get(name)
            return default if value is None else int(value)

        return ActivitySpec(
            kind=data["kind"],
            role=data["role"],
            repeat=data["repeat"],
            every=data.get("every"),
            unit=data.get("unit") or "",
            calendar_months=data.get("calendar_months") or "",
            day_of_month=data.get("day_of_month"),
            anchor=data["anchor"],
            first_offset_days=number("first_offset_days", 0),
            end_after_occurrences=data.get("end_after_occurrences"),
            end_after_months=data.get("end_after_months"),
            days_before=number("days_before", 7),
            days_after=number("days_after", 14),
            service_kind=data.get("service_kind") or "",
            instructions=data.get("instructions") or "",
            order=number("order", 0),
        )


class CareActivityForm(ActivityForm):
    """An activity added to one patient's care plan: with the reason, kept in the history."""

    starts_on = forms.DateField(
        required=False, help_text="Empty: today.", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(required=False, max_length=500)


class ProtocolForm(forms.Form):
    name = forms.CharField(required=False, max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    plans = forms.ModelMultipleChoiceField(
        queryset=Plan.objects.order_by("rank", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Plans that carry it",
        help_text="Enrolling in one of these plans applies the protocol.",
    )


class ApplyForm(forms.Form):
    protocol = forms.ModelChoiceField(
        queryset=Protocol.objects.filter(active=True).order_by("name", "id"), required=False
    )
    started_on = forms.DateField(
        required=False, help_text="Empty: today.", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(required=False, max_length=500)


class TaskActionForm(forms.Form):
    action = forms.CharField()
    reason = forms.CharField(required=False, max_length=500)
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Back to the role's queue",
        label="Assign to",
    )
    due_on = forms.DateField(
        required=False, label="New due date", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if staff is not None:
            self.fields["assignee"].queryset = staff  # type: ignore[attr-defined]


class QueueFilterForm(forms.Form):
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.order_by("rank", "name"), required=False, empty_label="Any plan"
    )
    patient = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    offset = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class FiguresForm(forms.Form):
    """The milestone figures' range: by default the last 90 days up to today."""

    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def range(self) -> tuple[date, date]:
        start = self.cleaned_data.get("start") or self.today - timedelta(days=89)
        end = self.cleaned_data.get("end") or self.today
        return start, end

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        start, end = self.range()
        if end < start:
            self.add_error("end", "The range ends before it starts.")
        elif (end - start).days >= FIGURES_MOST_DAYS:
            self.add_error("end", f"A range is at most {FIGURES_MOST_DAYS} days.")
        return data
