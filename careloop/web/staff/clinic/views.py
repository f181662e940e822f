from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.core.selectors import clinic_settings as clinic_settings_row
from careloop.core.selectors import holidays
from careloop.core.services import clinic_settings_update, holiday_add, holiday_remove
from careloop.web.decorators import staff_view
from careloop.web.staff.clinic.forms import ClinicSettingsForm, HolidayForm


def _acting_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # staff_view lets only signed-in staff through
    return user


def _page(
    request: HttpRequest,
    *,
    settings_form: ClinicSettingsForm | None = None,
    holiday_form: HolidayForm | None = None,
    status: int = 200,
) -> HttpResponse:
    row = clinic_settings_row()
    zone = ZoneInfo(row.time_zone)
    return render(
        request,
        "staff/clinic/settings.html",
        {
            "form": settings_form
            or ClinicSettingsForm(initial=ClinicSettingsForm.initial_for(row)),
            "holiday_form": holiday_form or HolidayForm(),
            "holidays": holidays(),
            "saved": row,
            "now_in_zone": clock.now().astimezone(zone),
            "today": clock.today(),
        },
        status=status,
    )


@staff_view(Capability.CLINIC_CONFIGURE)
def clinic_settings(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = ClinicSettingsForm(request.POST)
    if form.is_valid():
        try:
            clinic_settings_update(
                actor=_acting_user(request),
                name=form.cleaned_data["name"],
                time_zone=form.cleaned_data["time_zone"],
                currency=form.cleaned_data["currency"],
                business_hours=form.business_hours(),
            )
        except ValidationFailed as error:
            form.show_errors(error)
        else:
            messages.success(request, "Clinic settings saved.")
            return redirect("staff:clinic_settings")
    return _page(request, settings_form=form, status=422)


@require_POST
@staff_view(Capability.CLINIC_CONFIGURE)
def clinic_holiday_add(request: HttpRequest) -> HttpResponse:
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            holiday = holiday_add(
                actor=_acting_user(request),
                date=form.cleaned_data["date"],
                name=form.cleaned_data["name"],
            )
        except ValidationFailed as error:
            form.show_errors(error)
        else:
            messages.success(
                request,
                f"{holiday.name} ({holiday.date:%A} {holiday.date.isoformat()}) is now a holiday.",
            )
            return redirect("staff:clinic_settings")
    return _page(request, holiday_form=form, status=422)


@require_POST
@staff_view(Capability.CLINIC_CONFIGURE)
def clinic_holiday_remove(request: HttpRequest, holiday_id: int) -> HttpResponse:
    holiday_remove(actor=_acting_user(request), holiday_id=holiday_id)
    messages.success(request, "Holiday removed.")
    return redirect("staff:clinic_settings")
