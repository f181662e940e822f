"""Payers (billing accounts): their balance, their journal entries and their saved cards.

A billing account is one payer, a patient or an employer sponsor; it is made when billing
first needs it (at enrollment). Its balance is derived from the journal, never stored. Cards
are saved by the gateway (the browser sends the card straight to it) and Careloop receives a
token: the API takes that token and answers the brand, last four digits and expiry only.
"""

from datetime import datetime
from functools import partial

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Schema, Status

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.api.billing.common import MINOR_UNITS, Limit, Offset, accounts_router
from careloop.api.billing.output import (
    AccountOut,
    AccountPage,
    PaymentMethodOut,
    payer_name,
    payment_method_out,
)
from careloop.api.memberships.common import request_user, staff_user
from careloop.api.patients import needs
from careloop.audit.services import audit_record
from careloop.billing.access import access_billing_account
from careloop.billing.models import BillingAccount, JournalEntry, JournalLine, Ledger
from careloop.billing.selectors.balances import account_balance
from careloop.billing.services.accounts import (
    default_payment_method,
    payment_method_add,
    payment_method_make_default,
    payment_method_remove,
)
from careloop.billing.services.collection import collect_after_new_card
from careloop.core.errors import NotFound


def account_out(account: BillingAccount) -> AccountOut:
    balance = account_balance(account)
    card = default_payment_method(account)
    return AccountOut(
        id=account.pk,
        payer_name=payer_name(account),
        patient_id=account.patient_id,
        sponsor_id=account.sponsor_id,
        currency=account.currency,
        gateway=account.gateway,
        owed=balance.owed,
        credit=balance.credit,
        balance=balance.balance,
        default_payment_method=payment_method_out(card) if card is not None else None,
    )


@accounts_router.get(
    "",
    response=AccountPage,
    summary="List payers with their balances",
    description="Find a patient's or a sponsor's billing account by `patient_id` or `sponsor_id`.",
    openapi_extra=needs(Capability.BILLING_VIEW),
)
def account_list(
    request: HttpRequest,
    patient_id: int | None = None,
    sponsor_id: int | None = None,
    limit: Limit = 25,
    offset: Offset = 0,
) -> AccountPage:
    user = staff_user(request, Capability.BILLING_VIEW)
    matches = BillingAccount.objects.order_by("id")
    if patient_id is not None:
        matches = matches.filter(patient_id=patient_id)
    if sponsor_id is not None:
        matches = matches.filter(sponsor_id=sponsor_id)
    page = list(matches.select_related("patient", "sponsor")[offset : offset + limit])
    audit_record(
        action="billing_account.list",
        actor=user,
        object_type="billing_account",
        detail={
            "patient_ids": sorted(
                account.patient_id for account in page if account.patient_id is not None
            )
        },
    )
    return AccountPage(
        items=[account_out(account) for account in page],
        total=matches.count(),
        limit=limit,
        offset=offset,
    )


@accounts_router.get(
    "/{account_id}",
    response=AccountOut,
    summary="A payer's balance: what they owe and their credit",
    description="Credit is applied to the payer's next invoices before any card is charged.",
    openapi_extra=needs(Capability.BILLING_VIEW),
)
def account_get(request: HttpRequest, account_id: int) -> AccountOut:
    return account_out(access_billing_account(request_user(request), account_id))


class JournalEntryOut(Schema):
    id: int
    kind: str = Field(
        description="invoice, credit_issued, credit_applied, payment, refund, void, write_off "
        "or write_off_recovered"
    )
    occurred_at: datetime
    memo: str
    currency: str
    invoice_id: int | None
    payment_id: int | None
    refund_id: int | None
    owed_change: int = Field(description=MINOR_UNITS + "; positive when the payer owes more")
    credit_change: int = Field(description=MINOR_UNITS + "; positive when their credit grows")


class JournalPage(Schema):
    items: list[JournalEntryOut] = Field(description="Newest first")
    total: int
    limit: int
    offset: int


@accounts_router.get(
    "/{account_id}/journal",
    response=JournalPage,
    summary="The journal entries that moved a payer's balance",
    description=(
        "Read only: the journal is append-only. Each entry shows how it changed what the "
        "payer owes and their credit; their sums are the balance."
    ),
    openapi_extra=needs(Capability.BILLING_VIEW),
)
def account_journal(
    request: HttpRequest, account_id: int, limit: Limit = 25, offset: Offset = 0
) -> JournalPage:
    account = access_billing_account(
        request_user(request), account_id, action="billing_account.journal_view"
    )
    entries = JournalEntry.objects.filter(
        pk__in=JournalLine.objects.filter(account=account).values("entry_id")
    ).order_by("-occurred_at", "-id")
    page = list(entries[offset : offset + limit])
    owed: dict[int, int] = {}
    credit: dict[int, int] = {}
    for line in JournalLine.objects.filter(account=account, entry__in=page):
        if line.ledger == Ledger.RECEIVABLE:
            owed[line.entry_id] = owed.get(line.entry_id, 0) + line.amount
        elif line.ledger == Ledger.CREDIT:
            # The credit ledger is a liability: a credit (negative) line is credit granted.
            credit[line.entry_id] = credit.get(line.entry_id, 0) - line.amount
    return JournalPage(
        items=[
            JournalEntryOut(
                id=entry.pk,
                kind=entry.kind,
                occurred_at=entry.occurred_at,
                memo=entry.memo,
                currency=entry.currency,
                invoice_id=entry.invoice_id,
                payment_id=entry.attempt_id,
                refund_id=entry.refund_id,
                owed_change=owed.get(entry.pk, 0),
                credit_change=credit.get(entry.pk, 0),
            )
            for entry in page
        ],
        total=entries.count(),
        limit=limit,
        offset=offset,
    )


@accounts_router.get(
    "/{account_id}/payment-methods",
    response=list[PaymentMethodOut],
    summary="A payer's saved cards, the default first",
    description="Brand, last four digits, expiry and whether it is the default; nothing more.",
    openapi_extra=needs(Capability.BILLING_VIEW),
)
def payment_method_list(request: HttpRequest, account_id: int) -> list[PaymentMethodOut]:
    account = access_billing_account(
        request_user(request), account_id, action="billing_account.cards_view"
    )
    methods = account.payment_methods.filter(removed_at__isnull=True).order_by(
        "-is_default", "-created_at", "-id"
    )
    return [payment_method_out(method) for method in methods]


class PaymentMethodIn(Schema):
    token: str = Field(
        description="The gateway's token for a card saved in the browser (on Stripe a "
        "PaymentMethod id; on the sandbox a test card such as tok_sandbox_success). Never a "
        "card number."
    )


def _collect_owed(account_id: int, actor: User) -> None:
    collect_after_new_card(BillingAccount.objects.get(pk=account_id), actor)


@accounts_router.post(
    "/{account_id}/payment-methods",
    response={201: PaymentMethodOut},
    summary="Keep a card saved at the gateway, as the payer's default",
    description=(
        "Once the card is saved, pending memberships of the payer are activated and what they "
        "owe is charged to it at once (read their invoices for the outcome). 422 names "
        "`token` when the gateway does not know the card or refuses it."
    ),
    openapi_extra=needs(Capability.BILLING_COLLECT),
)
def payment_method_create(
    request: HttpRequest, account_id: int, payload: PaymentMethodIn
) -> Status[PaymentMethodOut]:
    user = request_user(request)
    account = access_billing_account(
        user, account_id, Capability.BILLING_COLLECT, action="billing_account.card_add_request"
    )
    with transaction.atomic():
        method = payment_method_add(actor=user, account=account, token=payload.token)
        # The charge must not run inside the transaction that saves the card.
        transaction.on_commit(partial(_collect_owed, account.pk, user))
    return Status(201, payment_method_out(method))


@accounts_router.post(
    "/{account_id}/payment-methods/{payment_method_id}/default",
    response=PaymentMethodOut,
    summary="Charge another saved card from now on",
    description=(
        "The card becomes the payer's default; what they owe (a failed invoice, a pending "
        "enrollment) is charged to it at once, as with a new card."
    ),
    openapi_extra=needs(Capability.BILLING_COLLECT),
)
def payment_method_default(
    request: HttpRequest, account_id: int, payment_method_id: int
) -> PaymentMethodOut:
    user = request_user(request)
    account = access_billing_account(
        user, account_id, Capability.BILLING_COLLECT, action="billing_account.card_default_request"
    )
    method = account.payment_methods.filter(pk=payment_method_id, removed_at__isnull=True).first()
    if method is None:
        raise NotFound("No such card on this payer's account.")
    with transaction.atomic():
        method = payment_method_make_default(actor=user, method=method)
        transaction.on_commit(partial(_collect_owed, account.pk, user))
    return payment_method_out(method)


@accounts_router.delete(
    "/{account_id}/payment-methods/{payment_method_id}",
    response={204: None},
    summary="Forget a saved card",
    description="The newest remaining card becomes the default.",
    openapi_extra=needs(Capability.BILLING_COLLECT),
)
def payment_method_delete(
    request: HttpRequest, account_id: int, payment_method_id: int
) -> Status[None]:
    user = request_user(request)
    account = access_billing_account(
        user, account_id, Capability.BILLING_COLLECT, action="billing_account.card_remove_request"
    )
    method = account.payment_methods.filter(pk=payment_method_id, removed_at__isnull=True).first()
    if method is None:
        raise NotFound("No such card on this payer's account.")
    payment_method_remove(actor=user, method=method)
    return Status(204, None)
