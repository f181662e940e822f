from django import forms

from careloop.scheduling.models import AppointmentType, Location, SeriesFrequency, Weekday
from careloop.scheduling.selectors.agenda import bookable_staff
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
