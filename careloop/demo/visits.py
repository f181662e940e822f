"""Visits of the demo clinic, made through the scheduling services as front desk would.

A visit is booked a few days ahead (never before its allowance period began) in a free slot
the availability search offers, then on its day the patient checks in and the provider
completes it, which uses the allowance through the entitlement ledger; a few patients do not
come or cancel late, and the type's policy decides the fee. A booking the services refuse
(the slot went, the membership lapsed) moves to the next free slot; after a few refusals the
visit is left out, as staff would give up on it. Standing monthly check-ins for Active Care
and Concierge members run a few months past today (series service).
"""

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from careloop.accounts.models import User
from careloop.core import clock
from careloop.core.errors import CareloopError
from careloop.demo.calendar import (
    ANNUAL_PHYSICAL,
    MONTHLY_CHECK_IN,
    PROVIDER_VISIT,
    TYPE_FOR_SERVICE,
    DemoCalendar,
)
from careloop.demo.catalog import ACTIVE_CARE, CONCIERGE
from careloop.memberships.lifecycle import COVERING
from careloop.memberships.models import (
    Membership,
    MembershipMember,
    MembershipStatus,
    Service,
    ServiceKind,
)
from careloop.patients.models import CareTeamMember, CareTeamRole, Patient
from careloop.scheduling.availability import Slot
from careloop.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    AppointmentType,
    Location,
    SeriesFrequency,
    WorkingHours,
)
from careloop.scheduling.selectors.calendars import available_slots
from careloop.scheduling.series import SeriesRule
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.services.series import series_book
from careloop.scheduling.services.status import (
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_mark_no_show,
)

# Of the visits booked, how many end each way; the rest are completed.
NO_SHOW_SHARE = 0.03
LATE_CANCEL_SHARE = 0.03
# Of the provider visits, how many are the longer annual physical.
ANNUAL_PHYSICAL_SHARE = 0.08
BOOKED_DAYS_AHEAD = 10
SEARCH_DAYS = 6
ATTEMPTS = 3
SERIES_SHARE = 0.75
SERIES_MONTHS = 4
SERIES_TIMES = (time(8, 30), time(9, 30), time(10, 30), time(14), time(15), time(16))


@dataclass(frozen=True)
class VisitStaff:
    front_desk: User
    providers: list[User]
    coaches: list[User]


class Visits:
    """Books and settles the demo's visits on the timeline's days."""

    def __init__(self, *, calendar: DemoCalendar, staff: VisitStaff) -> None:
        self.calendar = calendar
        self.staff = staff
        # The real now (the timeline freezes the clock on each day): a visit still to come
        # today stays booked.
        self.seeded_at = clock.now()
        self.full_price: dict[str, int] = {}
        for service in Service.objects.order_by("a_la_carte_price"):
            self.full_price[service.kind] = service.a_la_carte_price
        self.hours: dict[int, dict[int, Location]] = {}
        for row in WorkingHours.objects.select_related("location").order_by("id"):
            self.hours.setdefault(row.provider_id, {})[row.weekday] = row.location
        self.team: dict[int, dict[str, list[User]]] = {}
        for member in CareTeamMember.objects.select_related("staff").order_by("id"):
            roles = self.team.setdefault(member.patient_id, {})
            roles.setdefault(member.role, []).append(member.staff)

    def book_day(self, visit_day: date, period_begins: date, rng: random.Random) -> date:
        """The day the visit is booked: up to a week and a half ahead, within its period."""
        return max(period_begins, visit_day - timedelta(days=rng.randrange(BOOKED_DAYS_AHEAD)))

    def book(
        self,
        *,
        patient: Patient,
        membership: Membership,
        service_code: str,
        wanted: date,
        last_day: date,
        rng: random.Random,
    ) -> Appointment | None:
        """Book the visit in a free slot from `wanted` to `last_day`, or None when no slot
        the services accept is found."""
        name = TYPE_FOR_SERVICE[service_code]
        if name == PROVIDER_VISIT and rng.random() < ANNUAL_PHYSICAL_SHARE:
            name = ANNUAL_PHYSICAL
        kind = self.calendar.types[name]
        first_day = max(wanted, clock.today())
        if last_day < first_day:
            return None
        seen_by = self._seen_by(patient, kind)
        # Their own provider (or coach) first; anyone free when they have no time that week.
        for staff in (seen_by[:1], seen_by):
            slots = available_slots(
                appointment_type=kind,
                first_day=first_day,
                last_day=min(last_day, first_day + timedelta(days=SEARCH_DAYS)),
                provider_ids=[person.pk for person in staff],
                patient=patient,
            )
            if not slots:
                continue
            zone = clock.clinic_zone()
            earliest = min(slot.start.astimezone(zone).date() for slot in slots)
            same_day = [s for s in slots if s.start.astimezone(zone).date() == earliest]
            first = rng.randrange(len(same_day))
            for tried in range(min(ATTEMPTS, len(same_day))):
                slot = same_day[(first + tried) % len(same_day)]
                try:
                    return self._book_slot(patient, membership, kind, slot)
                except CareloopError:
                    continue
        return None

    def _book_slot(
        self,
        patient: Patient,
        membership: Membership,
        kind: AppointmentType,
        slot: Slot,
    ) -> Appointment:
        provider = next(p for p in self._all_staff() if p.pk == slot.provider_id)
        location = next(
            where for where in self.calendar.locations.values() if where.pk == slot.location_id
        )
        start = slot.start
        # Beyond the allowance front desk reads the member price aloud and the patient agrees
        # to it; it is never more than the a-la-carte price.
        return appointment_book(
            actor=self.staff.front_desk,
            patient=patient,
            provider=provider,
            location=location,
            appointment_type=kind,
            start_at=start,
            membership=membership,
            acknowledged_price=self.full_price[kind.service_kind],
        )

    def settle(self, appointment: Appointment, rng: random.Random) -> None:
        """On the visit's day: completed, a no-show or a late cancellation; a visit whose
        membership stopped covering it since booking is cancelled by the clinic."""
        appointment.refresh_from_db()
        if appointment.status != AppointmentStatus.SCHEDULED:
            return
        if appointment.end_at > self.seeded_at:
            return
        membership = appointment.membership
        still_member = membership is not None and (
            Membership.objects.filter(pk=membership.pk, status__in=COVERING).exists()
            and MembershipMember.objects.filter(
                membership=membership, patient=appointment.patient, left_on__isnull=True
            ).exists()
        )
        front_desk = self.staff.front_desk
        draw = rng.random()
        if not still_member:
            with clock.frozen_at(self._clinic_cancel_moment(appointment)):
                appointment_cancel(
                    actor=front_desk,
                    appointment=appointment,
                    reason="The membership no longer covers visits.",
                )
        elif draw < NO_SHOW_SHARE:
            with clock.frozen_at(appointment.start_at + timedelta(minutes=15)):
                appointment_mark_no_show(actor=front_desk, appointment=appointment)
        elif draw < NO_SHOW_SHARE + LATE_CANCEL_SHARE:
            with clock.frozen_at(self._late_cancel_moment(appointment)):
                appointment_cancel(
                    actor=front_desk, appointment=appointment, reason="Patient called to cancel."
                )
        else:
            with clock.frozen_at(appointment.start_at - timedelta(minutes=5)):
                appointment_check_in(actor=front_desk, appointment=appointment)
            with clock.frozen_at(appointment.end_at):
                appointment_complete(actor=appointment.provider, appointment=appointment)

    def _clinic_cancel_moment(self, appointment: Appointment) -> datetime:
        """The clinic calls the patient off as soon as it can: a day before the window when
        the visit was booked that early, else just after the booking."""
        window = timedelta(hours=appointment.appointment_type.late_cancel_window_hours + 1)
        return max(appointment.start_at - window, appointment.created_at + timedelta(minutes=5))

    def _late_cancel_moment(self, appointment: Appointment) -> datetime:
        """A couple of hours before the start (inside every type's window), never before the
        booking."""
        return max(
            appointment.start_at - timedelta(hours=2),
            appointment.created_at + timedelta(minutes=5),
        )

    def standing_series(self, memberships: Sequence[Membership], rng: random.Random) -> int:
        """Monthly check-ins with the primary provider for most active Active Care and
        Concierge members, from next week for a few months; returns the series booked."""
        booked = 0
        kind = self.calendar.types[MONTHLY_CHECK_IN]
        start_date = clock.today() + timedelta(days=7)
        for membership in memberships:
            if membership.status != MembershipStatus.ACTIVE:
                continue
            if membership.plan.code not in (ACTIVE_CARE, CONCIERGE):
                continue
            members = MembershipMember.objects.filter(
                membership=membership, left_on__isnull=True
            ).select_related("patient")
            for member in members.order_by("joined_on", "id"):
                patient = member.patient
                if rng.random() >= SERIES_SHARE or patient.age_on(start_date) < 18:
                    continue
                if AppointmentSeries.objects.filter(patient=patient).exists():
                    continue
                if self._book_series(patient, kind, start_date, rng):
                    booked += 1
        return booked

    def _book_series(
        self, patient: Patient, kind: AppointmentType, start_date: date, rng: random.Random
    ) -> bool:
        """Try a few of the provider's workdays and times, at the location the provider is at
        that weekday; move conflicts to the nearest free slot the series service offers; give
        up after a few tries."""
        provider = self._seen_by(patient, kind)[0]
        workdays = self.hours[provider.pk]
        for _ in range(ATTEMPTS):
            weekday = rng.choice(sorted(workdays))
            rule = SeriesRule(
                frequency=SeriesFrequency.MONTHLY_ON_WEEKDAY,
                start_date=start_date,
                local_start_time=rng.choice(SERIES_TIMES),
                count=SERIES_MONTHS,
                ordinal=rng.choice((1, 2, 3, 4)),
                weekday=weekday,
            )
            book = partial(
                series_book,
                actor=self.staff.front_desk,
                patient=patient,
                provider=provider,
                location=workdays[weekday],
                appointment_type=kind,
                rule=rule,
            )
            moved = {}
            for check in book(check_only=True).conflicts:
                if not check.alternatives:
                    break
                moved[check.index] = check.alternatives[0]
            else:
                try:
                    book(moved=moved, acknowledged_price=0)
                except CareloopError:
                    continue
                return True
        return False

    def _seen_by(self, patient: Patient, kind: AppointmentType) -> list[User]:
        """Who sees the patient for this type: their coach or primary provider first, then
        anyone of the role, starting at a place that depends on the patient so the overflow
        is shared. (Only the team the patients registered with counts, not the providers the
        history adds to Concierge teams, so the visits do not depend on an earlier seeding.)"""
        team = self.team.get(patient.pk, {})
        if kind.service_kind == ServiceKind.COACHING_SESSION:
            preferred, everyone = team.get(CareTeamRole.COACH, []), self.staff.coaches
        else:
            preferred, everyone = team.get(CareTeamRole.PRIMARY_PROVIDER, []), self.staff.providers
        turn = int(hashlib.sha256(patient.email.encode()).hexdigest()[:8], 16) % len(everyone)
        ordered = list(dict.fromkeys([*preferred, *everyone[turn:], *everyone[:turn]]))
        return [person for person in ordered if person in everyone]

    def _all_staff(self) -> list[User]:
        return [*self.staff.providers, *self.staff.coaches]
