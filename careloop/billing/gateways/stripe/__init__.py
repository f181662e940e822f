"""The Stripe payment gateway, on the official `stripe` SDK (see docs/architecture.md)."""

from careloop.billing.gateways.stripe.gateway import StripeGateway

__all__ = ["StripeGateway"]
