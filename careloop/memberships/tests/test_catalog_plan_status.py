import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import Conflict, ValidationFailed
from careloop.memberships.models import Plan, PlanPrice, PlanStatus
from careloop.memberships.services.catalog import plan_delete, plan_update
from careloop.memberships.tests.catalog_builders import a_membership, a_plan

pytestmark = pytest.mark.django_db


def test_a_draft_goes_on_sale_and_is_later_retired(admin):
    plan = a_plan(admin)
    assert plan_update(actor=admin, plan=plan, status="active").status == PlanStatus.ACTIVE
    assert plan_update(actor=admin, plan=plan, status="retired").status == PlanStatus.RETIRED
    statuses = [e.detail["status"] for e in AuditEvent.objects.filter(action="catalog.plan_update")]
    assert statuses == ["active", "retired"]


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (["active"], "draft"),
        ([], "retired"),
        (["active", "retired"], "active"),
        (["active", "retired"], "draft"),
        ([], "archived"),
    ],
)
def test_other_status_moves_are_refused_and_change_nothing(admin, path, target):
    plan = a_plan(admin)
    for status in path:
        plan_update(actor=admin, plan=plan, status=status)
    before = Plan.objects.get(id=plan.id).status
    with pytest.raises(ValidationFailed) as raised:
        plan_update(actor=admin, plan=plan, status=target, name="Renamed")
    assert raised.value.errors[0].field == "status"
    plan.refresh_from_db()
    assert (plan.status, plan.name) == (before, "Essentials")


def test_a_plan_without_a_price_cannot_go_on_sale(admin):
    plan = a_plan(admin, price=None)
    with pytest.raises(ValidationFailed) as raised:
        plan_update(actor=admin, plan=plan, status="active")
    assert raised.value.errors[0].code == "needs_price"
    assert Plan.objects.get(id=plan.id).status == PlanStatus.DRAFT


def test_an_unsold_draft_can_be_deleted_with_its_prices(admin):
    plan = a_plan(admin)
    plan_delete(actor=admin, plan=plan)
    assert not Plan.objects.exists()
    assert not PlanPrice.objects.exists()
    assert AuditEvent.objects.filter(action="catalog.plan_delete").exists()


def test_a_plan_that_went_on_sale_cannot_be_deleted(admin):
    plan = a_plan(admin)
    plan_update(actor=admin, plan=plan, status="active")
    with pytest.raises(Conflict):
        plan_delete(actor=admin, plan=plan)
    assert Plan.objects.filter(id=plan.id).exists()


def test_a_draft_with_memberships_cannot_be_deleted(admin, patient_ann):
    plan = a_plan(admin)
    a_membership(plan, patient_ann)
    with pytest.raises(Conflict):
        plan_delete(actor=admin, plan=plan)
    assert Plan.objects.filter(id=plan.id).exists()


def test_a_plan_with_memberships_cannot_switch_between_tier_and_program(admin, patient_ann):
    plan = a_plan(admin)
    a_membership(plan, patient_ann)
    with pytest.raises(ValidationFailed) as raised:
        plan_update(actor=admin, plan=plan, kind="program")
    assert raised.value.errors[0].field == "kind"
    assert Plan.objects.get(id=plan.id).kind == "tier"
