"""localstripe, a fake Stripe server, in a subprocess on 127.0.0.1 for the gateway tests.

`run_localstripe()` starts one server (the billing tests hold one per test session, so one
per xdist worker) and stops it afterwards. Run as a module, this file is the server itself:
localstripe's own application, bound to 127.0.0.1 only, with state kept in memory (its
command line listens on every interface and pickles its state to one shared file in /tmp,
which two workers would write at once), and with two gaps in what it models of Stripe's
documented API filled in (see `_fill_gaps`).

localstripe ignores idempotency keys and knows these cards: pm_card_visa (succeeds),
pm_card_chargeCustomerFail (4000000000000341: attaches, every charge is declined with
card_declined), pm_card_visa_chargeDeclined (4000000000000002) and the decline cards
4000000000009995, 4000000000000069 and a few others, which it declines when they are
attached to a customer, always with the code card_declined and no decline_code.
"""

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from careloop.core.processes import stop_process
from careloop.testing.stripe_webhooks import TEST_WEBHOOK_SECRET

if TYPE_CHECKING:
    from careloop.billing.gateways.stripe import StripeGateway

SECRET_KEY = "sk_test_careloop_localstripe"  # noqa: S105 (localstripe takes any sk_ key)
PUBLISHABLE_KEY = "pk_test_careloop_localstripe"
START_SECONDS = 30


@dataclass(frozen=True)
class LocalStripe:
    api_base: str
    secret_key: str = SECRET_KEY
    publishable_key: str = PUBLISHABLE_KEY


def stripe_gateway_at(api_base: str, *, timeout_seconds: float = 10) -> "StripeGateway":
    """A Stripe gateway with localstripe's test keys and TEST_WEBHOOK_SECRET at `api_base`."""
    from careloop.billing.gateways.stripe import StripeGateway

    return StripeGateway(
        secret_key=SECRET_KEY,
        publishable_key=PUBLISHABLE_KEY,
        webhook_secret=TEST_WEBHOOK_SECRET,
        api_base=api_base,
        timeout_seconds=timeout_seconds,
    )


@contextmanager
def run_localstripe() -> Iterator[LocalStripe]:
    """Start localstripe on a free port of 127.0.0.1, wait until it answers, stop it after."""
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "careloop.testing.localstripe"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert server.stdout is not None
            # The server binds port 0 itself and prints the port, so no other process can
            # take the port between choosing it and listening on it.
            first_line = server.stdout.readline()
            if not first_line.strip().isdigit():
                raise RuntimeError(f"localstripe did not start: {_output(server, log)}")
            local_stripe = LocalStripe(api_base=f"http://127.0.0.1:{int(first_line)}")
            _wait_until_it_answers(local_stripe, server, log)
            yield local_stripe
        finally:
            stop_process(server, grace=10)
            if server.stdout is not None:
                server.stdout.close()


def _wait_until_it_answers(
    local_stripe: LocalStripe, server: "subprocess.Popen[str]", log: Any
) -> None:
    deadline = time.monotonic() + START_SECONDS
    request = urllib.request.Request(  # noqa: S310 (a fixed http URL on 127.0.0.1)
        f"{local_stripe.api_base}/v1/customers",
        headers={"Authorization": f"Bearer {local_stripe.secret_key}"},
    )
    while True:
        try:
            with urllib.request.urlopen(request, timeout=1):  # noqa: S310
                return
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"localstripe stopped: {_output(server, log)}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"localstripe never answered: {_output(server, log)}") from None
            time.sleep(0.1)


def _output(server: "subprocess.Popen[str]", log: Any) -> str:
    if server.poll() is None:
        server.kill()
        server.wait()
    log.seek(0)
    return str(log.read().decode("utf-8", "replace"))


def browser_save_card(
    local_stripe: LocalStripe,
    *,
    client_secret: str,
    number: str,
    exp_month: int = 12,
    exp_year: int = 2034,
) -> str:
    """Do what Stripe.js does in the patient's browser: confirm the SetupIntent with the card,
    authenticated by the publishable key only. Returns the new PaymentMethod's id."""
    setup_intent_id = client_secret.split("_secret_")[0]
    body = urllib.parse.urlencode(
        {
            "key": local_stripe.publishable_key,
            "client_secret": client_secret,
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": number,
            "payment_method_data[card][exp_month]": str(exp_month),
            "payment_method_data[card][exp_year]": str(exp_year),
            "payment_method_data[card][cvc]": "123",
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (http on 127.0.0.1)
        f"{local_stripe.api_base}/v1/setup_intents/{setup_intent_id}/confirm", data=body
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        setup_intent = json.loads(response.read())
    return str(setup_intent["payment_method"])


def _fill_gaps(resources: Any) -> None:
    """Teach localstripe two things Stripe's API reference documents and Careloop uses.

    Listing PaymentIntents filtered by `customer` (localstripe refuses any filter), and a
    PaymentIntent's `description` (localstripe refuses the parameter). Both only narrow or
    label; neither changes how a charge succeeds or fails.
    """
    payment_intent = resources.PaymentIntent
    list_all = payment_intent._api_list_all
    create = payment_intent.__init__

    def list_by_customer(cls: Any, /, url: str, customer: str | None = None, **filters: Any) -> Any:
        listing = list_all.__func__(cls, url, **filters)
        if customer is not None:
            resources.Customer._api_retrieve(customer)
            listing._list = [item for item in listing._list if item.customer == customer]
        return listing

    def create_with_description(self: Any, description: str | None = None, **data: Any) -> None:
        create(self, **data)
        self.description = description

    payment_intent._api_list_all = classmethod(list_by_customer)
    payment_intent.__init__ = create_with_description
    resources.Store.dump_to_disk = lambda self: None


def _serve() -> None:
    from aiohttp import web
    from localstripe import resources, server

    _fill_gaps(resources)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    # run_localstripe reads the port from the first line.
    print(listener.getsockname()[1], flush=True)
    web.run_app(server.app, sock=listener, print=None, access_log=None)


if __name__ == "__main__":
    _serve()
