import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import CancellationReason
from careloop.memberships.selectors.catalog import membership_settings
from careloop.memberships.services.catalog import (
    cancellation_reason_create,
    cancellation_reason_update,
    membership_settings_update,
)

pytestmark = pytest.mark.django_db


def test_settings_default_to_keep_covering_and_the_start_day():
    row = membership_settings()
    assert (row.past_due_coverage, row.clinic_billing_day) == ("keep", None)


def test_settings_are_updated_and_audited(admin):
    membership_settings_update(actor=admin, past_due_coverage="none", clinic_billing_day=1)
    row = membership_settings()
    assert (row.past_due_coverage, row.clinic_billing_day) == ("none", 1)
    assert AuditEvent.objects.get(action="catalog.settings_update").detail == {
        "fields": ["past_due_coverage", "clinic_billing_day"]
    }


@pytest.mark.parametrize(
    ("coverage", "day", "field"),
    [
        ("keep", 0, "clinic_billing_day"),
        ("keep", 32, "clinic_billing_day"),
        ("some", 1, "past_due_coverage"),
    ],
)
def test_bad_settings_are_refused(admin, coverage, day, field):
    with pytest.raises(ValidationFailed) as raised:
        membership_settings_update(actor=admin, past_due_coverage=coverage, clinic_billing_day=day)
    assert raised.value.errors[0].field == field
    assert membership_settings().clinic_billing_day is None


def test_a_reason_gets_a_code_from_its_label(admin):
    reason = cancellation_reason_create(actor=admin, label="Moved away")
    assert (reason.code, reason.active) == ("moved-away", True)


def test_a_reason_label_is_unique_and_required(admin):
    cancellation_reason_create(actor=admin, label="Moved away")
    with pytest.raises(ValidationFailed):
        cancellation_reason_create(actor=admin, label="moved away")
    with pytest.raises(ValidationFailed) as raised:
        cancellation_reason_create(actor=admin, label="  ")
    assert raised.value.errors[0].field == "label"
    assert CancellationReason.objects.count() == 1


def test_a_reason_is_renamed_and_taken_off_the_list(admin):
    reason = cancellation_reason_create(actor=admin, label="Cost")
    cancellation_reason_update(actor=admin, reason=reason, label="Too expensive", active=False)
    reason.refresh_from_db()
    assert (reason.label, reason.active, reason.code) == ("Too expensive", False, "cost")
