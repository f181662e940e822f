"""Four processes escalating care gaps at once notify each gap's people once (PostgreSQL).

Thirty members enroll on January 1 2026 in a plan with a monthly check-in; nobody does the
January 1 check-in, whose window ends January 15. Four `careloop care escalate --as-of
2026-01-19` processes start together: each gap must be flagged once (one notice to the one
provider) and escalated once (one notice to the one care coordinator), whoever wins.
"""

import re
import subprocess
from datetime import UTC, date, datetime

import pytest

from careloop.care.models import CareGapStep
from careloop.care.tests.care_builders import check_in, enrolled, essentials, protocol
from careloop.notifications.models import OutboxMessage
from careloop.testing.factories import make_patient
from careloop.testing.processes import careloop_command, careloop_environment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 4
MEMBERS = 30
AT = datetime(2026, 1, 19, 15, tzinfo=UTC)


def test_four_workers_escalating_at_once_take_each_step_once(admin, provider, coach):
    plan = essentials()
    protocol(admin, plan, check_in())
    for number in range(MEMBERS):
        enrolled(admin, plan, date(2026, 1, 1), make_patient(family=f"Gap{number:03d}"))

    environment = careloop_environment(CARELOOP_CLOCK_AT=AT.isoformat())
    workers = [
        subprocess.Popen(
            careloop_command("care", "escalate", "--as-of", "2026-01-19"),
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    taken = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr
        found = re.fullmatch(r"Care gaps as of 2026-01-19: (\d+) steps? taken\.\n", stdout)
        assert found is not None, stdout
        taken.append(int(found.group(1)))

    assert sum(taken) == MEMBERS * 2
    assert CareGapStep.objects.count() == MEMBERS * 2
    assert (
        OutboxMessage.objects.filter(kind="care.gap_flag", recipient=provider.email).count()
        == MEMBERS
    )
    assert (
        OutboxMessage.objects.filter(kind="care.gap_escalate", recipient=coach.email).count()
        == MEMBERS
    )
    assert OutboxMessage.objects.filter(kind__startswith="care.gap").count() == MEMBERS * 2
