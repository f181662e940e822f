import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from careloop.core.models import ClinicSettings, Holiday
from careloop.core.selectors import clinic_settings
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db

URL = reverse("staff:clinic_settings")


def _form(**overrides):
    data = {
        "name": "Riverbend Direct Care",
        "time_zone": "America/Denver",
        "currency": "USD",
        "open_0": "on",
        "opens_0": "08:00",
        "closes_0": "17:00",
        "open_5": "on",
        "opens_5": "09:00",
        "closes_5": "12:00",
    }
    data.update(overrides)
    return data


def test_the_page_shows_the_current_settings_and_their_effect(admin):
    response = signed_in_client(admin).get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="America/Chicago" selected>America/Chicago</option>' in html
    assert '<option value="Europe/Paris">Europe/Paris</option>' in html
    assert "Billing and care dates use this time zone" in html
    assert "does not convert amounts already entered" in html
    assert re.search(r'name="opens_0"[^>]*value="08:00"', html)
    assert '<input type="checkbox" name="open_0" id="id_open_0" checked>' in html
    assert '<input type="checkbox" name="open_6" id="id_open_6">' in html


def test_saving_the_form_changes_the_settings(admin):
    client = signed_in_client(admin)
    response = client.post(URL, _form())
    assert response["Location"] == URL
    row = clinic_settings()
    assert (row.name, row.time_zone) == ("Riverbend Direct Care", "America/Denver")
    assert row.business_hours == [
        {"weekday": 0, "opens": "08:00", "closes": "17:00"},
        {"weekday": 5, "opens": "09:00", "closes": "12:00"},
    ]
    page = client.get(URL).content.decode()
    assert "Clinic settings saved." in page
    assert "Riverbend Direct Care" in page


def test_bad_input_is_shown_beside_each_field_and_nothing_is_saved(admin):
    clinic_settings()
    before = list(ClinicSettings.objects.values())
    response = signed_in_client(admin).post(
        URL, _form(time_zone="Nowhere/Town", currency="DOLLARS", opens_5="13:00")
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "“Nowhere/Town” is not an IANA time zone" in html
    assert "three-letter ISO 4217 currency code" in html
    assert "Saturday: the closing time must be after the opening time." in html
    assert list(ClinicSettings.objects.values()) == before


def test_holidays_are_added_and_removed_from_the_page(admin):
    client = signed_in_client(admin)
    response = client.post(
        reverse("staff:clinic_holiday_add"), {"date": "2026-11-26", "name": "Thanksgiving"}
    )
    assert response["Location"] == URL
    holiday = Holiday.objects.get()
    assert holiday.date == date(2026, 11, 26)
    assert "Thanksgiving" in client.get(URL).content.decode()

    response = client.post(reverse("staff:clinic_holiday_remove", args=[holiday.id]))
    assert response["Location"] == URL
    assert not Holiday.objects.exists()


def test_a_duplicate_holiday_is_explained_on_the_page(admin):
    Holiday.objects.create(date=date(2026, 11, 26), name="Thanksgiving")
    response = signed_in_client(admin).post(
        reverse("staff:clinic_holiday_add"), {"date": "2026-11-26", "name": "Again"}
    )
    assert response.status_code == 422
    assert "2026-11-26 is already a holiday" in response.content.decode()
    assert Holiday.objects.count() == 1


@pytest.mark.parametrize("role", ["provider", "coach", "front_desk", "billing"])
def test_other_staff_are_refused(request, role):
    client = signed_in_client(request.getfixturevalue(role))
    assert client.get(URL).status_code == 403
    assert client.post(URL, _form()).status_code == 403
    assert clinic_settings().name != "Riverbend Direct Care"


def test_patients_are_told_there_is_nothing_here(patient_ann):
    assert signed_in_client(patient_ann.user).get(URL).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(db):
    assert Client().get(URL)["Location"].startswith(reverse("accounts:login"))
