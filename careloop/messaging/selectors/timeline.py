"""A patient's messaging activity as one timeline for the chart: every message, internal
note (with its attachments counted), assignment and status change of the threads the viewer
may read, newest first.

It reads the messaging tables themselves, which are append-only (messages) or history
(thread changes), so the timeline cannot disagree with the threads.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet

from careloop.messaging.models import Message, Thread, ThreadChange

EXCERPT = 120


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    thread: Thread
    kind: str  # "message", "note" or the thread change's action ("assign", "close", ...)
    who: str
    what: str
    attachments: int = 0


def _excerpt(body: str) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1].rstrip() + "…"


def _change_text(change: ThreadChange) -> str:
    to = change.to_assignee.display_name if change.to_assignee is not None else ""
    texts = {
        "open": f"Opened{f', assigned to {to}' if to else ''}",
        "claim": "Claimed",
        "assign": f"Assigned to {to}",
        "reassign": f"Reassigned to {to}" if to else "Returned to the team",
        "close": "Closed",
        "reopen": "Reopened",
        "share": "Shared with the household's head",
        "unshare": "No longer shared with the household's head",
    }
    text = texts.get(change.action, change.action.capitalize())
    return f"{text}: {change.reason}" if change.reason and change.action != "share" else text


def message_timeline(*, readable: QuerySet[Any], limit: int = 30) -> list[TimelineEntry]:
    """The newest `limit` entries of the threads the viewer may read: `readable` is
    `threads_of_patient`, which applies the viewer's role rule; the chart passes the same
    query it lists the threads with."""
    threads = readable.values("id")
    messages = (
        Message.objects.filter(thread__in=threads)
        .select_related("thread", "author")
        .annotate(files=Count("attachments"))
        .order_by("-sent_at", "-id")[:limit]
    )
    changes = (
        ThreadChange.objects.filter(thread__in=threads)
        .select_related("thread", "actor", "to_assignee")
        .order_by("-recorded_at", "-id")[:limit]
    )
    entries = [
        TimelineEntry(
            at=message.sent_at,
            thread=message.thread,
            kind=message.kind,
            who=message.author.display_name,
            what=_excerpt(message.body),
            attachments=message.files,
        )
        for message in messages
    ]
    entries += [
        TimelineEntry(
            at=change.recorded_at,
            thread=change.thread,
            kind=change.action,
            who=change.actor.display_name if change.actor is not None else "Careloop",
            what=_change_text(change),
        )
        for change in changes
    ]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
