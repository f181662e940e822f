"""Payment gateways. `gateway_for(name)` returns the implementation a payer's account uses;
`default_gateway_name()` the one new accounts get (CARELOOP_PAYMENT_GATEWAY)."""

from django.conf import settings

from careloop.billing.gateways.base import Gateway


def default_gateway_name() -> str:
    name: str = settings.PAYMENT_GATEWAY
    return name


def gateway_for(name: str) -> Gateway:
    if name == "sandbox":
        from careloop.billing.gateways.sandbox import SandboxGateway

        return SandboxGateway()
    if name == "stripe":
        from careloop.billing.gateways.stripe import StripeGateway

        gateway: Gateway = StripeGateway.from_settings()
        return gateway
    raise ValueError(f"Unknown payment gateway {name!r}")
