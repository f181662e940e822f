"""The invoice lifecycle as data: draft -> open -> paid | void | uncollectible, and
uncollectible -> paid | void. A paid invoice is never voided; it is refunded."""

from enum import StrEnum

from careloop.billing.errors import IllegalInvoiceTransition
from careloop.billing.models import InvoiceStatus as S


class InvoiceAction(StrEnum):
    FINALIZE = "finalize"
    PAY = "pay"
    VOID = "void"
    MARK_UNCOLLECTIBLE = "mark_uncollectible"


TRANSITIONS: dict[InvoiceAction, dict[S, S]] = {
    InvoiceAction.FINALIZE: {S.DRAFT: S.OPEN},
    InvoiceAction.PAY: {S.OPEN: S.PAID, S.UNCOLLECTIBLE: S.PAID},
    InvoiceAction.VOID: {S.DRAFT: S.VOID, S.OPEN: S.VOID, S.UNCOLLECTIBLE: S.VOID},
    InvoiceAction.MARK_UNCOLLECTIBLE: {S.OPEN: S.UNCOLLECTIBLE},
}

_REFUSALS = {
    (InvoiceAction.VOID, S.PAID): "A paid invoice cannot be voided; refund the payment instead.",
    (InvoiceAction.VOID, S.VOID): "This invoice is already void.",
    (InvoiceAction.PAY, S.PAID): "This invoice is already paid.",
    (InvoiceAction.PAY, S.VOID): "A void invoice cannot be paid.",
}


def invoice_target(status: S, action: InvoiceAction) -> S:
    target = TRANSITIONS[action].get(status)
    if target is None:
        message = _REFUSALS.get(
            (action, status),
            f"An invoice that is {status.label.lower()} cannot {action.value.replace('_', ' ')}.",
        )
        raise IllegalInvoiceTransition(message)
    return target
