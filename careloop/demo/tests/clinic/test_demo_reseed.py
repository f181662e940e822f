"""Seeding the demo clinic again changes nothing: one reseed for the whole clinic, as each
costs nearly as much as the first."""

import pytest

from careloop.care.models import CarePlan, CareTask, ClinicalNote, LabOrder
from careloop.demo.seed import demo_seed
from careloop.demo.tests.snapshots import (
    appointments_snapshot,
    ledger_snapshot,
    memberships_snapshot,
)
from careloop.scheduling.models import AppointmentSeries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_clinic")]


def _clinic() -> tuple[object, ...]:
    return (
        memberships_snapshot(),
        ledger_snapshot(),
        appointments_snapshot(),
        AppointmentSeries.objects.count(),
        [model.objects.count() for model in (CarePlan, CareTask, LabOrder, ClinicalNote)],
    )


def test_seeding_again_changes_no_membership_visit_or_care_record():
    before = _clinic()
    demo_seed()
    assert _clinic() == before
