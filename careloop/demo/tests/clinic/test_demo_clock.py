"""The seeded clinic is looked at as of the instant it was seeded.

A run of the suite began seeding before the clinic's midnight (America/Chicago, 05:56 UTC)
and checked after it: the checks looked for the next day's bills and benefit grants in a
clinic seeded the day before, and three of them failed. The clock now stays at the instant
seeding began, for the seeding and for the checks.
"""

import time

import pytest

from careloop.audit.models import AuditEvent
from careloop.core import clock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_clinic")]


def test_the_checks_see_the_instant_the_clinic_was_seeded_at() -> None:
    newest = AuditEvent.objects.order_by("-sequence").first()
    assert newest is not None
    time.sleep(0.05)

    assert clock.now() == newest.occurred_at
