"""Billing errors with stable codes; careloop.api.problems maps them to HTTP problems."""

from careloop.core.errors import CareloopError, Conflict


class IllegalInvoiceTransition(Conflict):
    code = "illegal_invoice_transition"


class PaymentInProgress(Conflict):
    code = "payment_in_progress"


class BillingRunFinished(Conflict):
    """Work or closing asked of a run that has finished; start a new run instead."""

    code = "billing_run_finished"


class WebhookNotVerified(CareloopError):
    """A gateway webhook whose signature or timestamp did not verify; nothing was done."""

    code = "webhook_rejected"
    status = 400
