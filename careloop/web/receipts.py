"""Receipt responses shared by the staff app and the patient portal."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.billing.models import Invoice
from careloop.billing.receipts import receipt_available, receipt_for, receipt_pdf

NOT_PAID = "No receipt yet: nothing has been paid on this invoice."


def receipt_response(request: HttpRequest, invoice: Invoice, template: str) -> HttpResponse:
    if not receipt_available(invoice):
        raise Http404(NOT_PAID)
    return render(request, template, {"invoice": invoice, "receipt": receipt_for(invoice)})


def receipt_pdf_response(invoice: Invoice) -> HttpResponse:
    if not receipt_available(invoice):
        raise Http404(NOT_PAID)
    response = HttpResponse(receipt_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{invoice.number}.pdf"'
    return response
