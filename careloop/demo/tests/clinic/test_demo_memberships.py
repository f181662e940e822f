"""The demo clinic's year of membership history (seeded once for the module: see conftest)."""

from datetime import timedelta

import pytest

from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.memberships.lifecycle import COVERING
from careloop.memberships.models import (
    EntitlementEntry,
    EntryKind,
    Membership,
    MembershipMember,
    MembershipStatus,
    RosterEntry,
    ScheduledChange,
    StatusChange,
)
from careloop.memberships.selectors.balances import allowance_period
from careloop.patients.models import Patient
from careloop.scheduling.services.booking import HOLD_SOURCE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_clinic")]


def test_about_seventy_percent_of_the_patients_are_enrolled_in_a_tier():
    enrolled = (
        MembershipMember.objects.filter(plan_kind="tier").values("patient").distinct().count()
    )
    share = enrolled / Patient.objects.count()
    assert 0.65 <= share <= 0.75


def test_households_share_one_membership_and_some_members_are_sponsored():
    households = [
        membership
        for membership in Membership.objects.filter(payer_patient__isnull=False)
        if membership.members.values("patient").distinct().count() > 1
    ]
    assert len(households) >= 10
    for membership in households:
        assert membership.members.filter(role="primary", patient=membership.payer_patient).exists()
    sponsored = Membership.objects.filter(sponsor__isnull=False)
    assert sponsored.count() >= 3
    for membership in sponsored:
        member = membership.members.get(role="primary")
        assert RosterEntry.objects.filter(
            patient=member.patient,
            sponsor=membership.sponsor,
            effective_on__lte=membership.start_date,
        ).exists()
    assert Membership.objects.filter(plan__code="metabolic-health").exists()


def test_enrollments_are_spread_over_the_last_year():
    today = clock.today()
    starts = list(Membership.objects.values_list("start_date", flat=True))
    assert min(starts) >= today - timedelta(days=365)
    assert min(starts) <= today - timedelta(days=300)
    assert len({(day.year, day.month) for day in starts}) >= 10


def test_the_year_has_pauses_cancellations_with_reasons_and_tier_changes():
    actions = set(StatusChange.objects.values_list("action", flat=True))
    assert {"enroll", "pause", "resume", "cancel", "change_plan", "mark_past_due"} <= actions
    reasons = StatusChange.objects.filter(action="change_plan").values_list("reason", flat=True)
    upgrades = [r for r in reasons if r.endswith(("Active Care", "Concierge"))]
    assert upgrades
    assert len(upgrades) < len(reasons), "expected downgrades too"
    cancelled = Membership.objects.filter(status=MembershipStatus.CANCELLED)
    assert cancelled.exists()
    assert not cancelled.filter(cancellation_reason__isnull=True).exists()
    assert ScheduledChange.objects.filter(status="applied").exists()


def test_history_is_recorded_on_the_day_it_happened():
    zone = clock.clinic_zone()
    changes = StatusChange.objects.all()
    assert changes.count() > 100
    for change in changes:
        assert change.recorded_at.astimezone(zone).date() == change.effective_on
    enrollments = AuditEvent.objects.filter(action="membership.enroll")
    assert enrollments.exists()
    assert not AuditEvent.objects.filter(action="membership.backdate").exists()


def test_visits_are_recorded_as_uses_all_year_with_some_beyond_the_allowance():
    uses = EntitlementEntry.objects.filter(
        source_type=HOLD_SOURCE, kind__in=[EntryKind.CONSUME, EntryKind.OVERAGE]
    )
    assert uses.filter(kind=EntryKind.CONSUME).count() > 300
    assert uses.filter(kind=EntryKind.OVERAGE, unit_price__gt=0).exists()
    months = {(day.year, day.month) for day in uses.values_list("occurred_on", flat=True)}
    assert len(months) >= 12
    for entry in uses.select_related("membership")[:200]:
        assert entry.membership.start_date <= entry.occurred_on <= clock.today()


def test_every_covering_membership_has_its_current_period_grants():
    today = clock.today()
    checked = 0
    for membership in Membership.objects.filter(status__in=COVERING).select_related("plan"):
        members = membership.members.filter(left_on__isnull=True, joined_on__lte=today)
        for benefit in membership.plan.benefits.filter(allowance__gt=0):
            period = allowance_period(membership=membership, benefit=benefit, day=today)
            for member in members:
                assert EntitlementEntry.objects.filter(
                    membership=membership,
                    patient_id=member.patient_id,
                    service_id=benefit.service_id,
                    kind=EntryKind.GRANT,
                    period_start=period.start,
                ).exists(), (membership.pk, benefit.service_id, member.patient_id)
                checked += 1
    assert checked > 100
