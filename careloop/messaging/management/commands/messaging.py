"""`careloop messaging`: secure messaging from the command line.

careloop messaging escalate   send the response-time warnings and breach notices due, once
"""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from careloop.core import clock
from careloop.messaging.services.escalation import messaging_escalate


class Command(BaseCommand):
    help = (
        "Secure messaging: `escalate` warns each waiting message's assignee at "
        "CARELOOP_MESSAGING_WARN_AT_PERCENT of its response-time target and the team lead at "
        "breach, each once. Safe to run again, and in several processes at once."
    )

    # Several processes may start at once; the system checks belong to `careloop check`.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        actions.add_parser("escalate", help="send the warnings and breach notices due")

    def handle(self, *arguments: Any, **options: Any) -> None:
        now = clock.now()
        result = messaging_escalate(now=now)
        self.stdout.write(
            f"Response times as of {now.isoformat(timespec='minutes')}: "
            f"{result.warned} warned, {result.breached} breached.\n"
        )
