"""Four processes generating care work at once create each occurrence once (PostgreSQL).

Forty members enroll on January 1 2026 in a plan whose protocol has a monthly check-in and
coaching every two weeks; enrollment creates the first work. Four `careloop care generate
--as-of 2026-03-01` processes then start together: each must find its way past the others'
locks and the unique (activity, index) constraint. SQLite has no row locks (its writers queue
for the whole database), so this runs on PostgreSQL only.
"""

import re
import subprocess
from datetime import UTC, date, datetime

import pytest
from django.db.models import Count

from careloop.care.models import CareTask
from careloop.care.tests.care_builders import check_in, coaching, enrolled, essentials, protocol
from careloop.testing.factories import make_patient
from careloop.testing.processes import careloop_command, careloop_environment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 4
MEMBERS = 40
AT = datetime(2026, 3, 1, 15, tzinfo=UTC)
# Per member, as of March 1 with a 14-day horizon: check-ins on February 1 and March 1, and
# coaching on January 29, February 12, February 26 and March 12.
NEW_PER_MEMBER = 6


def test_four_workers_generating_at_once_create_each_occurrence_once(admin):
    plan = essentials()
    protocol(admin, plan, check_in(), coaching())
    for number in range(MEMBERS):
        enrolled(admin, plan, date(2026, 1, 1), make_patient(family=f"Care{number:03d}"))
    before = CareTask.objects.count()

    environment = careloop_environment(CARELOOP_CLOCK_AT=AT.isoformat())
    workers = [
        subprocess.Popen(
            careloop_command("care", "generate", "--as-of", "2026-03-01"),
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    created = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr
        found = re.fullmatch(r"Care work as of 2026-03-01: (\d+) tasks? created\.\n", stdout)
        assert found is not None, stdout
        created.append(int(found.group(1)))

    assert sum(created) == MEMBERS * NEW_PER_MEMBER
    assert CareTask.objects.count() == before + MEMBERS * NEW_PER_MEMBER
    doubled = (
        CareTask.objects.values("care_activity", "index")
        .annotate(copies=Count("id"))
        .filter(copies__gt=1)
    )
    assert not doubled.exists()
