"""What billing adds to a patient's chart: invoices, payments, balance, cards and discounts.

Registered in careloop/web/staff/patients/chart.py, shown to roles with BILLING_VIEW. Reading
the chart never creates a billing account: a patient who never paid anything has none.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from careloop.accounts.policy import Capability, has_capability
from careloop.billing.gateways import default_gateway_name
from careloop.billing.gateways.sandbox import TEST_CARDS
from careloop.billing.models import BillingAccount, Invoice, PaymentAttempt
from careloop.billing.selectors.balances import account_balance
from careloop.memberships.models import Membership, MembershipStatus
from careloop.memberships.selectors.memberships import membership_for_patient
from careloop.patients.models import Patient
from careloop.web.staff.patients.views.common import acting_user

RECENT = 10
REDEEMABLE = [
    MembershipStatus.PENDING,
    MembershipStatus.ACTIVE,
    MembershipStatus.PAST_DUE,
    MembershipStatus.PAUSED,
]


def card_form_context(gateway: str) -> dict[str, Any]:
    """The add-a-card form: the sandbox's test cards, or a Stripe token field."""
    return {
        "test_cards": TEST_CARDS if gateway == "sandbox" else [],
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY if gateway == "stripe" else "",
    }


def billing_section(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    user = acting_user(request)
    account = BillingAccount.objects.filter(patient=patient).first()
    covering = membership_for_patient(patient=patient)
    billed_to = (
        covering.payer_patient
        if covering is not None
        and covering.payer_patient_id is not None
        and covering.payer_patient_id != patient.pk
        else None
    )
    paid_memberships = list(
        Membership.objects.filter(payer_patient=patient, status__in=REDEEMABLE)
        .select_related("plan")
        .order_by("id")
    )
    cards = (
        list(account.payment_methods.filter(removed_at__isnull=True).order_by("-is_default", "-id"))
        if account is not None
        else []
    )
    return {
        "account": account,
        "billed_to": billed_to,
        "sponsor": covering.sponsor if covering is not None else None,
        "invoices": list(
            Invoice.objects.filter(account=account).order_by("-issued_on", "-id")[:RECENT]
        )
        if account is not None
        else [],
        "payments": list(
            PaymentAttempt.objects.filter(account=account)
            .select_related("invoice", "payment_method")
            .order_by("-created_at", "-id")[:RECENT]
        )
        if account is not None
        else [],
        "balance": account_balance(account) if account is not None else None,
        "cards": cards,
        "memberships": paid_memberships,
        "can_collect": has_capability(user, Capability.BILLING_COLLECT),
        "can_manage": has_capability(user, Capability.BILLING_MANAGE),
        **card_form_context(account.gateway if account is not None else default_gateway_name()),
    }
