"""A year of membership history for the demo clinic, made through the membership services.

About 70% of the demo patients are enrolled: households on one membership, some single
patients sponsored by an employer, some in the Metabolic Health program as well. The year is
replayed day by day with the clock frozen on each day, so every row, audit event and ledger
entry carries the date it would have had: each morning the due scheduled changes apply as the
worker applies them, allowances are granted at each period's start, visits are booked, held
and completed through the scheduling services (careloop.demo.visits), and some memberships
change tier, pause and resume, or are cancelled. Each night the billing run bills and
collects what is due; a few cards decline, so those memberships fall past due until a
working card is saved (careloop.demo.billing). After the year, most Active Care and
Concierge members get a standing monthly check-in for the months ahead.
A lifecycle step the rules refuse on the day it comes up (say, pausing a past-due membership)
is left out, as staff would be told no.

Deterministic: each household's story comes from a generator seeded by its stable key (the
household name or the patient's email). Idempotent: a household with any membership history
is left alone, so a second run changes nothing.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from careloop.accounts.models import User
from careloop.core import clock
from careloop.core.errors import CareloopError
from careloop.demo.billing import (
    DECLINING_CARD,
    card_replaced,
    daily_run,
    give_card,
    refund_credit,
)
from careloop.demo.catalog import (
    ACTIVE_CARE,
    CONCIERGE,
    ESSENTIALS,
    METABOLIC_HEALTH,
    SPONSOR_REASON,
    DemoCatalog,
)
from careloop.demo.timeline import Step, Timeline
from careloop.demo.visits import Visits
from careloop.memberships.lifecycle import COVERING
from careloop.memberships.models import (
    MemberRole,
    Membership,
    MembershipMember,
    PlanPrice,
    RosterEntry,
    Sponsor,
)
from careloop.memberships.periods import Interval, month_boundary
from careloop.memberships.services.catalog import plan_price_set
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.memberships.services.entitlements import entitlement_grant_period
from careloop.memberships.services.lifecycle import (
    membership_cancel,
    membership_change_price,
    membership_downgrade,
    membership_pause,
    membership_resume,
    membership_upgrade,
)
from careloop.memberships.services.sponsors import roster_add, roster_terminate
from careloop.patients.models import CareTeamMember, CareTeamRole, Patient
from careloop.scheduling.models import Appointment

ENROLLED_SHARE = 0.7
HISTORY_DAYS = 365
ADULT_AGE = 18
# How often each service is booked, among those the member's plan has a benefit for.
VISIT_WEIGHTS = {
    "provider-visit": 50,
    "telehealth-visit": 20,
    "coaching-session": 15,
    "lab-panel": 8,
    "iv-therapy": 4,
    "procedure": 3,
}
# Bookings per member per month, drawn from these; about one a month on average, as in
# membership practices, more on the richer tiers.
VISITS_PER_MONTH = {
    ESSENTIALS: (0, 0, 1, 1, 1, 2),
    ACTIVE_CARE: (0, 1, 1, 2, 2),
    CONCIERGE: (1, 1, 2, 2, 3),
    METABOLIC_HEALTH: (1, 1, 2),
}
# Children of member households come in less often than the adults.
CHILD_VISITS = (0, 0, 0, 1)
UPGRADES = {ESSENTIALS: (ACTIVE_CARE, ACTIVE_CARE, CONCIERGE), ACTIVE_CARE: (CONCIERGE,)}
DOWNGRADES = {CONCIERGE: (ACTIVE_CARE,), ACTIVE_CARE: (ESSENTIALS,)}
ESSENTIALS_NEW_MONTHLY = 10_900


@dataclass(frozen=True)
class Unit:
    """Who enrolls together: a household (head first) or one patient."""

    key: str
    members: tuple[Patient, ...]


@dataclass
class Track:
    """A membership of the story, once it exists."""

    rng: random.Random
    tag: str
    membership_id: int | None = None

    def get(self) -> Membership:
        assert self.membership_id is not None
        return Membership.objects.select_related("plan").get(pk=self.membership_id)


@dataclass
class Staff:
    admin: User
    front_desk: User
    billing: User
    providers: list[User]


class History:
    """Plans every enrolled household's year on a timeline, then replays it."""

    def __init__(self, *, catalog: DemoCatalog, staff: Staff, visits: Visits, today: date) -> None:
        self.catalog = catalog
        self.staff = staff
        self.visits = visits
        self.timeline = Timeline(first=today - timedelta(days=HISTORY_DAYS), last=today)
        self.created: list[int] = []
        self.timeline.closing.append(daily_run)

    # Planning ------------------------------------------------------------------------------

    def plan_unit(self, unit: Unit) -> None:
        rng = random.Random(f"careloop-demo:{unit.key}")  # noqa: S311 (synthetic data)
        first, last = self.timeline.first, self.timeline.last
        born = max(member.date_of_birth for member in unit.members)
        start = max(first + timedelta(days=rng.randrange(HISTORY_DAYS + 1)), born)
        if start > last:
            return
        tier = rng.choices((ESSENTIALS, ACTIVE_CARE, CONCIERGE), (45, 35, 20))[0]
        interval = rng.choices(
            (Interval.MONTHLY, Interval.QUARTERLY, Interval.ANNUAL), (70, 15, 15)
        )[0]
        head = unit.members[0]
        sponsor: Sponsor | None = None
        if len(unit.members) == 1 and head.age_on(start) >= ADULT_AGE and rng.random() < 0.35:
            sponsor = rng.choice(sorted(self.catalog.sponsors.values(), key=lambda s: s.name))
            if not sponsor.plans.filter(code=tier).exists():
                tier = ESSENTIALS
        on_file = not (start >= last - timedelta(days=7) and rng.random() < 0.4)
        track = Track(rng=rng, tag="t")
        enroll = partial(
            self._enroll, track, unit, tier, interval, sponsor, on_file, rng.randrange(0, 90)
        )
        self.timeline.at(start, Step.ENROLL, enroll)
        span = (last - start).days
        if span < 60 or not on_file:
            return

        def share(low: float, high: float) -> date:
            return start + timedelta(days=int(span * rng.uniform(low, high)))

        if rng.random() < 0.22:
            self._plan_tier_change(track, rng, tier, sponsor, share(0.15, 0.35))
        # A card that starts declining: the next charge fails and the membership goes past
        # due until the payer saves a working card (or, for some, still today).
        pays_itself = sponsor is None and interval == Interval.MONTHLY
        if pays_itself and rng.random() < 0.1:
            fell_behind = share(0.4, 0.5)
            self.timeline.at(fell_behind, Step.LIFECYCLE, partial(self._card_declines, head))
            recovered = fell_behind + timedelta(days=rng.randint(36, 45))
            self.timeline.at(recovered, Step.LIFECYCLE, partial(self._card_replaced, head))
        elif pays_itself and rng.random() < 0.06:
            fell_behind = last - timedelta(days=rng.randint(33, 40))
            self.timeline.at(fell_behind, Step.LIFECYCLE, partial(self._card_declines, head))
        if rng.random() < 0.13:
            paused = share(0.55, 0.65)
            self.timeline.at(paused, Step.LIFECYCLE, partial(self._pause, track))
            if rng.random() < 0.3:
                early = paused + timedelta(days=rng.randint(7, 20))
                self.timeline.at(early, Step.LIFECYCLE, partial(self._resume, track))
        if rng.random() < 0.15:
            at_period_end = sponsor is None and rng.random() < 0.5
            reason = SPONSOR_REASON if sponsor is not None else self._reason(rng)
            cancel = partial(self._cancel, track, reason, at_period_end, sponsor)
            self.timeline.at(share(0.72, 1.0), Step.LIFECYCLE, cancel)
        if head.age_on(start) >= ADULT_AGE and rng.random() < 0.15:
            program = Track(rng=rng, tag="p")
            joins = share(0.0, 0.5)
            self.timeline.at(joins, Step.ENROLL, partial(self._join_program, program, head))
            if rng.random() < 0.3:
                leaves = joins + timedelta(days=rng.randint(95, 200))
                cancel = partial(self._cancel, program, self._reason(rng), False, None)
                self.timeline.at(leaves, Step.LIFECYCLE, cancel)

    def _plan_tier_change(
        self, track: Track, rng: random.Random, tier: str, sponsor: Sponsor | None, day: date
    ) -> None:
        allowed = (
            set(self.catalog.plans) if sponsor is None else {p.code for p in sponsor.plans.all()}
        )
        ups = [code for code in UPGRADES.get(tier, ()) if code in allowed]
        downs = [code for code in DOWNGRADES.get(tier, ()) if code in allowed]
        if ups and (not downs or rng.random() < 0.6):
            upgrade = partial(self._change_tier, track, rng.choice(ups), True)
            self.timeline.at(day, Step.LIFECYCLE, upgrade)
        elif downs:
            downgrade = partial(self._change_tier, track, rng.choice(downs), False)
            self.timeline.at(day, Step.LIFECYCLE, downgrade)

    def plan_roster_only(self, patient: Patient, sponsor: Sponsor) -> None:
        """Someone on an employer's roster who has not enrolled (yet)."""
        rng = random.Random(f"careloop-demo-roster:{patient.email}")  # noqa: S311
        effective = self.timeline.first - timedelta(days=rng.randrange(0, 400))
        if effective > patient.date_of_birth:
            add = partial(self._roster_add, patient, sponsor, effective)
            self.timeline.at(self.timeline.first, Step.ENROLL, lambda day: add())

    def plan_price_increase(self) -> None:
        """Essentials' monthly price goes up; existing members get a month's notice."""
        self.timeline.at(
            self.timeline.last - timedelta(days=150), Step.LIFECYCLE, self._raise_essentials
        )

    def _reason(self, rng: random.Random) -> str:
        return rng.choice(sorted(code for code in self.catalog.reasons if code != SPONSOR_REASON))

    # Replaying -----------------------------------------------------------------------------

    def _enroll(
        self,
        track: Track,
        unit: Unit,
        tier: str,
        interval: Interval,
        sponsor: Sponsor | None,
        on_file: bool,
        roster_days: int,
        day: date,
    ) -> None:
        head = unit.members[0]
        if sponsor is not None:
            self._roster_add(
                head, sponsor, max(day - timedelta(days=roster_days), head.date_of_birth)
            )
        members = [MemberSpec(patient=head, role=MemberRole.PRIMARY)] + [
            MemberSpec(
                patient=other,
                role=MemberRole.ADULT if other.age_on(day) >= ADULT_AGE else MemberRole.CHILD,
            )
            for other in unit.members[1:]
        ]
        if on_file:
            give_card(head)
        membership = membership_enroll(
            actor=self.staff.front_desk,
            plan=self.catalog.plans[tier],
            interval=interval,
            payer_patient=None if sponsor is not None else head,
            sponsor=sponsor,
            members=members,
            start_date=day,
            payment_method_on_file=on_file,
        )
        self._started(track, membership, unit.members)

    def _join_program(self, track: Track, patient: Patient, day: date) -> None:
        give_card(patient)
        membership = membership_enroll(
            actor=self.staff.front_desk,
            plan=self.catalog.plans[METABOLIC_HEALTH],
            interval=Interval.MONTHLY,
            payer_patient=patient,
            members=[MemberSpec(patient=patient, role=MemberRole.PRIMARY)],
            start_date=day,
            payment_method_on_file=True,
        )
        self._started(track, membership, (patient,))

    def _started(self, track: Track, membership: Membership, patients: Sequence[Patient]) -> None:
        track.membership_id = membership.pk
        self.created.append(membership.pk)
        if membership.plan.code == CONCIERGE:
            self._concierge_team(patients)
        step = 0
        while True:
            begins = month_boundary(membership.anchor_date, membership.anchor_day, step)
            if begins > self.timeline.last:
                break
            ends = month_boundary(membership.anchor_date, membership.anchor_day, step + 1)
            if step:
                self.timeline.at(begins, Step.GRANT, partial(self._grant, track))
            self.timeline.at(begins, Step.CARE, partial(self._care, track, ends))
            step += 1

    def _concierge_team(self, patients: Sequence[Patient]) -> None:
        """Concierge members are looked after by a team of providers, not one."""
        for patient in patients:
            for provider in self.staff.providers:
                CareTeamMember.objects.get_or_create(
                    patient=patient,
                    staff=provider,
                    defaults={"role": CareTeamRole.PROVIDER, "assigned_at": clock.now()},
                )

    def _grant(self, track: Track, day: date) -> None:
        entitlement_grant_period(membership=track.get(), on=day)

    def _care(self, track: Track, ends: date, day: date) -> None:
        """Plan this period's visits for each member, on days spread over the period, each
        booked a few days ahead."""
        membership = track.get()
        if membership.status not in COVERING:
            return
        members = MembershipMember.objects.filter(membership=membership, left_on__isnull=True)
        for member in members.select_related("patient").order_by("joined_on", "id"):
            visits = VISITS_PER_MONTH[membership.plan.code]
            count = track.rng.choice(CHILD_VISITS if member.role == MemberRole.CHILD else visits)
            days = sorted(
                day + timedelta(days=track.rng.randrange((ends - day).days)) for _ in range(count)
            )
            for visit_day in days:
                book = partial(self._book, track, member.patient, visit_day, ends)
                booked_on = self.visits.book_day(visit_day, day, track.rng)
                self.timeline.at(booked_on, Step.VISIT, book)

    def _book(self, track: Track, patient: Patient, visit_day: date, ends: date, day: date) -> None:
        membership = track.get()
        if membership.status not in COVERING:
            return
        if not MembershipMember.objects.filter(
            membership=membership, patient=patient, joined_on__lte=day, left_on__isnull=True
        ).exists():
            return
        benefits = sorted(
            membership.plan.benefits.select_related("service"), key=lambda b: b.service.code
        )
        if membership.plan.code == METABOLIC_HEALTH:
            benefits = [benefit for benefit in benefits if benefit.allowance != 0]
        weights = [VISIT_WEIGHTS.get(benefit.service.code, 1) for benefit in benefits]
        service = track.rng.choices(benefits, weights)[0].service
        appointment = self.visits.book(
            patient=patient,
            membership=membership,
            service_code=service.code,
            wanted=visit_day,
            last_day=ends - timedelta(days=1),
            rng=track.rng,
        )
        if appointment is not None:
            on = appointment.start_at.astimezone(clock.clinic_zone()).date()
            self.timeline.at(on, Step.VISIT, partial(self._settle, track, appointment))

    def _settle(self, track: Track, appointment: Appointment, day: date) -> None:
        self.visits.settle(appointment, track.rng)

    def _attempt(self, action: Callable[[], object]) -> None:
        """Run a lifecycle step; one the rules refuse on its day is left out of the story."""
        try:
            action()
        except CareloopError:
            return

    def _change_tier(self, track: Track, code: str, upgrade: bool, day: date) -> None:
        if track.membership_id is None:
            return
        plan = self.catalog.plans[code]
        if upgrade:
            self._attempt(
                lambda: membership_upgrade(
                    actor=self.staff.front_desk, membership=track.get(), plan=plan
                )
            )
            if code == CONCIERGE and track.get().plan.code == CONCIERGE:
                self._concierge_team(
                    [m.patient for m in track.get().members.filter(left_on__isnull=True)]
                )
        else:
            self._attempt(
                lambda: membership_downgrade(
                    actor=self.staff.front_desk,
                    membership=track.get(),
                    plan=plan,
                    at_period_end=True,
                )
            )

    def _card_declines(self, patient: Patient, day: date) -> None:
        give_card(patient, DECLINING_CARD)

    def _card_replaced(self, patient: Patient, day: date) -> None:
        card_replaced(patient, self.staff.front_desk)

    def _pause(self, track: Track, day: date) -> None:
        membership = track.get()
        months = track.rng.randint(1, max(membership.plan.pause_longest_months, 1))
        resumes_on = month_boundary(day, day.day, months)
        self._attempt(
            lambda: membership_pause(
                actor=self.staff.front_desk, membership=membership, resumes_on=resumes_on
            )
        )

    def _resume(self, track: Track, day: date) -> None:
        self._attempt(
            lambda: membership_resume(actor=self.staff.front_desk, membership=track.get())
        )

    def _cancel(
        self, track: Track, reason: str, at_period_end: bool, sponsor: Sponsor | None, day: date
    ) -> None:
        if track.membership_id is None:
            return
        membership = track.get()
        if sponsor is not None:
            # The employer ends the sponsorship: the roster entry ends with the membership.
            entry = RosterEntry.objects.filter(
                sponsor=sponsor,
                patient_id__in=membership.members.values("patient_id"),
                terminated_on__isnull=True,
            ).first()
            if entry is not None and entry.effective_on < day:
                roster_terminate(actor=self.staff.admin, entry=entry, terminated_on=day)
        self._attempt(
            lambda: membership_cancel(
                actor=self.staff.front_desk,
                membership=membership,
                reason=self.catalog.reasons[reason],
                at_period_end=at_period_end,
            )
        )
        if not at_period_end and membership.payer_patient is not None:
            refund_credit(membership.payer_patient, self.staff.billing)

    def _roster_add(self, patient: Patient, sponsor: Sponsor, effective_on: date) -> None:
        if not RosterEntry.objects.filter(sponsor=sponsor, patient=patient).exists():
            roster_add(
                actor=self.staff.admin, sponsor=sponsor, patient=patient, effective_on=effective_on
            )

    def _raise_essentials(self, day: date) -> None:
        plan = self.catalog.plans[ESSENTIALS]
        old = PlanPrice.objects.get(plan=plan, interval=Interval.MONTHLY, current=True)
        if old.version != 1:
            return
        new = plan_price_set(
            actor=self.staff.admin,
            plan=plan,
            interval=Interval.MONTHLY.value,
            amount=ESSENTIALS_NEW_MONTHLY,
            additional_adult_amount=old.additional_adult_amount,
            child_amount=old.child_amount,
            child_age_limit=old.child_age_limit,
        )
        members = Membership.objects.filter(
            id__in=self.created, price=old, status__in=["active", "past_due", "paused"]
        )
        for membership in members.order_by("id"):
            self._attempt(partial(self._change_price, membership, new, day))

    def _change_price(self, membership: Membership, price: PlanPrice, day: date) -> None:
        membership_change_price(
            actor=self.staff.admin,
            membership=membership,
            price=price,
            effective_on=day + timedelta(days=30),
            notice_on=day,
        )


def demo_units(patients: Sequence[Patient]) -> list[Unit]:
    """Households (head first) and single patients, in an order that does not depend on ids."""
    households: dict[int, list[Patient]] = {}
    singles: list[Unit] = []
    for patient in patients:
        if patient.household_id is None:
            singles.append(Unit(key=patient.email, members=(patient,)))
        else:
            households.setdefault(patient.household_id, []).append(patient)
    units = singles
    for members in households.values():
        household = members[0].household
        assert household is not None
        ordered = sorted(members, key=lambda p: (p.id != household.head_id, p.email))
        units.append(Unit(key=household.name, members=tuple(ordered)))
    return sorted(units, key=lambda unit: unit.key)


def demo_memberships_seed(
    *,
    catalog: DemoCatalog,
    staff: Staff,
    visits: Visits,
    patients: Sequence[Patient],
    seed: int,
) -> int:
    """Enroll about 70% of `patients` with a year of history and standing series of
    check-ins ahead; returns memberships created."""
    units = demo_units(patients)
    random.Random(seed).shuffle(units)  # noqa: S311 (synthetic data)
    target = round(len(patients) * ENROLLED_SHARE)
    history = History(catalog=catalog, staff=staff, visits=visits, today=clock.today())
    covered = set(
        MembershipMember.objects.filter(patient__in=patients).values_list("patient_id", flat=True)
    ) | set(
        Membership.objects.filter(payer_patient__in=patients).values_list(
            "payer_patient_id", flat=True
        )
    )
    enrolled = 0
    planned = 0
    sponsors = sorted(catalog.sponsors.values(), key=lambda sponsor: sponsor.name)
    for index, unit in enumerate(units):
        if enrolled >= target:
            if len(unit.members) == 1 and index % 6 == 0:
                patient = unit.members[0]
                if not RosterEntry.objects.filter(patient=patient).exists():
                    history.plan_roster_only(patient, sponsors[index % len(sponsors)])
            continue
        enrolled += len(unit.members)
        if any(member.id in covered for member in unit.members):
            continue
        history.plan_unit(unit)
        planned += 1
    if planned:
        history.plan_price_increase()
        history.timeline.run()
        created = Membership.objects.filter(id__in=history.created).select_related("plan")
        # Booked the morning of today, like the rest of the day's front desk work.
        morning = datetime.combine(history.timeline.last, time(9), tzinfo=clock.clinic_zone())
        with clock.frozen_at(morning):
            visits.standing_series(list(created.order_by("id")), random.Random(seed))  # noqa: S311
    return len(history.created)
