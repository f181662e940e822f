"""Receipts of paid invoices, as a printable page and as a PDF download."""

from django.http import HttpRequest, HttpResponse

from careloop.accounts.policy import Capability
from careloop.billing.access import access_invoice
from careloop.web.decorators import staff_view
from careloop.web.receipts import receipt_pdf_response, receipt_response
from careloop.web.staff.patients.views.common import acting_user


@staff_view(Capability.BILLING_VIEW)
def receipt(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = access_invoice(acting_user(request), invoice_id, action="invoice.receipt")
    return receipt_response(request, invoice, "staff/billing/receipt.html")


@staff_view(Capability.BILLING_VIEW)
def receipt_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = access_invoice(acting_user(request), invoice_id, action="invoice.receipt")
    return receipt_pdf_response(invoice)
