"""What messaging adds to a patient's chart: their threads the viewer may read, newest first,
and the timeline of every message, internal note, assignment and status change in them.

Registered in careloop/web/staff/patients/chart.py (message.view). The chart's own read is
audited by the chart view; the timeline shows a short excerpt of each message, the thread
page the whole of it.
"""

from typing import Any

from django.http import HttpRequest

from careloop.messaging.selectors.inbox import threads_of_patient
from careloop.messaging.selectors.timeline import message_timeline
from careloop.patients.models import Patient
from careloop.web.staff.patients.views.common import acting_user

SHOWN_THREADS = 10


def messages_section(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    threads = threads_of_patient(user=acting_user(request), patient=patient)
    return {
        "threads": list(threads[:SHOWN_THREADS]),
        "more": threads.count() > SHOWN_THREADS,
        "timeline": message_timeline(readable=threads),
    }
