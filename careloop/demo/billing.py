"""Billing for the demo clinic: discount codes, an introductory price, cards on file, and a
daily billing run through the year of history, all through the billing services.

Payers keep a sandbox test card; a few cards start declining for a while (the payment fails,
the membership goes past due, retries follow the schedule) until the payer saves a new card;
some stay past due today. Credits from cancelling now are refunded to the card. Synthetic only:
sandbox tokens, no card numbers.
"""

from datetime import date, timedelta

from careloop.accounts.models import User
from careloop.billing.models import (
    AttemptStatus,
    Discount,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    PaymentAttempt,
)
from careloop.billing.selectors.balances import available_credit
from careloop.billing.services.accounts import (
    billing_account_for,
    default_payment_method,
    payment_method_add,
)
from careloop.billing.services.collection import collect_after_new_card
from careloop.billing.services.discounts import discount_create
from careloop.billing.services.invoices import invoice_record_payment
from careloop.billing.services.refunds import refund_create
from careloop.billing.services.runs import billing_run
from careloop.core.errors import CareloopError
from careloop.memberships.models import Plan
from careloop.patients.models import Patient

GOOD_CARD = "tok_sandbox_success"
DECLINING_CARD = "tok_sandbox_insufficient_funds"
SPONSOR_PAYS_AFTER_DAYS = 20


def demo_discounts_seed(
    *, admin: User, plans: dict[str, Plan], essentials: str, today: date
) -> None:
    """Half off the first month of Essentials, and codes the front desk hands out (one of them
    ended months ago)."""
    if Discount.objects.exists():
        return
    discount_create(
        actor=admin,
        name="Essentials: first month half price",
        kind="percent",
        percent_off=50,
        duration="periods",
        periods=1,
        introductory_for=plans[essentials],
    )
    discount_create(
        actor=admin,
        name="Welcome: 10% off the first three months",
        code="WELCOME10",
        kind="percent",
        percent_off=10,
        duration="periods",
        periods=3,
    )
    discount_create(
        actor=admin,
        name="Summer offer: 15% off the first month (ended)",
        code="SUMMER15",
        kind="percent",
        percent_off=15,
        duration="once",
        expires_on=today + timedelta(days=120),
    )
    discount_create(
        actor=admin,
        name="Refer a friend: $25 off once",
        code="FRIEND25",
        kind="amount",
        amount_off=2_500,
        duration="once",
        max_redemptions=50,
    )


def give_card(patient: Patient, token: str = GOOD_CARD) -> None:
    """Save a sandbox card as the payer's default (a new one replaces the old as default)."""
    account = billing_account_for(patient=patient)
    card = default_payment_method(account)
    if card is not None and token == GOOD_CARD and card.last4 == "4242":
        return
    payment_method_add(actor=None, account=account, token=token)


def card_replaced(patient: Patient, actor: User) -> None:
    """The payer saves a working card: what is owed is charged at once."""
    account = billing_account_for(patient=patient)
    payment_method_add(actor=actor, account=account, token=GOOD_CARD)
    collect_after_new_card(account, actor=actor)


def refund_credit(patient: Patient, actor: User) -> None:
    """Pay a payer's credit back to their card (billing staff do this after a cancellation)."""
    account = billing_account_for(patient=patient)
    credit = available_credit(account)
    payments = PaymentAttempt.objects.filter(account=account, status=AttemptStatus.SUCCEEDED)
    for payment in payments.order_by("-created_at", "-id"):
        if credit <= 0:
            break
        amount = min(credit, payment.amount - payment.amount_refunded)
        if amount <= 0:
            continue
        try:
            refund_create(
                actor=actor, attempt=payment, amount=amount, reason="Membership cancelled"
            )
        except CareloopError:
            continue
        credit -= amount


def daily_run(day: date) -> None:
    billing_run(as_of=day)
    _sponsors_pay(day)


def _sponsors_pay(day: date) -> None:
    """Employers pay their monthly invoice by bank transfer about three weeks in."""
    due = Invoice.objects.filter(
        kind=InvoiceKind.SPONSOR,
        status=InvoiceStatus.OPEN,
        issued_on__lte=day - timedelta(days=SPONSOR_PAYS_AFTER_DAYS),
    )
    for invoice in due.order_by("id"):
        invoice_record_payment(
            actor=None, invoice=invoice, method="Bank transfer", reference=f"BT-{invoice.pk:06d}"
        )
