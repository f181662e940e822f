from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.accounts.models import User
from careloop.billing.access import access_own_invoice
from careloop.billing.links import card_update_token
from careloop.billing.models import BillingAccount, Invoice
from careloop.billing.receipts import receipt_available
from careloop.billing.selectors.balances import account_balance
from careloop.billing.services.accounts import default_payment_method
from careloop.core import clock
from careloop.patients.access import access_patient
from careloop.patients.models import Patient
from careloop.patients.selectors import care_team_members
from careloop.web.decorators import portal_view
from careloop.web.receipts import receipt_pdf_response, receipt_response


def _own_patient(request: HttpRequest, action: str) -> Patient | None:
    user = request.user
    assert isinstance(user, User)
    own_id = Patient.objects.filter(user=user).values_list("id", flat=True).first()
    if own_id is None:
        return None
    return access_patient(user, own_id, action=action)


@portal_view
def home(request: HttpRequest) -> HttpResponse:
    """The patient's own demographics, household and care team."""
    patient = _own_patient(request, "portal.view")
    if patient is None:
        return render(request, "portal/no_record.html", status=404)
    return render(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "age": patient.age_on(clock.today()),
            "household": patient.household,
            "care_team": care_team_members(patient),
        },
    )


@portal_view
def billing(request: HttpRequest) -> HttpResponse:
    """What the patient pays: their invoices and receipts, balance and card on file."""
    patient = _own_patient(request, "portal.billing")
    if patient is None:
        return render(request, "portal/no_record.html", status=404)
    account = BillingAccount.objects.filter(patient=patient).first()
    invoices = (
        list(Invoice.objects.filter(account=account).order_by("-issued_on", "-id"))
        if account is not None
        else []
    )
    return render(
        request,
        "portal/billing.html",
        {
            "patient": patient,
            "account": account,
            "invoices": [(invoice, receipt_available(invoice)) for invoice in invoices],
            "balance": account_balance(account) if account is not None else None,
            "card": default_payment_method(account) if account is not None else None,
            # A fresh token each visit: the link works for 14 days, like an emailed one.
            "card_token": card_update_token(account.pk) if account is not None else "",
        },
    )


@portal_view
def receipt(request: HttpRequest, invoice_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    invoice = access_own_invoice(user, invoice_id, action="portal.receipt")
    return receipt_response(request, invoice, "portal/receipt.html")


@portal_view
def receipt_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    invoice = access_own_invoice(user, invoice_id, action="portal.receipt")
    return receipt_pdf_response(invoice)
