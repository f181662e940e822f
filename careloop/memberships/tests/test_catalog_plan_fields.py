import pytest

from careloop.core.errors import ValidationFailed
from careloop.memberships.models import Plan, PlanStatus
from careloop.memberships.services.catalog import plan_create, plan_update
from careloop.memberships.tests.catalog_builders import a_plan

pytestmark = pytest.mark.django_db


def test_a_plan_starts_as_a_draft_with_every_policy_field(admin):
    plan = plan_create(
        actor=admin,
        code="active-care",
        name="Active Care",
        description="Active management",
        kind="tier",
        enrollment_fee=9900,
        minimum_commitment_months=12,
        early_termination_fee=15000,
        pause_allowed=True,
        pause_longest_months=3,
        pause_fee_per_month=1000,
        cancellation_notice_days=30,
        messaging_enabled=True,
        response_target_business_hours=8,
        messaging_priority="priority",
        messaging_daily_limit=5,
        rank=2,
    )
    assert plan.status == PlanStatus.DRAFT
    assert (
        plan.enrollment_fee,
        plan.pause_longest_months,
        plan.response_target_business_hours,
        plan.messaging_daily_limit,
    ) == (
        9900,
        3,
        8,
        5,
    )


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"enrollment_fee": -1}, "enrollment_fee", "too_small"),
        ({"enrollment_fee": 10.5}, "enrollment_fee", "fractional_amount"),
        ({"early_termination_fee": 5000}, "early_termination_fee", "needs_commitment"),
        ({"pause_allowed": True}, "pause_longest_months", "required"),
        ({"pause_allowed": True, "pause_longest_months": 30}, "pause_longest_months", "too_large"),
        ({"messaging_enabled": True}, "response_target_business_hours", "required"),
        (
            {"messaging_enabled": True, "response_target_business_hours": 0},
            "response_target_business_hours",
            "too_small",
        ),
        (
            {
                "messaging_enabled": True,
                "response_target_business_hours": 8,
                "messaging_daily_limit": 0,
            },
            "messaging_daily_limit",
            "too_small",
        ),
        ({"messaging_priority": "whenever"}, "messaging_priority", "invalid_choice"),
        ({"kind": "bundle"}, "kind", "invalid_choice"),
        ({"cancellation_notice_days": -3}, "cancellation_notice_days", "too_small"),
        ({"pause_allowed": "yes"}, "pause_allowed", "not_a_boolean"),
    ],
)
def test_bad_policy_fields_are_named_and_nothing_is_created(admin, fields, field, code):
    with pytest.raises(ValidationFailed) as raised:
        plan_create(actor=admin, code="essentials", name="Essentials", **fields)
    assert (field, code) in [(e.field, e.code) for e in raised.value.errors]
    assert not Plan.objects.exists()


def test_every_problem_of_one_submission_is_reported_at_once(admin):
    with pytest.raises(ValidationFailed) as raised:
        plan_create(actor=admin, code="", name="", enrollment_fee=-1)
    assert {e.field for e in raised.value.errors} == {"code", "name", "enrollment_fee"}


def test_plan_codes_and_names_are_unique(admin):
    a_plan(admin, "essentials")
    with pytest.raises(ValidationFailed) as raised:
        plan_create(actor=admin, code="essentials", name="ESSENTIALS")
    assert {(e.field, e.code) for e in raised.value.errors} == {
        ("code", "taken"),
        ("name", "taken"),
    }


def test_a_plan_without_messaging_keeps_no_daily_limit(admin):
    plan = a_plan(
        admin, messaging_enabled=True, response_target_business_hours=8, messaging_daily_limit=3
    )
    updated = plan_update(actor=admin, plan=plan, messaging_enabled=False)
    assert (updated.response_target_business_hours, updated.messaging_daily_limit) == (None, None)


def test_turning_pausing_off_clears_the_pause_terms(admin):
    plan = a_plan(admin, pause_allowed=True, pause_longest_months=2, pause_fee_per_month=500)
    updated = plan_update(actor=admin, plan=plan, pause_allowed=False)
    assert (updated.pause_longest_months, updated.pause_fee_per_month) == (0, 0)


def test_a_rejected_update_leaves_the_plan_as_it_was(admin):
    plan = a_plan(admin, enrollment_fee=5000)
    with pytest.raises(ValidationFailed):
        plan_update(actor=admin, plan=plan, enrollment_fee=-5, description="Changed")
    plan.refresh_from_db()
    assert (plan.enrollment_fee, plan.description) == (5000, "")


def test_a_plan_renews_unless_told_otherwise_and_the_choice_can_change(admin):
    plan = plan_create(actor=admin, code="annual-reset", name="Annual Reset")
    assert plan.renews is True
    plan_update(actor=admin, plan=plan, renews=False)
    plan.refresh_from_db()
    assert plan.renews is False


def test_renews_must_be_true_or_false(admin):
    with pytest.raises(ValidationFailed) as refused:
        plan_create(actor=admin, code="annual-reset", name="Annual Reset", renews="sometimes")  # type: ignore[arg-type]
    assert [(error.field, error.code) for error in refused.value.errors] == [
        ("renews", "not_a_boolean")
    ]
    assert not Plan.objects.exists()
