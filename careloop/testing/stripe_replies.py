"""A scripted stand-in for the Stripe API on 127.0.0.1, for answers localstripe never gives.

localstripe declines every card with the one code card_declined and never fails on its own
side, so the decline codes banks give (insufficient_funds, expired_card), Stripe's server
errors and a request that gets no answer are played from here instead: every request gets
the same scripted reply, through the real SDK and HTTP, or no reply at all. The bodies follow
the error object in Stripe's API reference (type, code, decline_code, message, and the
PaymentIntent the failed confirmation left behind).
"""

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]


@dataclass
class ScriptedStripe:
    api_base: str
    requests: list[ReceivedRequest] = field(default_factory=list)


def card_declined_reply(
    *, code: str, decline_code: str, message: str, payment_intent_id: str
) -> Reply:
    """Stripe's 402 answer to a PaymentIntent confirmation the bank declined."""
    return Reply(
        status=402,
        body={
            "error": {
                "type": "card_error",
                "code": code,
                "decline_code": decline_code,
                "message": message,
                "charge": "ch_scripted_declined",
                "doc_url": f"https://docs.stripe.com/error-codes/{code.replace('_', '-')}",
                "payment_intent": {
                    "id": payment_intent_id,
                    "object": "payment_intent",
                    "status": "requires_payment_method",
                    "last_payment_error": {
                        "type": "card_error",
                        "code": code,
                        "decline_code": decline_code,
                        "message": message,
                    },
                },
            }
        },
    )


def payment_intent_reply(*, payment_intent_id: str, status: str) -> Reply:
    return Reply(
        status=200,
        body={
            "id": payment_intent_id,
            "object": "payment_intent",
            "amount": 14900,
            "currency": "usd",
            "status": status,
            "last_payment_error": None,
            "metadata": {},
        },
    )


def api_error_reply(status: int = 500) -> Reply:
    return Reply(
        status=status,
        body={"error": {"type": "api_error", "message": "An unknown error occurred."}},
    )


def invalid_request_reply(*, code: str, message: str, param: str) -> Reply:
    return Reply(
        status=400,
        body={
            "error": {
                "type": "invalid_request_error",
                "code": code,
                "message": message,
                "param": param,
            }
        },
    )


def closed_port_address() -> str:
    """An address on 127.0.0.1 where nothing listens (a port just bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def scripted_stripe(reply: Reply | None) -> Iterator[ScriptedStripe]:
    """Serve `reply` to every request; with None, hold each request unanswered until the
    block ends (the client's timeout fires first)."""
    released = threading.Event()
    received: list[ReceivedRequest] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            received.append(
                ReceivedRequest(
                    method=self.command,
                    path=self.path,
                    headers=dict(self.headers.items()),
                    form=parse_qs(body),
                )
            )
            if reply is None:
                released.wait(timeout=30)
                return
            answer = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.send_header("Request-Id", "req_scripted")
            self.end_headers()
            self.wfile.write(answer)

        do_GET = _answer
        do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ScriptedStripe(
            api_base=f"http://127.0.0.1:{server.server_address[1]}", requests=received
        )
    finally:
        released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
