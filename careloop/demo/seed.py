"""The synthetic demo clinic: staff of every role (four providers and two coaches), 200
patients in households with care teams, the membership catalog, the calendar (two locations,
hours, appointment types), and about 70% of the patients enrolled with a year of history,
visits booked through scheduling, and standing monthly check-ins ahead.

Deterministic (seeded random generators) and idempotent: every row is found again by a
stable key (username, demo email, household name, plan code, sponsor name), and a household
with any membership history is left alone, so running it twice changes nothing.
"""

import base64
import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.accounts.services import totp_device_create_confirmed
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import CareloopError
from careloop.core.models import ClinicSettings, Holiday
from careloop.demo import names
from careloop.demo.billing import demo_discounts_seed
from careloop.demo.calendar import demo_calendar_seed
from careloop.demo.care import CareStaff, demo_care_seed
from careloop.demo.catalog import ESSENTIALS, demo_catalog_seed
from careloop.demo.memberships import HISTORY_DAYS, Staff, demo_memberships_seed
from careloop.demo.messaging import MessagingStaff, demo_messaging_seed
from careloop.demo.visits import Visits, VisitStaff
from careloop.patients.models import CareTeamMember, CareTeamRole, Household, Patient, SexAtBirth
from careloop.patients.search import fold
from careloop.patients.services.care_team import care_team_assign

DEMO_PASSWORD = "careloop-demo-2026"  # noqa: S105 (published demo password; demo only)
DEMO_SEED = 20261128
PATIENT_COUNT = 200
DEMO_EMAIL_DOMAIN = "demo.careloop.invalid"
AREA_CODES = ("512", "737", "254", "830")


@dataclass(frozen=True)
class StaffMember:
    username: str
    first_name: str
    last_name: str
    role: Role
    credentials: str = ""


STAFF = (
    StaffMember("admin", "Morgan", "Reyes", Role.ADMIN),
    StaffMember("dr.rivera", "Lucia", "Rivera", Role.PROVIDER, "MD"),
    StaffMember("np.chen", "David", "Chen", Role.PROVIDER, "NP"),
    StaffMember("nd.okafor", "Ngozi", "Okafor", Role.PROVIDER, "ND"),
    StaffMember("dr.nakamura", "Emi", "Nakamura", Role.PROVIDER, "MD"),
    StaffMember("coach.lee", "Jordan", "Lee", Role.COORDINATOR),
    StaffMember("coach.alvarez", "Rosa", "Alvarez", Role.COORDINATOR),
    StaffMember("frontdesk.kim", "Sam", "Kim", Role.FRONT_DESK),
    StaffMember("billing.patel", "Ravi", "Patel", Role.BILLING),
)
PORTAL_PATIENT_COUNT = 3
# The providers patients chose as primary when they registered; Dr. Nakamura joined later
# and sees patients of all three, Concierge members most.
PANEL_PROVIDERS = ("dr.rivera", "np.chen", "nd.okafor")


class DemoRefused(CareloopError):
    code = "demo_refused"


def demo_totp_secret(username: str) -> str:
    """A fixed TOTP secret per demo user, so `careloop demo codes` and a phone app agree."""
    digest = hashlib.sha256(f"careloop-demo-totp:{username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def demo_seed(*, memberships: bool = True, patient_count: int = PATIENT_COUNT) -> None:
    """Seed the demo clinic; `memberships=False` stops after staff and patients.

    `patient_count` makes a smaller clinic for tests; the first patients are the same.
    """
    if settings.PRODUCTION:
        raise DemoRefused("The demo clinic cannot be seeded in production.")
    rng = random.Random(DEMO_SEED)  # noqa: S311 (synthetic data, not security)
    with transaction.atomic():
        _seed_clinic()
        staff = {member.username: _seed_staff(member) for member in STAFF}
        panel = [staff[username] for username in PANEL_PROVIDERS]
        coach = staff["coach.lee"]
        _seed_patients(rng, providers=panel, coach=coach, count=patient_count)
        _seed_newer_care_teams(staff)
        created = _seed_memberships(staff) if memberships else 0
        care_plans = _seed_care(staff) if memberships else 0
        messaging_events = _seed_messaging(staff) if memberships else 0
        audit_record(
            action="demo.seed",
            actor=None,
            detail={
                "patients": patient_count,
                "memberships": created,
                "care_plans": care_plans,
                "messaging_events": messaging_events,
            },
        )


def _seed_memberships(staff: dict[str, User]) -> int:
    admin = staff["admin"]
    providers = [staff[m.username] for m in STAFF if m.role == Role.PROVIDER]
    coaches = [staff[m.username] for m in STAFF if m.role == Role.COORDINATOR]
    # The catalog predates the year of history, as it would in a clinic.
    today = clock.today()
    opened = today - timedelta(days=HISTORY_DAYS + 30)
    with clock.frozen_at(datetime.combine(opened, time(9), tzinfo=clock.clinic_zone())):
        catalog = demo_catalog_seed(admin=admin)
        demo_discounts_seed(
            admin=admin, plans=catalog.plans, essentials=ESSENTIALS, today=clock.today()
        )
        calendar = demo_calendar_seed(admin=admin, staff=staff, today=today)
    patients = list(
        Patient.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
        .select_related("household")
        .order_by("email")
    )
    return demo_memberships_seed(
        catalog=catalog,
        staff=Staff(
            admin=admin,
            front_desk=staff["frontdesk.kim"],
            billing=staff["billing.patel"],
            providers=providers,
        ),
        visits=Visits(
            calendar=calendar,
            staff=VisitStaff(
                front_desk=staff["frontdesk.kim"], providers=providers, coaches=coaches
            ),
        ),
        patients=patients,
        seed=DEMO_SEED,
    )


def _seed_care(staff: dict[str, User]) -> int:
    today = clock.today()
    return demo_care_seed(
        staff=CareStaff(
            admin=staff["admin"],
            providers=[staff[m.username] for m in STAFF if m.role == Role.PROVIDER],
            coaches=[staff[m.username] for m in STAFF if m.role == Role.COORDINATOR],
        ),
        opened=today - timedelta(days=HISTORY_DAYS + 30),
        today=today,
        seed=DEMO_SEED,
    )


def _seed_messaging(staff: dict[str, User]) -> int:
    today = clock.today()
    return demo_messaging_seed(
        staff=MessagingStaff(
            admin=staff["admin"],
            lead=staff["dr.rivera"],
            front_desk=staff["frontdesk.kim"],
            billing=staff["billing.patel"],
        ),
        opened=today - timedelta(days=HISTORY_DAYS + 30),
        today=today,
        seed=DEMO_SEED,
    )


def demo_is_seeded() -> bool:
    return Patient.objects.exists()


def portal_users() -> list[User]:
    # Members who write secure messages have portal accounts without a password (demo
    # messaging); only these have the demo password.
    signing_in = User.objects.filter(
        role=Role.PATIENT, patient__email__endswith=DEMO_EMAIL_DOMAIN
    ).exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    return list(signing_in.order_by("username")[:PORTAL_PATIENT_COUNT])


def _seed_clinic() -> None:
    clinic = ClinicSettings.objects.order_by("id").first() or ClinicSettings()
    clinic.name = "Cedar Grove Membership Medicine"
    clinic.time_zone = "America/Chicago"
    clinic.currency = "USD"
    clinic.save()
    for day, name in (
        (date(2026, 11, 26), "Thanksgiving Day"),
        (date(2026, 12, 25), "Christmas Day"),
        (date(2027, 1, 1), "New Year's Day"),
        (date(2027, 5, 31), "Memorial Day"),
        (date(2027, 7, 5), "Independence Day (observed)"),
    ):
        Holiday.objects.update_or_create(date=day, defaults={"name": name})


def _seed_staff(member: StaffMember) -> User:
    user = User.objects.filter(username=member.username).first()
    if user is None:
        user = User.objects.create_user(
            username=member.username,
            password=DEMO_PASSWORD,
            email=f"{member.username}@{DEMO_EMAIL_DOMAIN}",
            first_name=member.first_name,
            last_name=member.last_name,
            role=member.role,
            credentials=member.credentials,
        )
        totp_device_create_confirmed(user=user, secret=demo_totp_secret(member.username))
    return user


def _phone(rng: random.Random) -> str:
    # 555-0100 to 555-0199 are reserved for fiction in every North American area code.
    return f"+1{rng.choice(AREA_CODES)}5550{rng.randint(100, 199)}"


def _birth_date(rng: random.Random, *, youngest: int, oldest: int) -> date:
    today = date(2026, 11, 1)
    return today - timedelta(days=rng.randint(youngest * 365, oldest * 365))


def _seed_patients(rng: random.Random, *, providers: list[User], coach: User, count: int) -> None:
    created = 0
    while created < count:
        family = rng.choice(names.FAMILY)
        size = min(rng.choice((1, 1, 1, 2, 2, 3, 4, 5)), count - created)
        city, region, zip_prefix = rng.choice(names.CITIES)
        address = (
            f"{rng.randint(100, 9899)} {rng.choice(names.STREETS)}",
            city,
            region,
            f"{zip_prefix}{rng.randint(10, 99)}",
        )
        primary = rng.choice(providers)
        with_coach = rng.random() < 0.6
        members: list[Patient] = []
        for position in range(size):
            created += 1
            adult = position < 2
            members.append(
                _seed_patient(
                    rng,
                    number=created,
                    family=family,
                    adult=adult,
                    address=address,
                    primary=primary,
                    coach=coach if with_coach else None,
                )
            )
        if size > 1:
            # The street keeps two households of the same family apart, as staff would tell them.
            _seed_household(f"{family} household, {address[0]}", members)


def _seed_patient(
    rng: random.Random,
    *,
    number: int,
    family: str,
    adult: bool,
    address: tuple[str, str, str, str],
    primary: User,
    coach: User | None,
) -> Patient:
    female = rng.random() < 0.55
    given = rng.choice(names.GIVEN_FEMALE if female else names.GIVEN_MALE)
    preferred = rng.choice(("", "", "", "", given[:3]))
    dob = (
        _birth_date(rng, youngest=19, oldest=88)
        if adult
        else _birth_date(rng, youngest=1, oldest=17)
    )
    email = f"{fold(given)}.{fold(family)}.{number}@{DEMO_EMAIL_DOMAIN}"
    mobile = _phone(rng)
    now = clock.now()
    fields = {
        "legal_given_name": given,
        "legal_family_name": family,
        "preferred_name": preferred,
        "date_of_birth": dob,
        "sex_at_birth": SexAtBirth.FEMALE if female else SexAtBirth.MALE,
        "gender_identity": rng.choice(("", "Woman", "Woman"))
        if female
        else rng.choice(("", "Man")),
        "mobile_phone": mobile,
        "address_line1": address[0],
        "city": address[1],
        "region": address[2],
        "postal_code": address[3],
        "country": "US",
        "preferred_language": rng.choice(names.LANGUAGES),
        "emergency_contact_name": f"{rng.choice(names.GIVEN_FEMALE)} {family}",
        "emergency_contact_relationship": rng.choice(("Spouse", "Parent", "Sibling", "Friend")),
        "emergency_contact_phone": _phone(rng),
        "search_given": fold(given),
        "search_family": fold(family),
        "search_preferred": fold(preferred),
        "search_phone": mobile.lstrip("+"),
        "search_email": email.lower(),
        "updated_at": now,
    }
    patient, created = Patient.objects.update_or_create(
        email=email, defaults=fields, create_defaults={**fields, "created_at": now}
    )
    if created and number <= PORTAL_PATIENT_COUNT:
        patient.user = User.objects.create_user(
            username=f"{fold(given)}.{fold(family)}",
            password=DEMO_PASSWORD,
            email=email,
            first_name=given,
            last_name=family,
            role=Role.PATIENT,
        )
        patient.save(update_fields=["user"])
    CareTeamMember.objects.get_or_create(
        patient=patient,
        role=CareTeamRole.PRIMARY_PROVIDER,
        defaults={"staff": primary, "assigned_at": now},
    )
    if coach is not None:
        CareTeamMember.objects.get_or_create(
            patient=patient, staff=coach, defaults={"role": CareTeamRole.COACH, "assigned_at": now}
        )
    return patient


def _seed_newer_care_teams(staff: dict[str, User]) -> None:
    """Dr. Nakamura and coach Alvarez joined after the patients registered: every fifth
    patient moved to Dr. Nakamura, and every other patient without a coach took coach Alvarez
    (through the care team service, once)."""
    admin, provider, coach = staff["admin"], staff["dr.nakamura"], staff["coach.alvarez"]
    patients = list(
        Patient.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").order_by("email")
    )
    if not CareTeamMember.objects.filter(staff=provider).exists():
        for patient in patients[::5]:
            care_team_assign(
                actor=admin, patient=patient, staff=provider, role=CareTeamRole.PRIMARY_PROVIDER
            )
    if not CareTeamMember.objects.filter(staff=coach).exists():
        coached = set(
            CareTeamMember.objects.filter(role=CareTeamRole.COACH).values_list(
                "patient_id", flat=True
            )
        )
        for patient in [p for p in patients if p.pk not in coached][::2]:
            care_team_assign(actor=admin, patient=patient, staff=coach, role=CareTeamRole.COACH)


def _seed_household(name: str, members: list[Patient]) -> None:
    household, _ = Household.objects.get_or_create(
        name=name, defaults={"head": members[0], "created_at": clock.now()}
    )
    Patient.objects.filter(id__in=[m.id for m in members]).update(household=household)
