from datetime import date

import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import NotFound, PermissionDenied, ValidationFailed
from careloop.core.models import Holiday
from careloop.core.services import holiday_add, holiday_remove

pytestmark = pytest.mark.django_db

CHRISTMAS = date(2026, 12, 25)


def test_a_holiday_is_added_and_audited_without_its_name(admin):
    holiday = holiday_add(actor=admin, date=CHRISTMAS, name=" Christmas Day ")
    assert (holiday.date, holiday.name) == (CHRISTMAS, "Christmas Day")
    event = AuditEvent.objects.get(action="clinic.holiday_add")
    assert (event.actor_id, event.object_id) == (admin.id, str(holiday.id))
    assert event.detail == {"fields": ["date", "name"]}


def test_the_same_date_cannot_be_a_holiday_twice(admin):
    holiday_add(actor=admin, date=CHRISTMAS, name="Christmas Day")
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as raised:
        holiday_add(actor=admin, date=CHRISTMAS, name="Also Christmas")
    assert [(e.field, e.code) for e in raised.value.errors] == [("date", "duplicate")]
    assert "2026-12-25 is already a holiday" in raised.value.errors[0].message
    assert list(Holiday.objects.values_list("name", flat=True)) == ["Christmas Day"]
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("day", "name", "expected"),
    [
        (None, "Closed", [("date", "required")]),
        (CHRISTMAS, "  ", [("name", "required")]),
        (None, "", [("date", "required"), ("name", "required")]),
        (CHRISTMAS, "x" * 121, [("name", "too_long")]),
    ],
)
def test_a_holiday_needs_a_date_and_a_name(admin, day, name, expected):
    with pytest.raises(ValidationFailed) as raised:
        holiday_add(actor=admin, date=day, name=name)
    assert [(e.field, e.code) for e in raised.value.errors] == expected
    assert not Holiday.objects.exists()


def test_a_holiday_is_removed_and_audited(admin):
    holiday = holiday_add(actor=admin, date=CHRISTMAS, name="Christmas Day")
    holiday_remove(actor=admin, holiday_id=holiday.id)
    assert not Holiday.objects.exists()
    assert AuditEvent.objects.filter(
        action="clinic.holiday_remove", object_id=str(holiday.id)
    ).exists()


def test_removing_an_unknown_holiday_is_not_found(admin):
    with pytest.raises(NotFound):
        holiday_remove(actor=admin, holiday_id=999)


def test_only_a_practice_admin_may_change_holidays(admin, front_desk):
    holiday = holiday_add(actor=admin, date=CHRISTMAS, name="Christmas Day")
    with pytest.raises(PermissionDenied):
        holiday_add(actor=front_desk, date=date(2026, 12, 26), name="Boxing Day")
    with pytest.raises(PermissionDenied):
        holiday_remove(actor=front_desk, holiday_id=holiday.id)
    assert list(Holiday.objects.values_list("id", flat=True)) == [holiday.id]
