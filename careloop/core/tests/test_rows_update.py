"""rows_update saves the fields it is given as bulk_update would, and nothing else."""

from datetime import UTC, datetime, timedelta

import pytest

from careloop.core.bulk import rows_update
from careloop.notifications.models import Channel, OutboxMessage, Status

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 1, 11, 30, tzinfo=UTC)
FIELDS = ["status", "attempts", "next_attempt_at", "claimed_until", "patient_id", "last_error"]


def _messages(kind: str) -> list[OutboxMessage]:
    return OutboxMessage.objects.bulk_create(
        OutboxMessage(
            channel=Channel.EMAIL,
            recipient=f"member{number}@example.org",
            body="Your receipt",
            kind=kind,
            patient_id=number,
            created_at=AT,
            next_attempt_at=AT,
        )
        for number in range(5)
    )


def _change(messages: list[OutboxMessage]) -> None:
    for number, message in enumerate(messages):
        message.status = Status.FAILED  # one value for every row
        message.attempts = number
        message.next_attempt_at = AT + timedelta(minutes=number)
        message.claimed_until = None if number % 2 else AT + timedelta(hours=number)
        message.patient_id = None if number % 2 else number * 10
        message.last_error = f"refused {number}: ünïcode"
        message.body = "not saved"


def _stored(kind: str) -> list[tuple[object, ...]]:
    return list(
        OutboxMessage.objects.filter(kind=kind).order_by("recipient").values_list(*FIELDS, "body")
    )


def test_the_rows_saved_read_back_as_bulk_update_saves_them() -> None:
    mine, django = _messages("mine"), _messages("django")
    _change(mine)
    _change(django)

    rows_update(mine, FIELDS)
    OutboxMessage.objects.bulk_update(django, FIELDS)

    assert _stored("mine") == _stored("django")
    third = OutboxMessage.objects.get(kind="mine", recipient="member2@example.org")
    assert (third.status, third.attempts, third.next_attempt_at, third.claimed_until) == (
        "failed",
        2,
        AT + timedelta(minutes=2),
        AT + timedelta(hours=2),
    )
    assert (third.patient_id, third.last_error, third.body) == (
        20,
        "refused 2: ünïcode",
        "Your receipt",
    )


def test_rows_not_given_are_left_as_they_were() -> None:
    messages = _messages("mine")
    _change(messages)

    rows_update(messages[:2], ["last_error"])

    stored = OutboxMessage.objects.order_by("recipient").values_list("last_error", flat=True)
    assert list(stored) == ["refused 0: ünïcode", "refused 1: ünïcode", "", "", ""]
