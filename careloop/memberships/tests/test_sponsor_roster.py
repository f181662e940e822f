from datetime import date

import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import RosterEntry
from careloop.memberships.services.sponsors import (
    roster_add,
    roster_terminate,
    sponsor_create,
    sponsor_update,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sponsor(billing):
    return sponsor_create(actor=billing, name="Acme")


def test_a_patient_is_added_and_terminated_with_audit_events(billing, sponsor, patient_ann):
    entry = roster_add(
        actor=billing, sponsor=sponsor, patient=patient_ann, effective_on=date(2025, 1, 1)
    )
    roster_terminate(actor=billing, entry=entry, terminated_on=date(2025, 7, 1))
    entry.refresh_from_db()
    assert (entry.effective_on, entry.terminated_on) == (date(2025, 1, 1), date(2025, 7, 1))
    actions = list(
        AuditEvent.objects.filter(patient_id=patient_ann.id).values_list("action", flat=True)
    )
    assert actions == ["sponsor.roster_add", "sponsor.roster_terminate"]


def test_a_patient_cannot_be_on_the_roster_twice_at_once(billing, sponsor, patient_ann):
    roster_add(actor=billing, sponsor=sponsor, patient=patient_ann, effective_on=date(2025, 1, 1))
    with pytest.raises(ValidationFailed) as raised:
        roster_add(
            actor=billing, sponsor=sponsor, patient=patient_ann, effective_on=date(2025, 3, 1)
        )
    assert raised.value.errors[0].code == "already_on_roster"
    assert RosterEntry.objects.count() == 1


def test_a_patient_can_return_after_a_termination(billing, sponsor, patient_ann):
    roster_add(
        actor=billing,
        sponsor=sponsor,
        patient=patient_ann,
        effective_on=date(2024, 1, 1),
        terminated_on=date(2024, 6, 1),
    )
    roster_add(actor=billing, sponsor=sponsor, patient=patient_ann, effective_on=date(2024, 6, 1))
    assert RosterEntry.objects.count() == 2


@pytest.mark.parametrize(
    ("effective_on", "terminated_on", "field", "code"),
    [
        (None, None, "effective_on", "required"),
        (date(2025, 1, 1), date(2025, 1, 1), "terminated_on", "ends_before_start"),
        (date(1970, 1, 1), None, "effective_on", "before_birth"),
    ],
)
def test_bad_dates_are_named(
    billing, sponsor, patient_ann, effective_on, terminated_on, field, code
):
    with pytest.raises(ValidationFailed) as raised:
        roster_add(
            actor=billing,
            sponsor=sponsor,
            patient=patient_ann,
            effective_on=effective_on,
            terminated_on=terminated_on,
        )
    assert (field, code) in [(e.field, e.code) for e in raised.value.errors]
    assert not RosterEntry.objects.exists()


def test_an_inactive_sponsor_takes_nobody_new(billing, sponsor, patient_ann):
    sponsor_update(actor=billing, sponsor=sponsor, active=False)
    with pytest.raises(ValidationFailed) as raised:
        roster_add(
            actor=billing, sponsor=sponsor, patient=patient_ann, effective_on=date(2025, 1, 1)
        )
    assert raised.value.errors[0].code == "inactive"


def test_terminating_twice_or_before_the_start_is_refused(billing, sponsor, patient_ann):
    entry = roster_add(
        actor=billing, sponsor=sponsor, patient=patient_ann, effective_on=date(2025, 1, 1)
    )
    with pytest.raises(ValidationFailed) as raised:
        roster_terminate(actor=billing, entry=entry, terminated_on=date(2024, 12, 31))
    assert raised.value.errors[0].code == "ends_before_start"
    roster_terminate(actor=billing, entry=entry, terminated_on=date(2025, 2, 1))
    with pytest.raises(ValidationFailed) as raised:
        roster_terminate(actor=billing, entry=entry, terminated_on=date(2025, 3, 1))
    assert raised.value.errors[0].code == "already_terminated"
    entry.refresh_from_db()
    assert entry.terminated_on == date(2025, 2, 1)
