"""An admin sets who may book what: priority capacity rules (added, checked field by field,
stopped) and the plans a type is limited to (synthetic data only)."""

from datetime import time

import pytest

from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.core.errors import PermissionDenied, ValidationFailed
from careloop.memberships.tests.ledger_builders import make_plan
from careloop.scheduling.models import PriorityCapacity
from careloop.scheduling.selectors.calendars import available_slots
from careloop.scheduling.services.calendar import (
    appointment_type_plans_set,
    priority_capacity_add,
    priority_capacity_stop,
)
from careloop.scheduling.tests.builders import TUESDAY, local
from careloop.scheduling.tests.membership_builders import member_clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(provider):
    return member_clinic(provider)


def _afternoon(clinic) -> int:
    slots = available_slots(appointment_type=clinic.visit, first_day=TUESDAY, last_day=TUESDAY)
    return sum(1 for slot in slots if slot.start >= local(TUESDAY, 13))


def test_an_admin_holds_afternoons_for_concierge_and_stopping_the_rule_opens_them(admin, clinic):
    concierge = make_plan(name="Concierge")
    clock.freeze(local(TUESDAY, 7))
    assert _afternoon(clinic) == 15

    rule = priority_capacity_add(
        actor=admin,
        name=" Same-day Concierge ",
        plan_ids=[concierge.pk],
        start_time=time(13),
        end_time=time(17),
        release_time=time(8),
    )
    assert rule.name == "Same-day Concierge"
    assert list(rule.plans.all()) == [concierge]
    assert _afternoon(clinic) == 0

    priority_capacity_stop(actor=admin, rule=rule)
    assert _afternoon(clinic) == 15
    assert list(
        AuditEvent.objects.filter(action__startswith="scheduling.priority_capacity")
        .order_by("sequence")
        .values_list("action", flat=True)
    ) == ["scheduling.priority_capacity_add", "scheduling.priority_capacity_stop"]


def test_a_bad_rule_names_every_field_and_adds_nothing(admin, front_desk, clinic):
    with pytest.raises(ValidationFailed) as refused:
        priority_capacity_add(
            actor=admin,
            name=" ",
            plan_ids=[],
            start_time=time(17),
            end_time=time(13),
            release_time=time(8),
            release_days_before=31,
            provider=front_desk,
        )
    assert [(error.field, error.code) for error in refused.value.errors] == [
        ("name", "required"),
        ("plan_ids", "required"),
        ("end_time", "before_start"),
        ("release_days_before", "out_of_range"),
        ("provider", "invalid"),
    ]
    with pytest.raises(ValidationFailed) as unknown:
        priority_capacity_add(
            actor=admin,
            name="Ghost plan",
            plan_ids=[987654],
            start_time=time(13),
            end_time=time(17),
            release_time=time(8),
        )
    assert [(error.field, error.code) for error in unknown.value.errors] == [
        ("plan_ids", "not_found")
    ]
    assert not PriorityCapacity.objects.exists()


def test_only_an_admin_sets_booking_rules(front_desk, clinic):
    with pytest.raises(PermissionDenied):
        priority_capacity_add(
            actor=front_desk,
            name="Desk hold",
            plan_ids=[clinic.plan.pk],
            start_time=time(13),
            end_time=time(17),
            release_time=time(8),
        )
    with pytest.raises(PermissionDenied):
        appointment_type_plans_set(
            actor=front_desk, appointment_type=clinic.visit, plan_ids=[clinic.plan.pk]
        )
    assert not PriorityCapacity.objects.exists()
    assert not clinic.visit.plans_allowed.exists()


def test_a_type_is_limited_to_plans_and_opened_again(admin, clinic):
    appointment_type_plans_set(
        actor=admin, appointment_type=clinic.visit, plan_ids=[clinic.plan.pk]
    )
    assert list(clinic.visit.plans_allowed.all()) == [clinic.plan]

    with pytest.raises(ValidationFailed) as refused:
        appointment_type_plans_set(actor=admin, appointment_type=clinic.visit, plan_ids=[987654])
    assert [(error.field, error.code) for error in refused.value.errors] == [
        ("plan_ids", "not_found")
    ]
    assert list(clinic.visit.plans_allowed.all()) == [clinic.plan]

    appointment_type_plans_set(actor=admin, appointment_type=clinic.visit, plan_ids=[])
    assert not clinic.visit.plans_allowed.exists()
