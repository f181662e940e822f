"""The staff inboxes: assigned to me, my team's, unassigned and overdue, 25 threads a page,
each with its patient, topic, assignee, due time and whether it holds something unread."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.accounts.policy import Capability
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.messaging.models import ResponseClock
from careloop.messaging.selectors.inbox import Inbox, inbox_threads
from careloop.web.decorators import staff_view
from careloop.web.staff.patients.views.common import acting_user

PAGE_SIZE = 25

INBOXES = {
    Inbox.MINE: ("Assigned to me", "Nothing is assigned to you."),
    Inbox.TEAM: ("My team's", "Your teams have no open threads."),
    Inbox.UNASSIGNED: ("Unassigned", "Every open thread has someone answering it."),
    Inbox.OVERDUE: ("Overdue", "No thread is past its response target."),
}


@staff_view(Capability.MESSAGE_VIEW)
def message_inbox(request: HttpRequest, inbox: str = Inbox.MINE) -> HttpResponse:
    user = acting_user(request)
    which = Inbox(inbox)
    tab, empty = INBOXES[which]
    try:
        offset = max(0, int(request.GET.get("offset", "0")))
    except ValueError:
        offset = 0
    threads = inbox_threads(user=user, inbox=which)
    count = threads.count()
    rows = list(threads[offset : offset + PAGE_SIZE])
    # The target of each thread's oldest waiting message, shown beside its due time.
    targets: dict[int, int] = {}
    for thread_id, hours in (
        ResponseClock.objects.filter(
            thread_id__in=[row.pk for row in rows],
            answered_at__isnull=True,
            stopped_at__isnull=True,
        )
        .order_by("-started_at", "-id")
        .values_list("thread_id", "target_business_hours")
    ):
        targets[thread_id] = hours
    for row in rows:
        row.target_hours = targets.get(row.pk)  # type: ignore[attr-defined]
    audit_record(
        action="message.inbox_view",
        actor=user,
        object_type="message_thread",
        detail={"inbox": str(which), "patient_ids": sorted({row.patient_id for row in rows})},
    )
    return render(
        request,
        "staff/messaging/inbox.html",
        {
            "tab": tab,
            "empty": empty,
            "threads": rows,
            "count": count,
            "offset": offset,
            "now": clock.now(),
            "previous": max(0, offset - PAGE_SIZE) if offset else None,
            "next": offset + PAGE_SIZE if offset + PAGE_SIZE < count else None,
        },
    )
