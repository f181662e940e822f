"""Members with cards, paid and failed invoices, for the billing pages' tests (synthetic data)."""

from dataclasses import dataclass
from datetime import date

from django.test import Client
from django.urls import reverse

from careloop.accounts.models import User
from careloop.billing.models import Invoice
from careloop.billing.services.accounts import billing_account_for, payment_method_add
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import CARD, DECLINING_CARD, committed, invoices_of
from careloop.memberships.models import Membership, Plan
from careloop.memberships.periods import Interval
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.patients.models import Patient
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_patient

START = date(2026, 1, 15)
RENEWAL = date(2026, 2, 15)


@dataclass(frozen=True)
class Clinic:
    essentials: Plan  # $100.00 a month
    active_care: Plan  # $200.00 a month


def a_clinic() -> Clinic:
    """Two plans on sale, with the clock on January 15 2026."""
    freeze_on(START)
    return Clinic(
        essentials=make_plan(code="essentials", rank=1, name="Essentials", monthly=10_000),
        active_care=make_plan(code="active-care", rank=2, name="Active Care", monthly=20_000),
    )


def give_card(patient: Patient, token: str = CARD) -> None:
    payment_method_add(actor=None, account=billing_account_for(patient=patient), token=token)


def a_member(
    actor: User,
    plan: Plan,
    *,
    given: str = "Hana",
    family: str = "Ito",
    token: str | None = CARD,
    interval: Interval = Interval.MONTHLY,
    start: date = START,
) -> Membership:
    """A patient enrolled from `start` whose first invoice was charged to `token`."""
    patient = make_patient(given=given, family=family)
    if token is not None:
        give_card(patient, token)
    with committed():
        return enroll(actor, plan, patient, start=start, interval=interval, active=True)


def a_failed_renewal(
    actor: User, plan: Plan, *, given: str = "Hana", family: str = "Ito"
) -> Invoice:
    """A member who paid for January; their card declined the February renewal at the run."""
    membership = a_member(actor, plan, given=given, family=family)
    assert membership.payer_patient is not None
    give_card(membership.payer_patient, DECLINING_CARD)
    freeze_on(RENEWAL)
    billing_run(as_of=RENEWAL)
    return invoices_of(membership)[-1]


def client_for(user: User) -> Client:
    return signed_in_client(user)


def page(user: User, name: str, *args: int, **query: str) -> str:
    url = reverse(name, args=args)
    response = client_for(user).get(url, query)
    assert response.status_code == 200, response.status_code
    return response.content.decode()
