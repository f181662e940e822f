"""A payer's cards and discount codes, changed from the chart's billing section."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from careloop.accounts.policy import Capability
from careloop.billing.models import PaymentMethod
from careloop.billing.services.accounts import (
    billing_account_for,
    payment_method_add,
    payment_method_make_default,
    payment_method_remove,
    payment_method_setup_start,
)
from careloop.billing.services.collection import collect_after_new_card
from careloop.billing.services.discounts import discount_redeem
from careloop.core.errors import ValidationFailed
from careloop.memberships.access import access_membership
from careloop.patients.access import access_patient
from careloop.web.decorators import staff_view
from careloop.web.staff.billing.chart import card_form_context
from careloop.web.staff.billing.forms import CardForm, RedeemForm
from careloop.web.staff.billing.outcomes import attempt_message
from careloop.web.staff.patients.views.common import acting_user, safe_next

SECTION = "#billing"


def _chart(patient_id: int) -> str:
    return reverse("staff:patient_chart", args=[patient_id]) + SECTION


@require_POST
@staff_view(Capability.BILLING_COLLECT)
def card_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Save a card as the patient's default; what they owe is charged to it at once."""
    user = acting_user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.BILLING_COLLECT, action="billing.card_add"
    )
    form = CardForm(request.POST)
    form.is_valid()
    account = billing_account_for(patient=patient)
    try:
        with transaction.atomic():
            method = payment_method_add(
                actor=user, account=account, token=form.cleaned_data.get("token") or ""
            )
    except ValidationFailed as error:
        problems = " ".join(item.message for item in error.errors)
        messages.error(request, f"Card: {problems} Nothing was changed.")
        return redirect(_chart(patient.pk))
    messages.success(
        request, f"{method.brand.title()} ending {method.last4} is now the card on file."
    )
    for attempt in collect_after_new_card(account, actor=user):
        level, text = attempt_message(attempt)
        messages.add_message(request, level, f"{attempt.invoice.number}: {text}")
    return redirect(_chart(patient.pk))


@require_POST
@staff_view(Capability.BILLING_COLLECT)
def card_remove(request: HttpRequest, patient_id: int, method_id: int) -> HttpResponse:
    user = acting_user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.BILLING_COLLECT, action="billing.card_remove"
    )
    method = get_object_or_404(
        PaymentMethod, pk=method_id, account__patient=patient, removed_at__isnull=True
    )
    payment_method_remove(actor=user, method=method)
    messages.success(request, f"{method.brand.title()} ending {method.last4} was removed.")
    return redirect(_chart(patient.pk))


@require_POST
@staff_view(Capability.BILLING_COLLECT)
def card_make_default(request: HttpRequest, patient_id: int, method_id: int) -> HttpResponse:
    """Charge another saved card from now on; what the payer owes is charged to it at once."""
    user = acting_user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.BILLING_COLLECT, action="billing.card_make_default"
    )
    method = get_object_or_404(
        PaymentMethod, pk=method_id, account__patient=patient, removed_at__isnull=True
    )
    payment_method_make_default(actor=user, method=method)
    messages.success(
        request, f"{method.brand.title()} ending {method.last4} is now the card on file."
    )
    for attempt in collect_after_new_card(method.account, actor=user):
        level, text = attempt_message(attempt)
        messages.add_message(request, level, f"{attempt.invoice.number}: {text}")
    return redirect(_chart(patient.pk))


@require_POST
@staff_view(Capability.BILLING_COLLECT)
def card_setup(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Start saving a card at the gateway (a Stripe SetupIntent) and return the card form
    that carries its client secret for the gateway's own script."""
    user = acting_user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.BILLING_COLLECT, action="billing.card_setup"
    )
    account = billing_account_for(patient=patient)
    session = payment_method_setup_start(account=account)
    return render(
        request,
        "staff/billing/chart/_card_form.html",
        {"patient": patient, "session": session, **card_form_context(account.gateway)},
    )


@require_POST
@staff_view(Capability.BILLING_COLLECT)
def discount_code_redeem(request: HttpRequest, membership_id: int) -> HttpResponse:
    user = acting_user(request)
    membership = access_membership(
        user, membership_id, Capability.BILLING_COLLECT, action="billing.discount_redeem"
    )
    form = RedeemForm(request.POST)
    form.is_valid()
    try:
        redemption = discount_redeem(
            actor=user, membership=membership, code=form.cleaned_data.get("code") or ""
        )
    except ValidationFailed as error:
        problems = " ".join(item.message for item in error.errors)
        messages.error(request, f"Discount code: {problems} Nothing was changed.")
    else:
        messages.success(
            request,
            f"{redemption.discount.code} ({redemption.discount.name}) applies to membership "
            f"#{membership.pk} from its next invoice.",
        )
    fallback = reverse("staff:membership_detail", args=[membership.pk])
    return redirect(safe_next(request, fallback))
