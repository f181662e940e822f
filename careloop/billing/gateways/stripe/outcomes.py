"""What Stripe's answers mean for Careloop: PaymentIntents, Refunds and errors as results.

The rule behind every mapping: a charge is FAILED or DECLINED only when Stripe has said that
no money moved; whenever it may have moved (no answer, a server error, a PaymentIntent
still processing), the result is UNKNOWN and billing settles it with `charge_lookup`.
"""

from typing import Any

import requests
import stripe

from careloop.billing.gateways.base import (
    ChargeResult,
    ChargeStatus,
    RefundResult,
    RefundStatus,
)

IDEMPOTENCY_METADATA_KEY = "careloop_idempotency_key"


def charge_result_from_payment_intent(payment_intent: stripe.PaymentIntent) -> ChargeResult:
    status = str(payment_intent.status)
    reference = payment_intent.id
    if status == "succeeded":
        return ChargeResult(status=ChargeStatus.SUCCEEDED, reference=reference)
    if status in ("processing", "requires_capture"):
        # The card network has not answered yet; the outcome arrives later (a webhook, or a
        # later lookup). Charging again now could take the money twice.
        return ChargeResult(
            status=ChargeStatus.UNKNOWN,
            reference=reference,
            failure_code=status,
            failure_message=f"The payment is {status.replace('_', ' ')} at Stripe.",
        )
    if status == "requires_action":
        # The bank wants the cardholder to authenticate, which an off-session charge cannot
        # do: the patient must pay in person or save the card again. Stripe itself answers
        # an off-session charge this way with the decline code authentication_required.
        return ChargeResult(
            status=ChargeStatus.DECLINED,
            reference=reference,
            failure_code="authentication_required",
            failure_message="The bank asks the cardholder to authenticate this payment.",
        )
    error = field(payment_intent, "last_payment_error")
    if status == "requires_payment_method" and error is not None:
        return ChargeResult(
            status=ChargeStatus.DECLINED,
            reference=reference,
            failure_code=_decline_code(field(error, "decline_code"), field(error, "code")),
            failure_message=str(field(error, "message") or "The card was declined."),
        )
    # requires_payment_method without an attempt, requires_confirmation, canceled: nothing
    # was charged, and nothing will be without another confirmation, which Careloop never sends.
    return ChargeResult(
        status=ChargeStatus.FAILED,
        reference=reference,
        failure_code=status,
        failure_message=f"The payment was not made (Stripe status {status}).",
    )


def charge_result_from_error(error: stripe.StripeError) -> ChargeResult:
    message = error.user_message or str(error)
    if isinstance(error, stripe.CardError):
        details = error.error
        reference = ""
        decline_code = None
        if details is not None:
            decline_code = field(details, "decline_code")
            payment_intent = field(details, "payment_intent")
            if payment_intent is not None:
                reference = str(field(payment_intent, "id") or "")
        return ChargeResult(
            status=ChargeStatus.DECLINED,
            reference=reference,
            failure_code=_decline_code(decline_code, error.code),
            failure_message=message,
        )
    if _outcome_is_unknown(error):
        return ChargeResult(
            status=ChargeStatus.UNKNOWN,
            failure_code=_unknown_code(error),
            failure_message=message,
        )
    return ChargeResult(
        status=ChargeStatus.FAILED,
        failure_code=error.code or _error_kind(error),
        failure_message=message,
    )


def refund_result_from_refund(refund: stripe.Refund) -> RefundResult:
    # A pending refund is accepted and almost always completes; one that fails later is
    # reported by Stripe's refund.failed event.
    if refund.status in ("succeeded", "pending"):
        return RefundResult(status=RefundStatus.SUCCEEDED, reference=refund.id)
    return RefundResult(
        status=RefundStatus.FAILED,
        reference=refund.id,
        failure_message=f"Stripe did not make the refund (status {refund.status}).",
    )


def refund_result_from_error(error: stripe.StripeError) -> RefundResult:
    message = error.user_message or str(error)
    if _outcome_is_unknown(error):
        return RefundResult(status=RefundStatus.UNKNOWN, failure_message=message)
    if error.code:
        message = f"{message} ({error.code})"
    return RefundResult(status=RefundStatus.FAILED, failure_message=message)


def field(stripe_object: stripe.StripeObject, name: str) -> Any:
    """A field of a Stripe object, or None when the answer left it out (the typed attributes
    raise AttributeError for a field missing from the answer)."""
    try:
        return stripe_object[name]
    except KeyError:
        return None


def _outcome_is_unknown(error: stripe.StripeError) -> bool:
    """Whether Stripe may have carried the request out despite the error.

    No answer (a refused connection, a timeout), a server error (5xx, or a 409 while another
    request with the key is in flight) and an idempotency key reused with other parameters
    (an earlier request with it exists) all leave the outcome open.
    """
    return isinstance(error, stripe.APIConnectionError | stripe.APIError | stripe.IdempotencyError)


def _unknown_code(error: stripe.StripeError) -> str:
    if isinstance(error, stripe.APIConnectionError):
        if isinstance(error.__cause__, requests.Timeout):
            return "timeout"
        return "connection_error"
    if isinstance(error, stripe.IdempotencyError):
        return "idempotency_error"
    return error.code or "api_error"


def _error_kind(error: stripe.StripeError) -> str:
    if isinstance(error, stripe.RateLimitError):
        return "rate_limit"
    if isinstance(error, stripe.AuthenticationError):
        return "authentication_error"
    if isinstance(error, stripe.PermissionError):
        return "permission_error"
    return "invalid_request"


def _decline_code(decline_code: object, code: object) -> str:
    """Stripe's decline code (insufficient_funds, lost_card...) when the bank gave one,
    otherwise its error code (card_declined, expired_card, incorrect_cvc...)."""
    return str(decline_code or code or "card_declined")
