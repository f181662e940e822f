"""What staff and patients list: inboxes, a patient's threads, unread counts.

Unread is derived, never stored: a thread is unread for a reader when it holds a message
after their read mark that they did not write (for a patient, only messages, never notes).
Each inbox is one queryset over a partial index of open threads, whose count and pages
share the filter.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.core import clock
from careloop.core.errors import PermissionDenied
from careloop.messaging.models import (
    Message,
    MessageKind,
    MessagingTeam,
    ReadState,
    ReplyTemplate,
    Thread,
    ThreadStatus,
    Topic,
)
from careloop.patients.models import Patient


class _Unread(TypedDict):
    unread: bool


# A thread with `unread` annotated: whether it holds something the reader has not read.
if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    ThreadRow = WithAnnotations[Thread, _Unread]
else:
    ThreadRow = Thread


class Inbox(StrEnum):
    MINE = "mine"
    TEAM = "team"
    UNASSIGNED = "unassigned"
    OVERDUE = "overdue"


def _unread(reader: User, *, patient_view: bool) -> Exists:
    mark = ReadState.objects.filter(thread=OuterRef(OuterRef("pk")), reader=reader).values(
        "last_read_message_id"
    )[:1]
    newer = Message.objects.filter(
        thread=OuterRef("pk"), id__gt=Coalesce(Subquery(mark), Value(0))
    ).exclude(author=reader)
    if patient_view:
        newer = newer.filter(kind=MessageKind.MESSAGE)
    return Exists(newer)


def _team_ids(user: User) -> list[int]:
    return list(MessagingTeam.objects.filter(role=user.role).values_list("id", flat=True))


def inbox_threads(*, user: User, inbox: Inbox) -> QuerySet[ThreadRow]:
    """Open threads in one of a staff member's inboxes, each with `unread`.

    Mine: assigned to them. Team: routed to a team of their role. Unassigned: their teams'
    threads nobody holds. Overdue: their teams' and their own threads past due, soonest due
    first. The others are newest activity first.
    """
    if not has_capability(user, Capability.MESSAGE_VIEW):
        raise PermissionDenied(f"Your role does not allow {Capability.MESSAGE_VIEW.value}.")
    threads = Thread.objects.filter(status=ThreadStatus.OPEN)
    order = ["-last_message_at", "-id"]
    if inbox == Inbox.MINE:
        threads = threads.filter(assignee=user)
    elif inbox == Inbox.TEAM:
        threads = threads.filter(team_id__in=_team_ids(user))
    elif inbox == Inbox.UNASSIGNED:
        threads = threads.filter(team_id__in=_team_ids(user), assignee__isnull=True)
    else:
        threads = threads.filter(
            Q(team_id__in=_team_ids(user)) | Q(assignee=user),
            due_at__isnull=False,
            due_at__lte=clock.now(),
        )
        order = ["due_at", "id"]
    return (
        threads.select_related("patient", "assignee", "team")
        .annotate(unread=_unread(user, patient_view=False))
        .order_by(*order)
    )


@dataclass(frozen=True)
class ThreadPage:
    threads: list[ThreadRow]
    count: int


def thread_page(threads: QuerySet[ThreadRow], *, offset: int, limit: int) -> ThreadPage:
    """One page of an inbox (or any list of threads above) and the list's full count.

    The page's ids are read first from the list's own filter and order, without the unread
    check and the joins that only display needs; then those 25 rows are loaded with them.
    With the joins in the paging query SQLite's planner started from the one-row team table,
    sorted every open thread of the team and ran the unread check on each (480 ms for 33,000
    open threads; docs/benchmarks.md, Messaging), as it did for the care queues.
    """
    ids = list(threads.values_list("id", flat=True)[offset : offset + limit])
    loaded = {thread.pk: thread for thread in threads.filter(pk__in=ids).order_by()}
    return ThreadPage(
        threads=[loaded[thread_id] for thread_id in ids if thread_id in loaded],
        count=threads.values("pk").order_by().count(),
    )


def inbox_unread_count(*, user: User, inbox: Inbox) -> int:
    """Threads in the inbox with something the user has not read."""
    threads = inbox_threads(user=user, inbox=inbox)
    return threads.filter(_unread(user, patient_view=False)).count()


def staff_unread_count(*, user: User) -> int:
    """Open threads in any of the user's inboxes (their teams' or assigned to them) with
    something they have not read: the number beside "Messages" in the navigation."""
    if not has_capability(user, Capability.MESSAGE_VIEW):
        return 0
    threads = Thread.objects.filter(
        Q(team_id__in=_team_ids(user)) | Q(assignee=user), status=ThreadStatus.OPEN
    )
    return threads.filter(_unread(user, patient_view=False)).count()


def patient_threads(*, patient: Patient) -> QuerySet[ThreadRow]:
    """A patient's own threads, newest activity first, with `unread` as they see it.

    Only for the patient's own portal (the caller has established it is theirs).
    """
    threads = Thread.objects.filter(patient=patient).select_related("team")
    if patient.user is None:
        unread: Exists | Value = Value(False)
    else:
        unread = _unread(patient.user, patient_view=True)
    return threads.annotate(unread=unread).order_by("-last_message_at", "-id")


def household_shared_threads(*, head: Patient) -> QuerySet[ThreadRow]:
    """The threads the members of the household `head` leads have shared with them, newest
    first. Never `unread`: read marks belong to each member and the care team."""
    return (
        Thread.objects.filter(shared_with_household=True, patient__household__head=head)
        .exclude(patient=head)
        .select_related("patient", "team")
        .annotate(unread=Value(False))
        .order_by("-last_message_at", "-id")
    )


def reply_templates(*, topic: Topic | str = "") -> list[ReplyTemplate]:
    """Active templates for a topic: the topic's own first, then those for any topic."""
    templates = ReplyTemplate.objects.filter(active=True)
    if topic:
        templates = templates.filter(Q(topic=topic) | Q(topic=""))
    return sorted(templates, key=lambda template: (template.topic == "", template.name))


def threads_of_patient(*, user: User, patient: Patient) -> QuerySet[ThreadRow]:
    """A patient's threads that a staff member may read (for the chart), newest first."""
    if not has_capability(user, Capability.MESSAGE_VIEW):
        raise PermissionDenied(f"Your role does not allow {Capability.MESSAGE_VIEW.value}.")
    threads = Thread.objects.filter(patient=patient)
    if not has_capability(user, Capability.MESSAGE_VIEW_ALL):
        threads = threads.filter(Q(team_id__in=_team_ids(user)) | Q(assignee=user))
    return (
        threads.select_related("team", "assignee")
        .annotate(unread=_unread(user, patient_view=False))
        .order_by("-last_message_at", "-id")
    )
