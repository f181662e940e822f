"""Billing data for the API tests: plans, payers with sandbox cards, billed memberships, and a
snapshot of every billing table to show that a refused request changed nothing (synthetic)."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models

from careloop.accounts.models import User
from careloop.billing.models import (
    BillingAccount,
    BillingRun,
    Discount,
    DiscountRedemption,
    GatewayEvent,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    MembershipBilling,
    Notice,
    PaymentAttempt,
    PaymentMethod,
    Refund,
)
from careloop.billing.tests.builders import CARD, account_of, committed, with_card
from careloop.memberships.models import MemberRole, Membership, Plan, ScheduledChange
from careloop.memberships.tests.lifecycle_builders import enroll
from careloop.notifications.models import OutboxMessage
from careloop.patients.models import Patient
from careloop.testing.factories import make_patient

BILLING_MODELS: tuple[type[models.Model], ...] = (
    BillingAccount,
    PaymentMethod,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    PaymentAttempt,
    Refund,
    Discount,
    DiscountRedemption,
    BillingRun,
    Notice,
    GatewayEvent,
    MembershipBilling,
    Membership,
    ScheduledChange,
    OutboxMessage,
)


def billing_state() -> dict[str, list[dict[str, Any]]]:
    """Every billing row (and the memberships and messages billing touches); not the audit
    log, which records refusals by design."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())  # type: ignore[attr-defined]
        for model in BILLING_MODELS
    }


@dataclass(frozen=True)
class Billed:
    membership: Membership
    payer: Patient
    account: BillingAccount
    invoice: Invoice  # the enrollment invoice


def billed_membership(
    actor: User,
    plan: Plan,
    *,
    given: str = "Ann",
    family: str = "Avery",
    card: str | None = CARD,
    start: date = date(2026, 1, 1),
    others: tuple[tuple[Patient, MemberRole], ...] = (),
    payer: Patient | None = None,
) -> Billed:
    """A payer enrolled on `start` (today: freeze the clock first), the first invoice
    charged to `card` at once; without a card it stays open."""
    payer = payer or make_patient(given=given, family=family)
    if card is not None:
        with_card(payer, card)
    with committed():
        membership = enroll(actor, plan, payer, *others, start=start)
    invoice = Invoice.objects.get(membership=membership, kind="enrollment")
    return Billed(membership, payer, account_of(payer), invoice)


def problem(response: Any, status: int, field: str | None = None, code: str | None = None) -> Any:
    """The problem details of a refused request, checked for its status and, when given, the
    field and rule it names."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    if field is not None:
        assert (field, code) in [(e["field"], e["code"]) for e in body["errors"]], body
    elif code is not None:
        assert body["code"] == code, body
    return body
