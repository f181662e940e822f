"""The demo clinic's calendar: two locations, each provider's and coach's weekly hours with a
lunch break, a few days of time off, and the appointment types the catalog's services are
booked as, with their late-cancel and no-show policies.

Made through the calendar admin services (careloop.scheduling.services.calendar), so every
row passes the checks an admin's would. Idempotent: a location or type is found again by its
name, and a staff member who already has hours (or time off) is left alone.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from careloop.accounts.models import User
from careloop.core import clock
from careloop.demo.catalog import ACTIVE_CARE, CONCIERGE
from careloop.memberships.models import Plan, ServiceKind
from careloop.scheduling.models import (
    AppointmentType,
    Location,
    TimeOff,
    VisitMode,
    WorkingHours,
)
from careloop.scheduling.services.calendar import (
    appointment_type_create,
    appointment_type_plans_set,
    break_add,
    location_create,
    time_off_add,
    working_hours_add,
)

MAIN = "Cedar Grove Main Clinic"
SATELLITE = "Round Rock Satellite"
LOCATIONS = (
    (MAIN, "2100 Cedar Grove Pkwy, Austin, TX 78704"),
    (SATELLITE, "410 Palm Valley Blvd, Round Rock, TX 78664"),
)
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = range(5)
WEEKDAYS = (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY)


@dataclass(frozen=True)
class Shift:
    """A staff member's day at a location, with a lunch break."""

    location: str
    weekdays: tuple[int, ...]
    start: time
    end: time
    lunch: tuple[time, time]


def _main_days(*weekdays: int, start: int = 8, end: int = 17) -> Shift:
    return Shift(MAIN, weekdays, time(start), time(end), (time(12), time(13)))


def _satellite_days(*weekdays: int, start: int = 8, end: int = 17) -> Shift:
    return Shift(SATELLITE, weekdays, time(start), time(end), (time(12, 30), time(13, 30)))


# By username; two providers and a coach spend some days at the second location.
SHIFTS = {
    "dr.rivera": (_main_days(*WEEKDAYS),),
    "np.chen": (
        _main_days(MONDAY, WEDNESDAY, FRIDAY),
        _satellite_days(TUESDAY, THURSDAY, start=9),
    ),
    "nd.okafor": (_main_days(TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, start=9, end=18),),
    "dr.nakamura": (
        _satellite_days(MONDAY, WEDNESDAY),
        _main_days(TUESDAY, THURSDAY, FRIDAY),
    ),
    "coach.lee": (_main_days(*WEEKDAYS, start=9),),
    "coach.alvarez": (
        _satellite_days(MONDAY, TUESDAY, WEDNESDAY),
        _main_days(THURSDAY, FRIDAY, end=16),
    ),
}
# (username, days from the demo's today to the first day away, days away, reason)
TIME_OFF = (
    ("dr.rivera", -120, 5, "Vacation"),
    ("np.chen", -45, 2, "Conference"),
    ("coach.lee", -200, 3, "Family leave"),
    ("dr.nakamura", 24, 4, "Vacation"),
)


@dataclass(frozen=True)
class VisitType:
    name: str
    minutes: int
    buffer: int
    kind: ServiceKind
    mode: VisitMode = VisitMode.IN_PERSON
    window_hours: int = 24
    late_cancel_fee: int = 0
    no_show_fee: int = 0
    lead_minutes: int = 0
    plans: tuple[str, ...] = field(default_factory=tuple)


PROVIDER_VISIT = "Provider visit"
MONTHLY_CHECK_IN = "Monthly check-in"
COACHING = "Health coaching"
ANNUAL_PHYSICAL = "Annual physical"
VISIT_TYPES = (
    VisitType(
        PROVIDER_VISIT, 30, 10, ServiceKind.PROVIDER_VISIT, late_cancel_fee=4_000, no_show_fee=7_500
    ),
    VisitType(
        MONTHLY_CHECK_IN,
        30,
        10,
        ServiceKind.PROVIDER_VISIT,
        late_cancel_fee=4_000,
        no_show_fee=7_500,
        plans=(ACTIVE_CARE, CONCIERGE),
    ),
    VisitType(
        ANNUAL_PHYSICAL,
        60,
        15,
        ServiceKind.PROVIDER_VISIT,
        window_hours=48,
        late_cancel_fee=7_500,
        no_show_fee=15_000,
    ),
    VisitType(
        "Telehealth visit",
        20,
        5,
        ServiceKind.TELEHEALTH_VISIT,
        VisitMode.TELEHEALTH,
        window_hours=4,
        no_show_fee=2_500,
    ),
    VisitType(
        COACHING, 45, 5, ServiceKind.COACHING_SESSION, late_cancel_fee=2_500, no_show_fee=4_000
    ),
    VisitType("Lab draw", 15, 5, ServiceKind.LAB_PANEL, window_hours=12),
    VisitType(
        "IV therapy", 60, 15, ServiceKind.IV_THERAPY, late_cancel_fee=5_000, no_show_fee=10_000
    ),
    VisitType(
        "In-office procedure",
        45,
        15,
        ServiceKind.PROCEDURE,
        window_hours=48,
        late_cancel_fee=7_500,
        no_show_fee=15_000,
    ),
)
# The type each service of the catalog is booked as.
TYPE_FOR_SERVICE = {
    "provider-visit": PROVIDER_VISIT,
    "telehealth-visit": "Telehealth visit",
    "coaching-session": COACHING,
    "lab-panel": "Lab draw",
    "iv-therapy": "IV therapy",
    "procedure": "In-office procedure",
}


@dataclass(frozen=True)
class DemoCalendar:
    locations: dict[str, Location]
    types: dict[str, AppointmentType]


def demo_calendar_seed(*, admin: User, staff: dict[str, User], today: date) -> DemoCalendar:
    """Locations, hours, breaks, time off and appointment types (each made once)."""
    # The clinic's zone, named: a location without one reads the clinic's settings at every
    # slot search and booking.
    zone_name = str(clock.clinic_zone())
    locations = {
        name: Location.objects.filter(name=name).first()
        or location_create(actor=admin, name=name, address=address, time_zone=zone_name)
        for name, address in LOCATIONS
    }
    for username, shifts in SHIFTS.items():
        person = staff[username]
        if WorkingHours.objects.filter(provider=person).exists():
            continue
        for shift in shifts:
            for weekday in shift.weekdays:
                where = locations[shift.location]
                working_hours_add(
                    actor=admin,
                    provider=person,
                    location=where,
                    weekday=weekday,
                    start_time=shift.start,
                    end_time=shift.end,
                )
                break_add(
                    actor=admin,
                    provider=person,
                    location=where,
                    weekday=weekday,
                    start_time=shift.lunch[0],
                    end_time=shift.lunch[1],
                )
    zone = clock.clinic_zone()
    for username, offset, days, reason in TIME_OFF:
        person = staff[username]
        if TimeOff.objects.filter(provider=person, reason=reason).exists():
            continue
        first = today + timedelta(days=offset)
        time_off_add(
            actor=admin,
            provider=person,
            start_at=datetime.combine(first, time(0), tzinfo=zone),
            end_at=datetime.combine(first + timedelta(days=days), time(0), tzinfo=zone),
            reason=reason,
        )
    return DemoCalendar(locations=locations, types=_seed_types(admin))


def _seed_types(admin: User) -> dict[str, AppointmentType]:
    types = {}
    for spec in VISIT_TYPES:
        kind = AppointmentType.objects.filter(name=spec.name).first()
        if kind is None:
            kind = appointment_type_create(
                actor=admin,
                name=spec.name,
                duration_minutes=spec.minutes,
                buffer_minutes=spec.buffer,
                mode=spec.mode,
                service_kind=spec.kind.value,
                lead_time_minutes=spec.lead_minutes,
                late_cancel_window_hours=spec.window_hours,
                late_cancel_fee=spec.late_cancel_fee,
                no_show_fee=spec.no_show_fee,
            )
            if spec.plans:
                plan_ids = list(
                    Plan.objects.filter(code__in=spec.plans)
                    .order_by("id")
                    .values_list("id", flat=True)
                )
                appointment_type_plans_set(actor=admin, appointment_type=kind, plan_ids=plan_ids)
        types[spec.name] = kind
    return types
