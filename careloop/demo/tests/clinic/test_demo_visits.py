"""The demo clinic's calendar and visits (seeded once for the module: see conftest)."""

from datetime import datetime, time, timedelta

import pytest

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.billing.models import Invoice, InvoiceKind
from careloop.core import clock
from careloop.demo.calendar import MONTHLY_CHECK_IN, SATELLITE, TYPE_FOR_SERVICE
from careloop.demo.catalog import ACTIVE_CARE, CONCIERGE, SERVICES
from careloop.memberships.models import EntitlementEntry, EntryKind, MembershipMember
from careloop.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    AppointmentType,
    Break,
    Location,
    TimeOff,
    WorkingHours,
)
from careloop.scheduling.selectors.effects import BookingOutcome
from careloop.scheduling.services.booking import HOLD_SOURCE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_clinic")]


def _past() -> "list[Appointment]":
    """Visits before today (today's may still be to come, and stay booked)."""
    midnight = datetime.combine(clock.today(), time(0), tzinfo=clock.clinic_zone())
    return list(Appointment.objects.filter(end_at__lt=midnight).select_related("appointment_type"))


def test_the_clinic_has_four_providers_and_two_coaches_at_two_locations():
    assert User.objects.filter(role=Role.PROVIDER).count() == 4
    assert User.objects.filter(role=Role.COORDINATOR).count() == 2
    assert Location.objects.count() == 2
    for person in User.objects.filter(role__in=[Role.PROVIDER, Role.COORDINATOR]):
        hours = WorkingHours.objects.filter(provider=person)
        assert hours.count() >= 4, person.username
        assert Break.objects.filter(provider=person).count() == hours.count(), person.username
    at_satellite = WorkingHours.objects.filter(location__name=SATELLITE)
    assert at_satellite.values("provider").distinct().count() >= 3
    assert TimeOff.objects.exists()


def test_every_catalog_service_is_booked_as_a_type_with_its_policy():
    for code, _, kind, _ in SERVICES:
        booked_as = AppointmentType.objects.get(name=TYPE_FOR_SERVICE[code])
        assert booked_as.service_kind == kind.value
    with_fees = AppointmentType.objects.filter(no_show_fee__gt=0, late_cancel_fee__gt=0)
    assert with_fees.count() >= 3
    check_in = AppointmentType.objects.get(name=MONTHLY_CHECK_IN)
    assert {plan.code for plan in check_in.plans_allowed.all()} == {ACTIVE_CARE, CONCIERGE}


def test_a_year_of_past_visits_with_a_few_no_shows_and_late_cancellations():
    past = _past()
    assert len(past) > 500
    months = {(visit.start_at.year, visit.start_at.month) for visit in past}
    assert len(months) >= 12
    completed = [v for v in past if v.status == AppointmentStatus.COMPLETED]
    no_shows = [v for v in past if v.status == AppointmentStatus.NO_SHOW]
    late = [v for v in past if v.status == AppointmentStatus.CANCELLED and v.late_cancel]
    assert len(completed) > 0.8 * len(past)
    for share in (len(no_shows) / len(past), len(late) / len(past)):
        assert 0.01 <= share <= 0.08
    assert not [v for v in past if v.status == AppointmentStatus.SCHEDULED]


def test_fees_are_invoiced_where_the_policy_says():
    fees = set(Invoice.objects.filter(kind=InvoiceKind.FEES).values_list("key", flat=True))
    charged = 0
    for visit in _past():
        kind = visit.appointment_type
        if visit.status == AppointmentStatus.NO_SHOW:
            fee = kind.no_show_fee
        elif visit.status == AppointmentStatus.CANCELLED and visit.late_cancel:
            fee = kind.late_cancel_fee
        else:
            fee = 0
        assert (f"appointment-fee:{visit.pk}" in fees) == (fee > 0), visit.pk
        charged += fee > 0
    assert charged > 5


def test_completed_visits_are_the_allowance_uses():
    uses = EntitlementEntry.objects.filter(
        source_type=HOLD_SOURCE, kind__in=[EntryKind.CONSUME, EntryKind.OVERAGE]
    )
    used = {}
    for source_id, kind in uses.values_list("source_id", "kind"):
        assert source_id not in used, "a visit used the allowance twice"
        used[source_id] = kind
    assert len(used) > 300
    assert EntryKind.OVERAGE in used.values()
    completed = Appointment.objects.filter(status=AppointmentStatus.COMPLETED)
    assert completed.count() > 300
    for visit in completed:
        if visit.coverage in (BookingOutcome.COVERED, BookingOutcome.MEMBER_PRICE):
            assert str(visit.pk) in used, visit.pk
    # Besides completed visits, only a no-show or late cancellation whose type's policy keeps
    # the allowance uses it.
    visits = Appointment.objects.select_related("appointment_type").in_bulk(
        [int(source_id) for source_id in used]
    )
    for source_id in used:
        visit = visits[int(source_id)]
        policy = visit.appointment_type
        assert (
            visit.status == AppointmentStatus.COMPLETED
            or (visit.status == AppointmentStatus.NO_SHOW and policy.no_show_keeps_allowance)
            or (visit.late_cancel and policy.late_cancel_keeps_allowance)
        ), source_id
    assert not EntitlementEntry.objects.filter(source_type="demo_visit").exists()


def test_active_care_and_concierge_members_have_standing_monthly_series_ahead():
    series = AppointmentSeries.objects.select_related("appointment_type")
    assert series.count() >= 20
    now = clock.now()
    for standing in series:
        assert standing.appointment_type.name == MONTHLY_CHECK_IN
        assert MembershipMember.objects.filter(
            patient=standing.patient,
            left_on__isnull=True,
            membership__status="active",
            membership__plan__code__in=[ACTIVE_CARE, CONCIERGE],
        ).exists()
        visits = list(standing.appointments.order_by("start_at"))
        assert len(visits) >= 3
        assert all(visit.start_at > now for visit in visits)
        assert all(visit.status == AppointmentStatus.SCHEDULED for visit in visits)
        assert visits[-1].start_at - visits[0].start_at > timedelta(days=55)
