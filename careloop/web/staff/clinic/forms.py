"""Forms only parse input; the rules live in careloop.core.services."""

from django import forms

from careloop.core.currencies import CURRENCIES
from careloop.core.errors import ValidationFailed
from careloop.core.models import ClinicSettings
from careloop.core.selectors import time_zone_names
from careloop.core.services import WEEKDAY_NAMES, OpeningHoursInput


def _time_input() -> forms.CharField:
    return forms.CharField(
        required=False, strip=True, widget=forms.TimeInput(attrs={"type": "time"})
    )


class ClinicSettingsForm(forms.Form):
    name = forms.CharField(label="Clinic name", required=False, strip=True)
    # Plain text fields shown as selects: an unknown value reaches the service, whose
    # message names the rule, instead of Django's "Select a valid choice".
    time_zone = forms.CharField(label="Time zone", required=False, widget=forms.Select)
    currency = forms.CharField(label="Currency", required=False, widget=forms.Select)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        zone_widget = self.fields["time_zone"].widget
        assert isinstance(zone_widget, forms.Select)
        zone_widget.choices = [(name, name.replace("_", " ")) for name in time_zone_names()]
        currency_widget = self.fields["currency"].widget
        assert isinstance(currency_widget, forms.Select)
        currency_widget.choices = [
            (code, f"{code} · {currency.name}") for code, currency in CURRENCIES.items()
        ]
        for weekday in range(7):
            self.fields[f"open_{weekday}"] = forms.BooleanField(
                label=f"Open on {WEEKDAY_NAMES[weekday]}", required=False
            )
            self.fields[f"opens_{weekday}"] = _time_input()
            self.fields[f"closes_{weekday}"] = _time_input()
            self.fields[f"opens_{weekday}"].label = f"{WEEKDAY_NAMES[weekday]} opens at"
            self.fields[f"closes_{weekday}"].label = f"{WEEKDAY_NAMES[weekday]} closes at"

    @staticmethod
    def initial_for(settings_row: ClinicSettings) -> dict[str, object]:
        initial: dict[str, object] = {
            "name": settings_row.name,
            "time_zone": settings_row.time_zone,
            "currency": settings_row.currency,
        }
        for hours in settings_row.opening_hours():
            initial[f"open_{hours.weekday}"] = True
            initial[f"opens_{hours.weekday}"] = hours.opens.strftime("%H:%M")
            initial[f"closes_{hours.weekday}"] = hours.closes.strftime("%H:%M")
        return initial

    def weekdays(self) -> list[dict[str, object]]:
        return [
            {
                "name": WEEKDAY_NAMES[weekday],
                "open": self[f"open_{weekday}"],
                "opens": self[f"opens_{weekday}"],
                "closes": self[f"closes_{weekday}"],
            }
            for weekday in range(7)
        ]

    def business_hours(self) -> list[OpeningHoursInput]:
        return [
            OpeningHoursInput(
                weekday=weekday,
                opens=self.cleaned_data.get(f"opens_{weekday}") or "",
                closes=self.cleaned_data.get(f"closes_{weekday}") or "",
            )
            for weekday in range(7)
            if self.cleaned_data.get(f"open_{weekday}")
        ]

    def show_errors(self, error: ValidationFailed) -> None:
        for item in error.errors:
            field = item.field
            if field.startswith("business_hours."):
                # "business_hours.<weekday>.<opens|closes>" from the service
                parts = field.split(".")
                field = f"{parts[2]}_{parts[1]}" if len(parts) == 3 else f"opens_{parts[1]}"
            self.add_error(field if field in self.fields else None, item.message)


class HolidayForm(forms.Form):
    date = forms.DateField(
        label="Date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
    )
    name = forms.CharField(label="Name", required=False, strip=True)

    def show_errors(self, error: ValidationFailed) -> None:
        for item in error.errors:
            self.add_error(item.field if item.field in self.fields else None, item.message)
