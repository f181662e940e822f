"""Two threads routed to a round-robin pool at the same moment go to two different people:
the turn is read and moved under the team row's lock."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from careloop.accounts.roles import Role
from careloop.messaging.models import Assignment, RoutingTarget, Thread, Topic
from careloop.messaging.tests.messaging_builders import concierge, member, rule, start, team
from careloop.testing.factories import make_patient, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_threads_started_at_once_are_assigned_to_two_people(admin, billing):
    second = make_user(role=Role.BILLING, username="billing_ben")
    desk = team(admin, "Billing", Role.BILLING, Assignment.ROUND_ROBIN)
    rule(admin, Topic.BILLING, RoutingTarget.TEAM, desk)
    plan = concierge()
    patients = []
    for name in ("Ann", "Bob"):
        user = make_user(role=Role.PATIENT, username=name.lower())
        patient = make_patient(given=name, user=user)
        member(admin, plan, patient)
        patients.append(patient)
    barrier = threading.Barrier(2)

    def write(patient):
        try:
            barrier.wait(timeout=10)
            return start(patient, "Why was I charged twice?", topic=Topic.BILLING).pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        ids = list(pool.map(write, patients))

    assignees = {thread.assignee_id for thread in Thread.objects.filter(pk__in=ids)}
    assert assignees == {billing.pk, second.pk}
