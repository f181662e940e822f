from django import forms

from careloop.memberships.models import Plan, ServiceKind
from careloop.scheduling.models import (
    AppointmentType,
    Location,
    SeriesFrequency,
    VisitMode,
    Weekday,
)
from careloop.scheduling.selectors.agenda import bookable_staff
from careloop.web.staff.catalog.forms import MoneyField
from careloop.web.staff.memberships.forms import set_choices

ORDINALS = [
    ("", "—"),
    ("1", "First"),
    ("2", "Second"),
    ("3", "Third"),
    ("4", "Fourth"),
    ("-1", "Last"),
]


def _choices(form: forms.Form, *, any_choice: bool) -> None:
    """Active types, providers and coaches, and locations; "any" first when searching."""
    types = [
        (str(kind.pk), f"{kind.name} ({kind.duration_minutes} min)")
        for kind in AppointmentType.objects.filter(active=True).order_by("name")
    ]
    people = [(str(person.pk), person.display_name) for person in bookable_staff()]
    places = [
        (str(place.pk), place.name)
        for place in Location.objects.filter(active=True).order_by("name")
    ]
    set_choices(form, "appointment_type", [("", "Choose a type…"), *types])
    set_choices(form, "provider", [("", "Any provider"), *people] if any_choice else people)
    set_choices(form, "location", [("", "Any location"), *places] if any_choice else places)


class SlotSearchForm(forms.Form):
    appointment_type = forms.ChoiceField(label="Appointment type")
    provider = forms.ChoiceField(required=False)
    location = forms.ChoiceField(required=False)
    first_day = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label="Days", min_value=1, max_value=31, initial=7)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _choices(self, any_choice=True)


class SeriesForm(forms.Form):
    appointment_type = forms.ChoiceField(label="Appointment type")
    provider = forms.ChoiceField()
    location = forms.ChoiceField()
    frequency = forms.ChoiceField(choices=SeriesFrequency.choices, initial="monthly_on_date")
    interval = forms.IntegerField(
        min_value=1, max_value=52, initial=1, help_text="Every 1, 2, 3… days, weeks or months."
    )
    start_date = forms.DateField(
        label="First visit", widget=forms.DateInput(attrs={"type": "date"})
    )
    local_start_time = forms.TimeField(label="Time", widget=forms.TimeInput(attrs={"type": "time"}))
    count = forms.IntegerField(label="Number of visits", required=False, min_value=1)
    until = forms.DateField(
        label="Or until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ordinal = forms.ChoiceField(
        label="Which weekday of the month", choices=ORDINALS, required=False
    )
    weekday = forms.TypedChoiceField(
        choices=[("", "—"), *Weekday.choices], required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _choices(self, any_choice=False)


def _provider_and_place(form: forms.Form) -> None:
    set_choices(form, "provider", [(str(p.pk), p.display_name) for p in bookable_staff()])
    set_choices(
        form,
        "location",
        [(str(place.pk), place.name) for place in Location.objects.order_by("name")],
    )


class PolicyForm(forms.Form):
    reminder_hours = forms.CharField(
        required=False,
        help_text="Hours before a visit, separated by commas (e.g. 48, 2); empty sends none.",
    )
    lapsed_membership_booking = forms.ChoiceField(
        label="Booking for a past-due or paused membership",
        choices=[("warn", "Warn and book"), ("block", "Refuse to book")],
    )

    def clean_reminder_hours(self) -> list[int]:
        text = self.cleaned_data["reminder_hours"]
        parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise forms.ValidationError("Give whole numbers of hours, separated by commas.")
        return [int(part) for part in parts]


class LocationForm(forms.Form):
    name = forms.CharField(max_length=120)
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    time_zone = forms.CharField(required=False, help_text="Empty: the clinic's time zone.")


class HoursForm(forms.Form):
    provider = forms.ChoiceField()
    location = forms.ChoiceField()
    weekday = forms.TypedChoiceField(choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    is_break = forms.BooleanField(required=False, label="This is a break (e.g. lunch)")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _provider_and_place(self)


class TimeOffForm(forms.Form):
    provider = forms.ChoiceField()
    start_at = forms.DateTimeField(
        label="Away from", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    end_at = forms.DateTimeField(
        label="Back at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(required=False, max_length=200)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        set_choices(self, "provider", [(str(p.pk), p.display_name) for p in bookable_staff()])


class TypeForm(forms.Form):
    name = forms.CharField(max_length=120)
    duration_minutes = forms.IntegerField(label="Minutes", initial=30)
    buffer_minutes = forms.IntegerField(label="Buffer after (minutes)", initial=0)
    mode = forms.ChoiceField(choices=VisitMode.choices)
    service_kind = forms.ChoiceField(
        label="Plan service it uses", choices=[("", "None"), *ServiceKind.choices], required=False
    )
    lead_time_minutes = forms.IntegerField(label="Book at least (minutes ahead)", initial=0)
    late_cancel_window_hours = forms.IntegerField(label="Late-cancel window (hours)", initial=24)
    late_cancel_fee = MoneyField("Late-cancel fee")
    no_show_fee = MoneyField("No-show fee")


def _plan_choices() -> list[tuple[str, str]]:
    return [(str(plan.pk), plan.name) for plan in Plan.objects.order_by("rank", "name")]


class PriorityForm(forms.Form):
    name = forms.CharField(max_length=120)
    plan_ids = forms.TypedMultipleChoiceField(
        label="Held for members of", coerce=int, widget=forms.CheckboxSelectMultiple
    )
    start_time = forms.TimeField(label="Slots from", widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label="To", widget=forms.TimeInput(attrs={"type": "time"}))
    release_time = forms.TimeField(
        label="Released to all at", widget=forms.TimeInput(attrs={"type": "time"})
    )
    release_days_before = forms.IntegerField(
        label="Days before the slot's day", initial=0, help_text="0: on the day itself."
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["plan_ids"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = _plan_choices()


class TypePlansForm(forms.Form):
    appointment_type = forms.ChoiceField(label="Appointment type")
    plan_ids = forms.TypedMultipleChoiceField(
        label="Only members of",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick none to let every patient book it.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        set_choices(
            self,
            "appointment_type",
            [(str(kind.pk), kind.name) for kind in AppointmentType.objects.order_by("name")],
        )
        field = self.fields["plan_ids"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = _plan_choices()
