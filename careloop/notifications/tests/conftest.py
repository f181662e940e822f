"""A real SMTP server (aiosmtpd) on 127.0.0.1 for delivery tests."""

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from careloop.testing.processes import careloop_environment


@dataclass
class CollectingHandler:
    """Keeps every accepted message; refuses the next `refusals` with 451 (try again later).

    `delay` slows each acceptance, so that concurrent workers overlap while sending.
    """

    messages: list[Message] = field(default_factory=list)
    refusals: int = 0
    delay: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refusals > 0:
            self.refusals -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 2.0.0 Accepted"

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.messages]


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: CollectingHandler


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = CollectingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(host="127.0.0.1", port=port, handler=handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(settings: Any, smtp_server: SmtpServer) -> SmtpServer:
    """Point this process's email at the test SMTP server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp_server


def smtp_worker_environment(server: SmtpServer, **variables: str) -> dict[str, str]:
    """The environment of a worker subprocess that sends through `server`."""
    return careloop_environment(
        CARELOOP_EMAIL="smtp",
        EMAIL_HOST=server.host,
        EMAIL_PORT=str(server.port),
        EMAIL_USE_TLS="false",
        **variables,
    )
