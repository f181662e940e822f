"""What messaging adds to a patient's chart: their threads the viewer may read, newest first.

Registered in careloop/web/staff/patients/chart.py (message.view). The chart's own read is
audited by the chart view; this section lists threads, not their bodies.
"""

from typing import Any

from django.http import HttpRequest

from careloop.messaging.selectors.inbox import threads_of_patient
from careloop.patients.models import Patient
from careloop.web.staff.patients.views.common import acting_user

SHOWN_THREADS = 10


def messages_section(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    threads = threads_of_patient(user=acting_user(request), patient=patient)
    return {"threads": list(threads[:SHOWN_THREADS]), "more": threads.count() > SHOWN_THREADS}
