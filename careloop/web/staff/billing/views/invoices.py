"""Invoices: the filtered list, one invoice with its payments, and what staff can do to it.

Each action names its capability, fetches the invoice through access_invoice (audited), calls
one service and returns to the invoice (or where the form came from). A refused input shows
the invoice again with the message beside the field, and nothing changed.
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.audit.services import audit_record
from careloop.billing.access import access_invoice
from careloop.billing.models import (
    Invoice,
    InvoiceStatus,
    PaymentAttempt,
    RefundStatus,
)
from careloop.billing.receipts import receipt_available
from careloop.billing.selectors.invoices import (
    InvoiceFilters,
    invoice_attempts,
    invoice_history,
    invoices_filtered,
    payer_name,
    refundable,
)
from careloop.billing.services import follow_up
from careloop.billing.services.accounts import default_payment_method
from careloop.billing.services.invoices import invoice_mark_uncollectible, invoice_void
from careloop.billing.services.refunds import refund_create
from careloop.core import clock
from careloop.core.errors import Conflict, ValidationFailed
from careloop.memberships.models import MembershipStatus
from careloop.web.decorators import staff_view
from careloop.web.money import format_money
from careloop.web.staff.billing.forms import (
    InvoiceFilterForm,
    ReasonForm,
    RefundForm,
    show_errors,
)
from careloop.web.staff.billing.outcomes import attempt_message
from careloop.web.staff.patients.views.common import acting_user, safe_next

PAGE_SIZE = 50
WAIVED = "Waived: "


@staff_view(Capability.BILLING_VIEW)
def invoice_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = InvoiceFilterForm(request.GET or None)
    page = None
    invoices: list[Invoice] = []
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else InvoiceFilters()
        rows = invoices_filtered(filters=filters, today=clock.today())
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        invoices = list(page.object_list)
    if invoices:
        audit_record(
            action="invoice.list",
            actor=user,
            object_type="invoice",
            detail={
                "invoice_ids": [invoice.pk for invoice in invoices],
                "patient_ids": sorted(
                    {
                        invoice.account.patient_id
                        for invoice in invoices
                        if invoice.account.patient_id is not None
                    }
                ),
            },
        )
    kept = {
        name: value
        for name, value in request.GET.items()
        if name in InvoiceFilterForm.base_fields and value
    }
    return render(
        request,
        "staff/billing/invoice_list.html",
        {
            "form": form,
            "page": page,
            "rows": [(invoice, payer_name(invoice.account)) for invoice in invoices],
            "query": urlencode(kept),
            "filtered": bool(kept),
            "today": clock.today(),
        },
        status=422 if form.is_bound and not form.is_valid() else 200,
    )


def _actions(user: User, invoice: Invoice) -> dict[str, bool]:
    status = InvoiceStatus(invoice.status)
    owing = status in (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE) and invoice.amount_due > 0
    return {
        "can_collect": owing and has_capability(user, Capability.BILLING_COLLECT),
        "can_remind": owing and has_capability(user, Capability.BILLING_COLLECT),
        "can_void": status in (InvoiceStatus.DRAFT, InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)
        and invoice.amount_paid == 0
        and has_capability(user, Capability.BILLING_MANAGE),
        "can_mark_uncollectible": status == InvoiceStatus.OPEN
        and has_capability(user, Capability.BILLING_MANAGE),
        "can_refund": has_capability(user, Capability.BILLING_REFUND),
        "can_change_membership": has_capability(user, Capability.MEMBERSHIP_CHANGE),
    }


def invoice_page(
    request: HttpRequest,
    invoice: Invoice,
    *,
    void_form: ReasonForm | None = None,
    uncollectible_form: ReasonForm | None = None,
    refund_form: tuple[int, RefundForm] | None = None,
) -> HttpResponse:
    """The invoice page; after a refused action, with the form that was refused."""
    user = acting_user(request)
    attempts = invoice_attempts(invoice)
    refund_forms = {attempt.pk: RefundForm(prefix=f"refund-{attempt.pk}") for attempt in attempts}
    if refund_form is not None:
        refund_forms[refund_form[0]] = refund_form[1]
    refused = any(form is not None and form.errors for form in (void_form, uncollectible_form)) or (
        refund_form is not None and bool(refund_form[1].errors)
    )
    context: dict[str, Any] = {
        "invoice": invoice,
        "payer": payer_name(invoice.account),
        "lines": list(invoice.lines.select_related("patient").order_by("id")),
        "history": invoice_history(invoice),
        "attempts": [
            (attempt, refundable(attempt), refund_forms[attempt.pk]) for attempt in attempts
        ],
        "refunds": [refund for attempt in attempts for refund in attempt.refunds.all()],
        "card": default_payment_method(invoice.account),
        "receipt": receipt_available(invoice),
        "void_form": void_form or ReasonForm(prefix="void"),
        "uncollectible_form": uncollectible_form or ReasonForm(prefix="uncollectible"),
        "past_due": invoice.is_past_due(clock.today()),
        "refused": refused,
        **_actions(user, invoice),
    }
    return render(
        request, "staff/billing/invoice_detail.html", context, status=422 if refused else 200
    )


@staff_view(Capability.BILLING_VIEW)
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = access_invoice(acting_user(request), invoice_id)
    return invoice_page(request, invoice)


def _back(request: HttpRequest, invoice: Invoice) -> HttpResponse:
    return redirect(safe_next(request, reverse("staff:billing_invoice_detail", args=[invoice.pk])))


@require_POST
@staff_view(Capability.BILLING_COLLECT)
def invoice_collect_now(request: HttpRequest, invoice_id: int) -> HttpResponse:
    user = acting_user(request)
    invoice = access_invoice(user, invoice_id, Capability.BILLING_COLLECT, action="invoice.collect")
    try:
        attempt = follow_up.invoice_collect_now(actor=user, invoice=invoice)
    except Conflict as error:
        messages.error(request, str(error))
    else:
        level, text = attempt_message(attempt)
        messages.add_message(request, level, f"{invoice.number}: {text}")
    return _back(request, invoice)


@require_POST
@staff_view(Capability.BILLING_COLLECT)
def invoice_send_reminder(request: HttpRequest, invoice_id: int) -> HttpResponse:
    user = acting_user(request)
    invoice = access_invoice(user, invoice_id, Capability.BILLING_COLLECT, action="invoice.remind")
    try:
        follow_up.invoice_send_reminder(actor=user, invoice=invoice)
    except Conflict as error:
        messages.info(request, str(error))
    else:
        messages.success(
            request,
            f"Reminder about {invoice.number} sent to {payer_name(invoice.account)}, with a "
            "secure link to update their card.",
        )
    return _back(request, invoice)


@require_POST
@staff_view(Capability.BILLING_MANAGE)
def invoice_void_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Void an invoice issued in error, or waive it (`waive`: the reason starts "Waived:")."""
    user = acting_user(request)
    invoice = access_invoice(user, invoice_id, Capability.BILLING_MANAGE, action="invoice.void")
    form = ReasonForm(request.POST, prefix="void")
    form.is_valid()
    reason = form.cleaned_data.get("reason") or ""
    waive = request.POST.get("waive") == "yes"
    if waive and reason:
        reason = f"{WAIVED}{reason}"
    try:
        invoice_void(actor=user, invoice=invoice, reason=reason)
    except ValidationFailed as error:
        show_errors(form, error)
        return invoice_page(request, invoice, void_form=form)
    except Conflict as error:
        messages.error(request, f"{error.message} Nothing was changed.")
        return _back(request, invoice)
    done = "waived" if waive else "void"
    messages.success(request, f"{invoice.number} is {done}: nothing more will be charged.")
    return _back(request, invoice)


def _membership_after_dunning(invoice: Invoice) -> str:
    """What the clinic's policy after the last failure did to the invoice's membership."""
    membership = invoice.membership
    if membership is None:
        return ""
    membership.refresh_from_db()
    if membership.status == MembershipStatus.CANCELLED:
        return " The membership is cancelled, as the billing settings say."
    if membership.status == MembershipStatus.PAST_DUE:
        return " The membership stays past due until it is paid."
    return ""


@require_POST
@staff_view(Capability.BILLING_MANAGE)
def invoice_uncollectible_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    user = acting_user(request)
    invoice = access_invoice(
        user, invoice_id, Capability.BILLING_MANAGE, action="invoice.mark_uncollectible"
    )
    form = ReasonForm(request.POST, prefix="uncollectible")
    form.is_valid()
    try:
        invoice_mark_uncollectible(
            actor=user, invoice=invoice, reason=form.cleaned_data.get("reason") or ""
        )
    except ValidationFailed as error:
        show_errors(form, error)
        return invoice_page(request, invoice, uncollectible_form=form)
    except Conflict as error:
        messages.error(request, f"{error.message} Nothing was changed.")
        return _back(request, invoice)
    messages.success(
        request,
        f"{invoice.number} is marked uncollectible: no more retries. It stays on the payer's "
        f"balance and can still be paid or voided.{_membership_after_dunning(invoice)}",
    )
    return _back(request, invoice)


@require_POST
@staff_view(Capability.BILLING_REFUND)
def payment_refund(request: HttpRequest, invoice_id: int, attempt_id: int) -> HttpResponse:
    user = acting_user(request)
    invoice = access_invoice(user, invoice_id, Capability.BILLING_REFUND, action="invoice.refund")
    attempt = get_object_or_404(PaymentAttempt, pk=attempt_id, invoice=invoice)
    form = RefundForm(request.POST, prefix=f"refund-{attempt.pk}")
    if not form.is_valid():
        return invoice_page(request, invoice, refund_form=(attempt.pk, form))
    try:
        refund = refund_create(
            actor=user,
            attempt=attempt,
            amount=form.cleaned_data.get("amount") or 0,
            reason=form.cleaned_data.get("reason") or "",
        )
    except ValidationFailed as error:
        for item in error.errors:
            form.add_error(item.field if item.field in form.fields else None, item.message)
        return invoice_page(request, invoice, refund_form=(attempt.pk, form))
    amount = format_money(refund.amount, attempt.currency)
    if refund.status == RefundStatus.SUCCEEDED:
        messages.success(request, f"Refunded {amount} to the card that paid.")
    elif refund.status == RefundStatus.FAILED:
        messages.error(request, f"The refund of {amount} failed: {refund.failure_message}")
    else:
        messages.warning(request, f"The refund of {amount} is waiting for the gateway's answer.")
    return _back(request, invoice)
