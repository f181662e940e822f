"""Helpers for the staff invitation tests."""

import re

from careloop.notifications.models import OutboxMessage

LINK = re.compile(r"https?://[^/\s]+(/accounts/password-reset/[^\s]+/)")


def link_path(text: str) -> str:
    match = LINK.search(text)
    assert match, text
    return match.group(1)


def invitation() -> OutboxMessage:
    return OutboxMessage.objects.get(kind="staff_invitation")


def example_link(uidb64: str, token: str) -> str:
    return f"https://clinic.example/accounts/password-reset/{uidb64}/{token}/"
