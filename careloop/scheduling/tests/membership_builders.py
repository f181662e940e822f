"""A member clinic for the booking-effect tests: Active Care includes 2 provider visits a
month (member price $60.00 beyond them, $150.00 a la carte), booked at Midtown with Dr. Pat.

Memberships start May 1 2026, so June 2026 is a whole allowance month.
"""

from dataclasses import dataclass
from datetime import date, datetime

from careloop.accounts.models import User
from careloop.memberships.models import Membership, MembershipStatus, Plan, Service
from careloop.memberships.tests.ledger_builders import (
    add_benefit,
    make_membership,
    make_plan,
    make_service,
)
from careloop.patients.models import Patient
from careloop.scheduling.models import Appointment, AppointmentType, Location
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.tests.builders import (
    clinic_in_new_york,
    make_location,
    make_type,
    weekday_hours,
)

MEMBER_PRICE = 6000
A_LA_CARTE = 15000


@dataclass
class MemberClinic:
    provider: User
    location: Location
    plan: Plan
    service: Service
    visit: AppointmentType

    def enroll(
        self, patient: Patient, status: MembershipStatus = MembershipStatus.ACTIVE
    ) -> Membership:
        return make_membership(
            plan=self.plan, members=[patient], start_date=date(2026, 5, 1), status=status
        )

    def book(
        self,
        actor: User | None,
        patient: Patient,
        start: datetime,
        kind: AppointmentType | None = None,
        **extra: object,
    ) -> Appointment:
        return appointment_book(
            actor=actor,
            patient=patient,
            provider=self.provider,
            location=self.location,
            appointment_type=kind or self.visit,
            start_at=start,
            **extra,  # type: ignore[arg-type]
        )


def member_clinic(provider: User) -> MemberClinic:
    clinic_in_new_york()
    location = make_location()
    weekday_hours(provider, location)
    plan = make_plan(name="Active Care")
    service = make_service(price=A_LA_CARTE)
    add_benefit(plan, service, allowance=2, member_price=MEMBER_PRICE)
    visit = make_type("Provider visit", service_kind="provider_visit")
    return MemberClinic(provider, location, plan, service, visit)
