"""The Stripe gateway: the Gateway protocol over one `stripe.StripeClient`.

Each gateway holds its own client (key, API address, timeout), never the SDK's module
globals, so two configurations (a clinic's live account and a test server) can coexist in
one process.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings

from careloop.billing.gateways.base import (
    CardDetails,
    ChargeResult,
    GatewayError,
    RefundResult,
    SetupSession,
    WebhookEvent,
    WebhookRejected,
)
from careloop.billing.gateways.stripe.outcomes import (
    IDEMPOTENCY_METADATA_KEY,
    charge_result_from_error,
    charge_result_from_payment_intent,
    field,
    refund_result_from_error,
    refund_result_from_refund,
)
from careloop.billing.gateways.stripe.signatures import TOLERANCE_SECONDS, signature_verify
from careloop.core import clock

SIGNATURE_HEADER = "Stripe-Signature"
LOOKUP_PAGE_SIZE = 100


class StripeGateway:
    name = "stripe"

    def __init__(
        self,
        *,
        secret_key: str,
        publishable_key: str,
        webhook_secret: str,
        api_base: str,
        timeout_seconds: float,
    ) -> None:
        self.publishable_key = publishable_key
        self.webhook_secret = webhook_secret
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base},
            http_client=stripe.RequestsClient(timeout=timeout_seconds),
            # The SDK would resend a request that timed out. Careloop settles an unanswered
            # charge with charge_lookup instead, so that at-most-once never depends on the
            # server honouring idempotency keys (localstripe does not).
            max_network_retries=0,
        )

    @classmethod
    def from_settings(cls) -> "StripeGateway":
        return cls(
            secret_key=settings.STRIPE_SECRET_KEY,
            publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
            api_base=settings.STRIPE_API_BASE,
            timeout_seconds=settings.STRIPE_TIMEOUT_SECONDS,
        )

    def customer_create(self, *, account_id: int, name: str, email: str) -> str:
        try:
            customer = self.client.v1.customers.create(
                params={
                    "name": name,
                    "email": email,
                    "metadata": {"careloop_account": str(account_id)},
                }
            )
        except stripe.StripeError as error:
            raise GatewayError(f"Stripe did not create the customer: {_describe(error)}") from error
        return customer.id

    def setup_start(self, *, customer: str) -> SetupSession:
        try:
            setup_intent = self.client.v1.setup_intents.create(
                params={"customer": customer, "usage": "off_session"}
            )
        except stripe.StripeError as error:
            raise GatewayError(f"Stripe did not start saving a card: {_describe(error)}") from error
        return SetupSession(
            customer=customer,
            client_secret=setup_intent.client_secret or "",
            publishable_key=self.publishable_key,
        )

    def payment_method_details(self, *, customer: str, token: str) -> CardDetails:
        try:
            payment_method = self.client.v1.payment_methods.retrieve(token)
        except stripe.InvalidRequestError as error:
            raise GatewayError(f"Stripe does not know the card {token}.") from error
        except stripe.StripeError as error:
            raise GatewayError(f"Stripe did not describe the card: {_describe(error)}") from error
        if payment_method.type != "card" or field(payment_method, "card") is None:
            raise GatewayError(f"The payment method {token} is not a card.")
        owner = _customer_id(payment_method.customer)
        if owner is not None and owner != customer:
            raise GatewayError(f"The card {token} belongs to another customer.")
        if owner is None:
            try:
                payment_method = self.client.v1.payment_methods.attach(
                    token, params={"customer": customer}
                )
            except stripe.CardError as error:
                raise GatewayError(
                    f"The card was declined when it was saved: {_describe(error)}"
                ) from error
            except stripe.StripeError as error:
                raise GatewayError(f"Stripe did not save the card: {_describe(error)}") from error
        card = field(payment_method, "card")
        if card is None:
            raise GatewayError(f"Stripe did not describe the card {token}.")
        return CardDetails(
            token=payment_method.id,
            brand=str(card.brand),
            last4=str(card.last4),
            exp_month=int(card.exp_month),
            exp_year=int(card.exp_year),
        )

    def charge(
        self,
        *,
        customer: str,
        token: str,
        amount: int,
        currency: str,
        idempotency_key: str,
        description: str,
    ) -> ChargeResult:
        try:
            payment_intent = self.client.v1.payment_intents.create(
                params={
                    "amount": amount,
                    "currency": currency.lower(),
                    "customer": customer,
                    "payment_method": token,
                    "confirm": True,
                    "off_session": True,
                    "description": description,
                    "metadata": {IDEMPOTENCY_METADATA_KEY: idempotency_key},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            return charge_result_from_error(error)
        return charge_result_from_payment_intent(payment_intent)

    def charge_lookup(self, *, customer: str, idempotency_key: str) -> ChargeResult | None:
        """Find the customer's PaymentIntent carrying the key in its metadata.

        Listing is exact where Stripe's search is not (search lags writes by up to a minute,
        which would report "never received" for a charge made seconds ago). A failure to ask
        raises GatewayError: None would let billing charge again.
        """
        matches: list[stripe.PaymentIntent] = []
        try:
            listing = self.client.v1.payment_intents.list(
                params={"customer": customer, "limit": LOOKUP_PAGE_SIZE}
            )
            for payment_intent in listing.auto_paging_iter():
                metadata = field(payment_intent, "metadata")
                if metadata is not None and field(metadata, IDEMPOTENCY_METADATA_KEY) == (
                    idempotency_key
                ):
                    matches.append(payment_intent)
        except stripe.StripeError as error:
            raise GatewayError(
                f"Stripe could not be asked about the charge: {_describe(error)}"
            ) from error
        if not matches:
            return None
        # One key makes one PaymentIntent; should there be more, the one that took money
        # is the one billing must know about.
        succeeded = [item for item in matches if item.status == "succeeded"]
        chosen = (succeeded or sorted(matches, key=lambda item: item.created))[-1]
        return charge_result_from_payment_intent(chosen)

    def refund(self, *, charge_reference: str, amount: int, idempotency_key: str) -> RefundResult:
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": charge_reference,
                    "amount": amount,
                    "metadata": {IDEMPOTENCY_METADATA_KEY: idempotency_key},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            return refund_result_from_error(error)
        return refund_result_from_refund(refund)

    def webhook_parse(self, *, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        signature_verify(
            payload=payload,
            header=_header(headers, SIGNATURE_HEADER),
            secret=self.webhook_secret,
            now=clock.now(),
            tolerance_seconds=TOLERANCE_SECONDS,
        )
        try:
            event = self.client.construct_event_without_verification(payload)
            event_object = event.data.object
            return WebhookEvent(
                event_id=str(event.id),
                type=str(event.type),
                created=datetime.fromtimestamp(int(event.created), tz=UTC),
                object_id=str(field(event_object, "id") or ""),
                data=event_object.to_dict(),
            )
        except (ValueError, KeyError, AttributeError, TypeError) as error:
            # json.JSONDecodeError and UnicodeDecodeError are ValueErrors.
            raise WebhookRejected(f"The webhook body is not a Stripe event: {error}") from error


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, in any case (Django's request.headers already ignores case; a plain
    dict does not)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _customer_id(customer: Any) -> str | None:
    if customer is None or isinstance(customer, str):
        return customer
    return str(customer.id)


def _describe(error: stripe.StripeError) -> str:
    message = error.user_message or str(error)
    return f"{message} ({error.code})" if error.code else message
