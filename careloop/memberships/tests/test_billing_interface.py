"""What billing reads: price, interval, anchor, period, household, sponsor share, overages."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.core import clock
from careloop.memberships.changes import PlanChange
from careloop.memberships.models import (
    EntitlementEntry,
    MemberRole,
    Membership,
    RosterEntry,
    Service,
    Sponsor,
)
from careloop.memberships.periods import Interval, Period
from careloop.memberships.selectors.billing import (
    membership_billing_terms,
    membership_overage_uses,
    memberships_billing_terms,
)
from careloop.memberships.services import lifecycle
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    make_plan,
    scheduled,
)
from careloop.testing.factories import make_patient


@pytest.fixture
def plans(db):
    freeze_on(date(2026, 1, 31))
    return (
        make_plan(code="essentials", rank=1, name="Essentials", monthly=10_000),
        make_plan(code="active-care", rank=2, name="Active Care", monthly=20_000),
    )


def test_billing_reads_the_household_terms_and_the_scheduled_upgrade(front_desk, admin, plans):
    essentials, active_care = plans
    head, partner, child = family()
    membership = enroll(
        front_desk,
        essentials,
        head,
        (partner, MemberRole.ADULT),
        (child, MemberRole.CHILD),
        start=date(2026, 1, 31),
    )
    change = scheduled(
        lifecycle.membership_upgrade(
            actor=admin, membership=membership, plan=active_care, at_period_end=True
        )
    )
    freeze_on(date(2026, 2, 10))
    terms = membership_billing_terms(membership=membership)
    assert (terms.interval, terms.interval_months, terms.anchor_date, terms.anchor_day) == (
        Interval.MONTHLY,
        1,
        date(2026, 1, 31),
        31,
    )
    assert terms.current_period == Period(date(2026, 1, 31), date(2026, 2, 28))
    assert (terms.price.primary_amount, terms.price.version, terms.price.currency) == (
        10_000,
        1,
        "USD",
    )
    assert [(m.role, m.age_at_period_start, m.amount) for m in terms.members] == [
        (MemberRole.PRIMARY, 40, 10_000),
        (MemberRole.ADULT, 41, 5_000),
        (MemberRole.CHILD, 10, 2_500),
    ]
    assert [m.name for m in terms.members] == [
        head.full_name,
        partner.full_name,
        child.full_name,
    ]
    assert (terms.plan_code, terms.plan_name, terms.plan_renews) == (
        "essentials",
        "Essentials",
        True,
    )
    assert (terms.period_amount, terms.payer_amount, terms.sponsor) == (17_500, 17_500, None)
    assert terms.payer_patient_id == head.id
    assert [(c.kind, c.effective_on) for c in terms.scheduled_changes] == [
        ("plan_change", date(2026, 2, 28))
    ]
    details = terms.scheduled_changes[0].details
    assert isinstance(details, PlanChange)
    assert (details.plan_id, details.upgrade, terms.scheduled_changes[0].id) == (
        active_care.id,
        True,
        change.id,
    )


def sponsored_quarterly(actor, plan) -> Membership:
    """Wanda, on Acme Works' roster, quarterly on `plan` from January 31 2026; Acme pays a
    fixed 40.00 a member a month."""
    sponsor = Sponsor.objects.create(
        name="Acme Works", share="fixed", fixed_share_amount=4_000, created_at=clock.now()
    )
    sponsor.plans.add(plan)
    worker = make_patient(given="Wanda")
    RosterEntry.objects.create(
        sponsor=sponsor, patient=worker, effective_on=date(2026, 1, 1), created_at=clock.now()
    )
    return membership_enroll(
        actor=actor,
        plan=plan,
        interval=Interval.QUARTERLY,
        sponsor=sponsor,
        members=[MemberSpec(patient=worker, role=MemberRole.PRIMARY)],
        start_date=date(2026, 1, 31),
        payment_method_on_file=True,
    )


def test_a_fixed_sponsor_share_is_capped_at_the_period_amount(front_desk, plans):
    essentials, _ = plans
    membership = sponsored_quarterly(front_desk, essentials)
    terms = membership_billing_terms(membership=membership)
    assert terms.period_amount == 28_000
    assert terms.sponsor is not None
    assert (terms.sponsor.amount, terms.payer_amount) == (12_000, 16_000)


def test_a_batch_reads_the_same_terms_in_the_same_queries_for_two_or_six(front_desk, plans):
    """`memberships_billing_terms` (a billing run's batch) gives each membership the terms
    `membership_billing_terms` gives it alone: households with their members' names and
    ages, two plans, a sponsor's share; and reads them in the same seven queries for six
    memberships as for two."""
    essentials, active_care = plans
    start = date(2026, 1, 31)
    memberships = [
        enroll(
            front_desk,
            essentials,
            head,
            (partner, MemberRole.ADULT),
            (child, MemberRole.CHILD),
            start=start,
        )
        for head, partner, child in (family("Lee"), family("Ng"))
    ]
    memberships += [
        enroll(front_desk, active_care, make_patient(given=name), start=start)
        for name in ("Ada", "Ben", "Cy")
    ]
    memberships.append(sponsored_quarterly(front_desk, essentials))
    day = date(2026, 2, 10)
    freeze_on(day)

    counts = []
    for batch in (memberships[-2:], memberships):
        with CaptureQueriesContext(connection) as queries:
            terms = memberships_billing_terms(days={m.pk: day for m in batch})
        counts.append(len(queries.captured_queries))
        assert terms == {m.pk: membership_billing_terms(membership=m, on=day) for m in batch}

    assert counts == [7, 7]
    assert [(m.name, m.role, m.age_at_period_start) for m in terms[memberships[0].pk].members] == [
        (m.patient.full_name, m.role, m.patient.age_on(start))
        for m in memberships[0].members.select_related("patient").order_by("id")
    ]


def test_overage_uses_to_charge_leave_out_reversed_ones(front_desk, plans):
    essentials, _ = plans
    ann = make_patient(given="Ann")
    membership = enroll(front_desk, essentials, ann, start=date(2026, 1, 31))
    service = Service.objects.create(
        code="iv", name="IV therapy", kind="iv_therapy", a_la_carte_price=20_000
    )

    def entry(kind, source_id, settles=None, on=date(2026, 2, 5)):
        return EntitlementEntry.objects.create(
            membership=membership,
            patient=ann,
            service=service,
            kind=kind,
            quantity=1,
            period_start=date(2026, 1, 31),
            period_end=date(2026, 2, 28),
            occurred_on=on,
            source_type="appointment",
            source_id=source_id,
            unit_price=15_000,
            settles=settles,
            recorded_at=clock.now(),
        )

    kept = entry("overage", "a1")
    reversed_use = entry("overage", "a2")
    entry("reverse", "", settles=reversed_use)
    entry("overage", "a3", on=date(2026, 3, 1))
    uses = membership_overage_uses(
        membership=membership, period=Period(date(2026, 1, 31), date(2026, 2, 28))
    )
    assert [(u.entry_id, u.amount, u.source_id) for u in uses] == [(kept.id, 15_000, "a1")]
