"""Enrollment: each bad input is a clear error naming the rule, and nothing changes."""

from datetime import date

import pytest

from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.core.errors import PermissionDenied, ValidationFailed
from careloop.memberships.errors import AlreadyCovered
from careloop.memberships.models import (
    EntitlementEntry,
    MemberRole,
    Membership,
    MembershipMember,
    MembershipSettings,
    PlanPrice,
    RosterEntry,
    Sponsor,
    StatusChange,
)
from careloop.memberships.periods import Interval
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    give_visits,
    make_plan,
    snapshot,
)
from careloop.testing.factories import make_patient


@pytest.fixture
def plan(db):
    freeze_on(date(2026, 1, 10))
    return make_plan(code="essentials", rank=1)


def _codes(error: ValidationFailed) -> list[str]:
    return [field_error.code for field_error in error.errors]


def test_a_household_enrolls_active_with_members_history_grants_and_audit(front_desk, plan):
    give_visits(plan, per_month=2)
    head, partner, child = family()
    membership = enroll(
        front_desk,
        plan,
        head,
        (partner, MemberRole.ADULT),
        (child, MemberRole.CHILD),
        start=date(2026, 1, 10),
    )
    assert membership.status == "active"
    assert (membership.anchor_date, membership.anchor_day) == (date(2026, 1, 10), 10)
    assert sorted(membership.members.values_list("patient_id", "role")) == sorted(
        [(head.id, "primary"), (partner.id, "adult"), (child.id, "child")]
    )
    history = StatusChange.objects.get(membership=membership)
    assert (history.action, history.from_status, history.to_status) == ("enroll", "", "active")
    grants = EntitlementEntry.objects.filter(membership=membership, kind="grant")
    assert sorted(grants.values_list("patient_id", "quantity", "period_start")) == sorted(
        (patient.id, 2, date(2026, 1, 10)) for patient in (head, partner, child)
    )
    audited = AuditEvent.objects.filter(action="membership.enroll", object_id=str(membership.pk))
    assert {event.patient_id for event in audited} == {head.id, partner.id, child.id}


def test_without_a_payment_method_the_membership_is_pending_and_grants_nothing(front_desk, plan):
    give_visits(plan)
    ann = make_patient(given="Ann")
    membership = enroll(front_desk, plan, ann, start=date(2026, 1, 10), active=False)
    assert membership.status == "pending"
    assert not EntitlementEntry.objects.filter(membership=membership).exists()


def test_the_clinic_billing_day_anchors_on_the_first_such_day_after_the_start(front_desk, plan):
    MembershipSettings.objects.create(id=1, clinic_billing_day=1)
    ann = make_patient(given="Ann")
    membership = membership_enroll(
        actor=front_desk,
        plan=plan,
        interval=Interval.MONTHLY,
        payer_patient=ann,
        members=[MemberSpec(patient=ann, role=MemberRole.PRIMARY)],
        start_date=date(2026, 1, 10),
        anchor="clinic_day",
    )
    assert (membership.anchor_date, membership.anchor_day) == (date(2026, 2, 1), 1)


def _refused(actor, error_type, **overrides):
    ann = overrides.pop("ann", None) or make_patient(given="Ann", date_of_birth=date(1990, 1, 1))
    arguments = {
        "actor": actor,
        "interval": Interval.MONTHLY,
        "payer_patient": ann,
        "members": [MemberSpec(patient=ann, role=MemberRole.PRIMARY)],
        "start_date": date(2026, 1, 10),
        **overrides,
    }
    before = snapshot()
    with pytest.raises(error_type) as refused:
        membership_enroll(**arguments)
    assert snapshot() == before
    return refused.value


def test_an_unknown_plan_is_refused(front_desk, plan):
    error = _refused(front_desk, ValidationFailed, plan=987654)
    assert _codes(error) == ["unknown_plan"]
    assert error.errors[0].field == "plan"


def test_a_retired_plan_sells_no_more(front_desk, plan):
    plan.status = "retired"
    plan.save()
    error = _refused(front_desk, ValidationFailed, plan=plan)
    assert _codes(error) == ["plan_not_for_sale"]
    assert "retired and sells no more" in error.errors[0].message


def test_a_plan_without_a_current_price_for_the_interval_is_refused(front_desk, db):
    freeze_on(date(2026, 1, 10))
    monthly_only = make_plan(code="monthly-only", rank=1, quarterly=None, annual=None)
    error = _refused(front_desk, ValidationFailed, plan=monthly_only, interval=Interval.ANNUAL)
    assert _codes(error) == ["no_price"]


def test_a_stale_price_is_refused(front_desk, plan):
    old = PlanPrice.objects.get(plan=plan, interval="monthly")
    old.current = False
    old.save()
    PlanPrice.objects.create(
        plan=plan, interval="monthly", version=2, amount=12_000, created_at=clock.now()
    )
    error = _refused(front_desk, ValidationFailed, plan=plan, price=old)
    assert _codes(error) == ["stale_price"]


def test_a_child_over_the_age_limit_is_refused(front_desk, plan):
    head, _partner, child = family()
    child.date_of_birth = date(2007, 1, 1)
    child.save()
    error = _refused(
        front_desk,
        ValidationFailed,
        plan=plan,
        ann=head,
        members=[
            MemberSpec(patient=head, role=MemberRole.PRIMARY),
            MemberSpec(patient=child, role=MemberRole.CHILD),
        ],
    )
    assert _codes(error) == ["child_over_age_limit"]
    assert "a child over the age limit of 18" in error.errors[0].message


def test_a_start_before_the_patients_birth_is_refused(admin, plan):
    baby = make_patient(given="Bea", date_of_birth=date(2026, 1, 5))
    error = _refused(
        admin,
        ValidationFailed,
        plan=plan,
        ann=baby,
        members=[MemberSpec(patient=baby, role=MemberRole.PRIMARY)],
        start_date=date(2026, 1, 1),
    )
    assert _codes(error) == ["before_birth"]
    assert error.errors[0].field == "start_date"


def test_a_patient_already_covered_by_another_tier_is_refused_by_name(front_desk, plan):
    ann = make_patient(given="Ann", family="Avery")
    enroll(front_desk, plan, ann, start=date(2026, 1, 10))
    other = make_plan(code="concierge", rank=3)
    error = _refused(
        front_desk,
        AlreadyCovered,
        plan=other,
        ann=ann,
        members=[MemberSpec(patient=ann, role=MemberRole.PRIMARY)],
    )
    assert "Ann Avery is already covered by Essentials" in error.errors[0].message


def test_the_database_refuses_a_second_open_tier_and_names_the_member(front_desk, plan):
    from careloop.memberships.services.enrollment import member_add_row

    ann = make_patient(given="Ann", family="Avery")
    first = enroll(front_desk, plan, ann, start=date(2026, 1, 10))
    with pytest.raises(AlreadyCovered) as refused:
        member_add_row(membership=first, patient=ann, role=MemberRole.PRIMARY, on=date(2026, 1, 10))
    assert "Ann Avery is already covered" in refused.value.errors[0].message
    assert MembershipMember.objects.count() == 1


def test_members_must_share_the_paying_patients_household(front_desk, plan):
    ann = make_patient(given="Ann")
    stranger = make_patient(given="Sam", family="Stranger")
    error = _refused(
        front_desk,
        ValidationFailed,
        plan=plan,
        ann=ann,
        members=[
            MemberSpec(patient=ann, role=MemberRole.PRIMARY),
            MemberSpec(patient=stranger, role=MemberRole.ADULT),
        ],
    )
    assert _codes(error) == ["not_in_payer_household"]


def test_no_members_and_no_payer_are_refused(front_desk, plan):
    error = _refused(front_desk, ValidationFailed, plan=plan, members=[], payer_patient=None)
    assert sorted(_codes(error)) == ["one_payer_required", "required"]


def test_a_sponsor_must_sponsor_the_plan_and_members_must_be_on_its_roster(front_desk, plan):
    sponsor = Sponsor.objects.create(name="Acme Works", created_at=clock.now())
    ann = make_patient(given="Ann")
    error = _refused(
        front_desk, ValidationFailed, plan=plan, payer_patient=None, sponsor=sponsor, ann=ann
    )
    assert sorted(_codes(error)) == ["not_on_roster", "plan_not_sponsored"]

    sponsor.plans.add(plan)
    RosterEntry.objects.create(
        sponsor=sponsor, patient=ann, effective_on=date(2026, 1, 1), created_at=clock.now()
    )
    membership = membership_enroll(
        actor=front_desk,
        plan=plan,
        interval=Interval.MONTHLY,
        sponsor=sponsor,
        members=[MemberSpec(patient=ann, role=MemberRole.PRIMARY)],
        start_date=date(2026, 1, 10),
    )
    assert membership.sponsor == sponsor


def test_only_an_admin_may_backdate_an_enrollment_and_it_is_audited(front_desk, admin, plan):
    ann = make_patient(given="Ann")
    error = _refused(front_desk, PermissionDenied, plan=plan, ann=ann, start_date=date(2026, 1, 2))
    assert "only an admin may backdate" in error.message

    membership = enroll(admin, plan, ann, start=date(2026, 1, 2))
    assert Membership.objects.count() == 1
    assert AuditEvent.objects.filter(
        action="membership.backdate", object_id=str(membership.pk), patient_id=ann.id
    ).exists()
