"""Billing errors with stable codes; careloop.api.problems maps them to HTTP problems."""

from careloop.core.errors import Conflict


class IllegalInvoiceTransition(Conflict):
    code = "illegal_invoice_transition"


class PaymentInProgress(Conflict):
    code = "payment_in_progress"
