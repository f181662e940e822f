"""Four processes escalating at once send each breach notice once (PostgreSQL).

Twenty Concierge members write on Monday at 09:00 (Chicago); nobody answers. Four
`careloop messaging escalate` processes start together at 13:00, when every message is past
due: the team lead must hear of each breach once, whoever wins.
"""

import re
import subprocess
from datetime import UTC, datetime

import pytest

from careloop.accounts.roles import Role
from careloop.messaging.models import ResponseClock
from careloop.messaging.tests.messaging_builders import concierge, member, start
from careloop.notifications.models import OutboxMessage
from careloop.testing.factories import make_patient, make_user
from careloop.testing.processes import careloop_command, careloop_environment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 4
MEMBERS = 20
AT_BREACH = datetime(2026, 3, 2, 19, tzinfo=UTC)


def test_four_workers_escalating_at_once_send_each_breach_once(admin, clinical):
    lead = make_user(role=Role.PROVIDER, username="lead_lee")
    clinical.lead = lead
    clinical.save()
    plan = concierge()
    for number in range(MEMBERS):
        user = make_user(role=Role.PATIENT, username=f"member{number}")
        patient = make_patient(family=f"Member{number:02d}", user=user)
        member(admin, plan, patient)
        start(patient)

    environment = careloop_environment(CARELOOP_CLOCK_AT=AT_BREACH.isoformat())
    workers = [
        subprocess.Popen(
            careloop_command("messaging", "escalate"),
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    breached = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr
        found = re.fullmatch(r"Response times as of .*: 0 warned, (\d+) breached\.\n", stdout)
        assert found is not None, stdout
        breached.append(int(found.group(1)))

    assert sum(breached) == MEMBERS
    assert ResponseClock.objects.filter(breached_at__isnull=False).count() == MEMBERS
    assert (
        OutboxMessage.objects.filter(kind="messaging.response_breach", recipient=lead.email).count()
        == MEMBERS
    )
