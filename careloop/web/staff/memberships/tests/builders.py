"""A household enrolled in Active Care, and the pages' clients (synthetic data only)."""

from dataclasses import dataclass
from datetime import date

from django.test import Client
from django.urls import reverse

from careloop.accounts.models import User
from careloop.memberships.models import MemberRole, Membership, Plan
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    give_visits,
    make_plan,
)
from careloop.patients.models import Patient
from careloop.testing.clients import signed_in_client

START = date(2026, 1, 15)


@dataclass(frozen=True)
class Enrolled:
    membership: Membership
    head: Patient
    partner: Patient
    child: Patient
    essentials: Plan
    active_care: Plan
    concierge: Plan


def enrolled_household(actor: User, *, start: date = START) -> Enrolled:
    """The Fairbanks family on Active Care (2 provider visits a month) since `start`, today."""
    freeze_on(start)
    essentials = make_plan(code="essentials", rank=1, name="Essentials", monthly=9_900)
    active_care = make_plan(code="active-care", rank=2, name="Active Care", monthly=20_000)
    concierge = make_plan(code="concierge", rank=3, name="Concierge", monthly=45_000)
    for plan, visits in ((essentials, 1), (active_care, 2), (concierge, 4)):
        give_visits(plan, per_month=visits)
    head, partner, child = family()
    membership = enroll(
        actor,
        active_care,
        head,
        (partner, MemberRole.ADULT),
        (child, MemberRole.CHILD),
        start=start,
    )
    return Enrolled(membership, head, partner, child, essentials, active_care, concierge)


def client_for(user: User) -> Client:
    return signed_in_client(user)


def chart_page(user: User, patient: Patient) -> str:
    response = client_for(user).get(reverse("staff:patient_chart", args=[patient.id]))
    assert response.status_code == 200
    return response.content.decode()
