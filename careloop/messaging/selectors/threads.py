"""One thread as its reader sees it: messages (notes only for staff) and read receipts.

Callers have fetched the thread through `access_thread`, which checked and audited the read.
Bodies are plain text: templates must show them escaped (Django's default), never as markup.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max, QuerySet

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.messaging.models import Message, MessageKind, ReadState, ResponseClock, Thread


def thread_messages(*, thread: Thread, viewer: User) -> QuerySet[Message]:
    """The thread's messages in order; a patient never receives internal notes."""
    messages = Message.objects.filter(thread=thread).select_related("author").order_by("id")
    if viewer.is_patient:
        messages = messages.filter(kind=MessageKind.MESSAGE)
    return messages


def patient_read_up_to(thread: Thread) -> int:
    """The id of the last message the patient has read (0 when none): staff see "read"."""
    if thread.patient.user_id is None:
        return 0
    state = ReadState.objects.filter(thread=thread, reader_id=thread.patient.user_id).first()
    return state.last_read_message_id if state is not None else 0


def staff_read_up_to(thread: Thread) -> int:
    """The id of the furthest message any staff member has read: the patient sees "read"."""
    furthest = (
        ReadState.objects.filter(thread=thread)
        .exclude(reader_id=thread.patient.user_id)
        .exclude(reader__role=Role.PATIENT)
        .aggregate(furthest=Max("last_read_message_id"))["furthest"]
    )
    return furthest or 0


@dataclass(frozen=True)
class Waiting:
    """The patient's oldest message still waiting for a reply, and when it is due."""

    since: datetime
    due_at: datetime
    target_business_hours: int


def thread_waiting(thread: Thread) -> Waiting | None:
    clock = (
        ResponseClock.objects.filter(
            thread=thread, answered_at__isnull=True, stopped_at__isnull=True
        )
        .order_by("started_at", "id")
        .first()
    )
    if clock is None:
        return None
    return Waiting(
        since=clock.started_at,
        due_at=clock.due_at,
        target_business_hours=clock.target_business_hours,
    )
