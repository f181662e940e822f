import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import Conflict, ValidationFailed
from careloop.memberships.models import Benefit
from careloop.memberships.services.catalog import benefit_remove, benefit_set, service_update
from careloop.memberships.tests.catalog_builders import a_plan, a_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(admin):
    return a_plan(admin, "active-care")


@pytest.fixture
def visit(admin):
    return a_service(admin, "provider-visit", a_la_carte_price=15000)


def test_a_benefit_with_an_allowance_rollover_and_discount(admin, plan, visit):
    benefit = benefit_set(
        actor=admin,
        plan=plan,
        service_id=visit.id,
        allowance=2,
        allowance_period="month",
        rollover="up_to",
        rollover_cap=2,
        member_discount_percent=20,
    )
    assert (benefit.allowance, benefit.rollover_cap, benefit.beyond_allowance_price()) == (
        2,
        2,
        12000,
    )
    assert AuditEvent.objects.get(action="catalog.benefit_set").detail["created"] is True


def test_setting_a_benefit_again_updates_the_same_row(admin, plan, visit):
    benefit_set(actor=admin, plan=plan, service_id=visit.id, allowance=1)
    benefit_set(actor=admin, plan=plan, service_id=visit.id, allowance=None, member_price=9000)
    benefit = Benefit.objects.get()
    assert (benefit.allowance, benefit.member_price) == (None, 9000)


def test_an_unknown_service_is_named(admin, plan):
    with pytest.raises(ValidationFailed) as raised:
        benefit_set(actor=admin, plan=plan, service_id=987654, allowance=1)
    assert [(e.field, e.code) for e in raised.value.errors] == [("service", "not_found")]
    assert not Benefit.objects.exists()


def test_an_inactive_service_cannot_be_added(admin, plan, visit):
    service_update(actor=admin, service=visit, active=False)
    with pytest.raises(ValidationFailed) as raised:
        benefit_set(actor=admin, plan=plan, service_id=visit.id, allowance=1)
    assert raised.value.errors[0].code == "inactive"


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"rollover": "up_to"}, "rollover_cap", "required"),
        ({"rollover": "expiring"}, "rollover_expires_after_periods", "required"),
        ({"rollover": "none", "rollover_cap": 2}, "rollover_cap", "not_applicable"),
        ({"rollover": "all", "rollover_cap": 2}, "rollover_cap", "not_applicable"),
        (
            {"rollover": "up_to", "rollover_cap": 2, "rollover_expires_after_periods": 3},
            "rollover_expires_after_periods",
            "not_applicable",
        ),
        ({"rollover": "all", "allowance": None}, "rollover", "unlimited"),
        ({"rollover": "all", "allowance_period": "term"}, "rollover", "per_term"),
        ({"rollover": "up_to", "rollover_cap": 0}, "rollover_cap", "too_small"),
        ({"rollover": "sometimes"}, "rollover", "invalid_choice"),
        ({"allowance": -1}, "allowance", "too_small"),
        ({"allowance_period": "week"}, "allowance_period", "invalid_choice"),
        ({"member_price": -100}, "member_price", "too_small"),
        ({"member_price": 10.5}, "member_price", "fractional_amount"),
        ({"member_discount_percent": 120}, "member_discount_percent", "too_large"),
        (
            {"member_price": 5000, "member_discount_percent": 10},
            "member_discount_percent",
            "price_and_discount",
        ),
    ],
)
def test_each_rule_names_its_field_and_nothing_changes(admin, plan, visit, fields, field, code):
    values = {"allowance": 2} | fields
    with pytest.raises(ValidationFailed) as raised:
        benefit_set(actor=admin, plan=plan, service_id=visit.id, **values)
    assert (field, code) in [(e.field, e.code) for e in raised.value.errors]
    assert not Benefit.objects.exists()


def test_expiring_rollover_with_its_periods_is_accepted(admin, plan, visit):
    benefit = benefit_set(
        actor=admin,
        plan=plan,
        service_id=visit.id,
        allowance=1,
        allowance_period="quarter",
        rollover="expiring",
        rollover_expires_after_periods=2,
    )
    assert (benefit.rollover, benefit.rollover_expires_after_periods) == ("expiring", 2)


def test_a_benefit_is_removed_and_audited(admin, plan, visit):
    benefit_set(actor=admin, plan=plan, service_id=visit.id, allowance=1)
    benefit_remove(actor=admin, plan=plan, service_id=visit.id)
    assert not Benefit.objects.exists()
    assert AuditEvent.objects.filter(action="catalog.benefit_remove").exists()


def test_removing_a_benefit_the_plan_does_not_have_is_an_error(admin, plan, visit):
    with pytest.raises(ValidationFailed) as raised:
        benefit_remove(actor=admin, plan=plan, service_id=visit.id)
    assert raised.value.errors[0].field == "service"


def test_a_benefit_already_granted_cannot_be_removed(admin, plan, visit, patient_ann):
    from datetime import date

    from careloop.core import clock
    from careloop.memberships.models import EntitlementEntry
    from careloop.memberships.tests.catalog_builders import a_membership

    benefit = benefit_set(actor=admin, plan=plan, service_id=visit.id, allowance=1)
    membership = a_membership(plan, patient_ann)
    EntitlementEntry.objects.create(
        membership=membership,
        patient=patient_ann,
        service=visit,
        benefit=benefit,
        kind="grant",
        quantity=1,
        period_start=date(2025, 1, 15),
        period_end=date(2025, 2, 15),
        occurred_on=date(2025, 1, 15),
        recorded_at=clock.now(),
    )
    with pytest.raises(Conflict):
        benefit_remove(actor=admin, plan=plan, service_id=visit.id)
    assert Benefit.objects.filter(id=benefit.id).exists()
