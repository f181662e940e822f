from typing import Any

import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import PermissionDenied, ValidationFailed
from careloop.core.models import ClinicSettings
from careloop.core.selectors import clinic_settings
from careloop.core.services import OpeningHoursInput, clinic_settings_update

pytestmark = pytest.mark.django_db

WEEKDAYS = [OpeningHoursInput(weekday=day, opens="08:00", closes="17:00") for day in range(5)]


def _update(actor, **overrides):
    values: dict[str, Any] = {
        "name": "Riverbend Direct Care",
        "time_zone": "America/Denver",
        "currency": "usd",
        "business_hours": WEEKDAYS,
    }
    values.update(overrides)
    return clinic_settings_update(actor=actor, **values)


def _stored():
    return list(ClinicSettings.objects.values())


def test_it_saves_every_field_and_audits_only_the_names_of_what_changed(admin):
    clinic_settings()
    row = _update(
        admin,
        business_hours=[
            OpeningHoursInput(weekday=5, opens="09:00", closes="12:30"),
            OpeningHoursInput(weekday=0, opens=" 07:30 ", closes="19:00"),
        ],
    )
    row.refresh_from_db()
    assert (row.name, row.time_zone, row.currency) == (
        "Riverbend Direct Care",
        "America/Denver",
        "USD",
    )
    assert row.business_hours == [
        {"weekday": 0, "opens": "07:30", "closes": "19:00"},
        {"weekday": 5, "opens": "09:00", "closes": "12:30"},
    ]
    event = AuditEvent.objects.get(action="clinic.settings_update")
    assert event.actor_id == admin.id
    assert event.detail == {"fields": ["name", "time_zone", "business_hours"]}
    assert "Riverbend" not in str(event.detail)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"name": "  "}, "name", "required"),
        ({"name": "x" * 201}, "name", "too_long"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "unknown_time_zone"),
        ({"time_zone": "america/chicago"}, "time_zone", "unknown_time_zone"),
        ({"currency": "US"}, "currency", "currency_format"),
        ({"currency": "US1"}, "currency", "currency_format"),
        ({"currency": "XYZ"}, "currency", "unsupported_currency"),
        (
            {"business_hours": [OpeningHoursInput(weekday=1, opens="17:00", closes="08:00")]},
            "business_hours.1.closes",
            "closes_before_opens",
        ),
        (
            {"business_hours": [OpeningHoursInput(weekday=2, opens="09:00", closes="09:00")]},
            "business_hours.2.closes",
            "closes_before_opens",
        ),
        (
            {"business_hours": [OpeningHoursInput(weekday=3, opens="25:00", closes="17:00")]},
            "business_hours.3.opens",
            "time_format",
        ),
        (
            {"business_hours": [OpeningHoursInput(weekday=4, opens="8am", closes="17:00")]},
            "business_hours.4.opens",
            "time_format",
        ),
        (
            {"business_hours": [OpeningHoursInput(weekday=0, opens="08:00", closes="")]},
            "business_hours.0.closes",
            "time_format",
        ),
        (
            {
                "business_hours": [
                    OpeningHoursInput(weekday=0, opens="08:00", closes="12:00"),
                    OpeningHoursInput(weekday=0, opens="13:00", closes="17:00"),
                ]
            },
            "business_hours.0",
            "duplicate",
        ),
        (
            {"business_hours": [OpeningHoursInput(weekday=7, opens="08:00", closes="12:00")]},
            "business_hours",
            "invalid",
        ),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(admin, overrides, field, code):
    clinic_settings()
    before = _stored()
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as raised:
        _update(admin, **overrides)
    assert [(error.field, error.code) for error in raised.value.errors] == [(field, code)]
    assert _stored() == before
    assert AuditEvent.objects.count() == events


def test_the_messages_say_what_to_enter(admin):
    with pytest.raises(ValidationFailed) as raised:
        _update(
            admin,
            time_zone="Mars/Base",
            currency="XYZ",
            business_hours=[OpeningHoursInput(weekday=1, opens="17:00", closes="08:00")],
        )
    messages = {error.field: error.message for error in raised.value.errors}
    assert "“Mars/Base” is not an IANA time zone" in messages["time_zone"]
    assert "XYZ" in messages["currency"]
    assert "USD" in messages["currency"]
    assert messages["business_hours.1.closes"] == (
        "Tuesday: the closing time must be after the opening time."
    )


def test_only_a_practice_admin_may_change_the_settings(provider):
    clinic_settings()
    before = _stored()
    with pytest.raises(PermissionDenied):
        _update(provider)
    assert _stored() == before
