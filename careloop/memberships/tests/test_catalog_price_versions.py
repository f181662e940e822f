import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import Membership, PlanPrice
from careloop.memberships.selectors.catalog import plan_price_table
from careloop.memberships.services.catalog import plan_price_set, plan_update
from careloop.memberships.tests.catalog_builders import a_membership, a_plan

pytestmark = pytest.mark.django_db


def _versions(plan, interval="monthly"):
    return list(
        PlanPrice.objects.filter(plan=plan, interval=interval)
        .order_by("version")
        .values_list("version", "amount", "current")
    )


def test_a_price_change_with_members_creates_a_new_version_and_members_keep_theirs(
    admin, patient_ann
):
    plan = a_plan(admin, price=9900)
    plan_update(actor=admin, plan=plan, status="active")
    membership = a_membership(plan, patient_ann)
    new = plan_price_set(actor=admin, plan=plan, interval="monthly", amount=10900)
    assert _versions(plan) == [(1, 9900, False), (2, 10900, True)]
    membership = Membership.objects.get(id=membership.id)
    assert (membership.price.version, membership.price.amount) == (1, 9900)
    assert new.version == 2
    assert (
        AuditEvent.objects.filter(action="catalog.price_set").latest("sequence").detail["version"]
        == 2
    )


def test_an_active_plans_price_change_keeps_history_even_without_members(admin):
    plan = a_plan(admin, price=9900)
    plan_update(actor=admin, plan=plan, status="active")
    plan_price_set(actor=admin, plan=plan, interval="monthly", amount=8900)
    assert _versions(plan) == [(1, 9900, False), (2, 8900, True)]


def test_a_drafts_unused_price_is_replaced_in_place(admin):
    plan = a_plan(admin, price=9900)
    plan_price_set(actor=admin, plan=plan, interval="monthly", amount=8900, child_amount=2500)
    assert _versions(plan) == [(1, 8900, True)]
    assert PlanPrice.objects.get(plan=plan).child_amount == 2500


def test_a_drafts_price_used_by_a_membership_is_not_replaced(admin, patient_ann):
    plan = a_plan(admin, price=9900)
    a_membership(plan, patient_ann)
    plan_price_set(actor=admin, plan=plan, interval="monthly", amount=8900)
    assert _versions(plan) == [(1, 9900, False), (2, 8900, True)]


def test_setting_the_same_price_again_changes_nothing(admin):
    plan = a_plan(admin, price=9900)
    plan_update(actor=admin, plan=plan, status="active")
    events = AuditEvent.objects.count()
    plan_price_set(actor=admin, plan=plan, interval="monthly", amount=9900)
    assert _versions(plan) == [(1, 9900, True)]
    assert AuditEvent.objects.count() == events


def test_each_interval_has_its_own_versions_and_household_pricing(admin):
    plan = a_plan(admin, price=9900)
    plan_price_set(
        actor=admin,
        plan=plan,
        interval="annual",
        amount=99000,
        additional_adult_amount=79000,
        child_amount=30000,
        child_age_limit=21,
    )
    table = {row.interval.value: row for row in plan_price_table(plan)}
    monthly = table["monthly"].current
    assert monthly is not None
    assert monthly.amount == 9900
    assert table["quarterly"].current is None
    annual = table["annual"].current
    assert annual is not None
    assert (annual.additional_adult_amount, annual.child_amount, annual.child_age_limit) == (
        79000,
        30000,
        21,
    )


def test_the_price_table_counts_memberships_per_version(admin, patient_ann, patient_bob):
    plan = a_plan(admin, price=9900)
    plan_update(actor=admin, plan=plan, status="active")
    a_membership(plan, patient_ann)
    plan_price_set(actor=admin, plan=plan, interval="monthly", amount=10900)
    a_membership(plan, patient_bob, price=PlanPrice.objects.get(plan=plan, version=2))
    monthly = plan_price_table(plan)[0]
    assert [(p.version, monthly.membership_counts[p.id]) for p in monthly.history] == [
        (2, 1),
        (1, 1),
    ]


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"amount": -100}, "amount", "too_small"),
        ({"amount": 99.5}, "amount", "fractional_amount"),
        ({"child_amount": -1}, "child_amount", "too_small"),
        ({"additional_adult_amount": 0.25}, "additional_adult_amount", "fractional_amount"),
        ({"child_age_limit": 0}, "child_age_limit", "too_small"),
        ({"interval": "weekly"}, "interval", "invalid_choice"),
    ],
)
def test_bad_prices_are_refused_and_change_nothing(admin, fields, field, code):
    plan = a_plan(admin, price=9900)
    values = {"interval": "monthly", "amount": 10900} | fields
    with pytest.raises(ValidationFailed) as raised:
        plan_price_set(actor=admin, plan=plan, **values)
    assert [(e.field, e.code) for e in raised.value.errors] == [(field, code)]
    assert _versions(plan) == [(1, 9900, True)]


def test_a_retired_plans_prices_cannot_change(admin):
    plan = a_plan(admin, price=9900)
    plan_update(actor=admin, plan=plan, status="active")
    plan_update(actor=admin, plan=plan, status="retired")
    with pytest.raises(ValidationFailed) as raised:
        plan_price_set(actor=admin, plan=plan, interval="monthly", amount=10900)
    assert raised.value.errors[0].code == "plan_retired"
    assert _versions(plan) == [(1, 9900, True)]
