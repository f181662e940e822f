"""Routing rules send new threads to a team's pool or to the patient's care team; pools assign
in turn or leave threads for claiming; an out-of-office person's threads go to their cover."""

from datetime import UTC, datetime, timedelta

import pytest

from careloop.accounts.roles import Role
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.messaging.errors import NoRoute
from careloop.messaging.models import Assignment, RoutingTarget, Topic
from careloop.messaging.services.routing import out_of_office_add, routing_rule_save
from careloop.messaging.tests.messaging_builders import (
    concierge,
    member,
    primary_provider,
    rule,
    snapshot,
    start,
    team,
)
from careloop.testing.factories import make_patient, make_user


@pytest.fixture
def billing_desk(admin, billing):
    second = make_user(role=Role.BILLING, username="billing_ben")
    desk = team(admin, "Billing", Role.BILLING, Assignment.ROUND_ROBIN)
    rule(admin, Topic.BILLING, RoutingTarget.TEAM, desk)
    return desk, [billing, second]


def members(admin, count):
    plan = concierge()
    patients = []
    for number in range(count):
        user = make_user(role=Role.PATIENT, username=f"member{number}")
        patient = make_patient(family=f"Member{number:02d}", user=user)
        member(admin, plan, patient)
        patients.append(patient)
    return patients


def test_billing_threads_go_to_the_billing_team_in_turn(admin, billing_desk):
    desk, (first, second) = billing_desk
    patients = members(admin, 4)
    threads = [
        start(patient, "Why was I charged twice?", topic=Topic.BILLING) for patient in patients
    ]
    assert [thread.team for thread in threads] == [desk] * 4
    assert [thread.assignee for thread in threads] == [first, second, first, second]


def test_a_pool_left_for_claiming_assigns_nobody(admin, front_desk):
    desk = team(admin, "Front desk", Role.FRONT_DESK, Assignment.CLAIM)
    rule(admin, Topic.SCHEDULING, RoutingTarget.TEAM, desk)
    (patient,) = members(admin, 1)
    thread = start(patient, "Can I move Friday's visit?", topic=Topic.SCHEDULING)
    assert thread.team == desk
    assert thread.assignee is None


def test_round_robin_skips_a_member_who_is_out_of_office(admin, billing_desk):
    _, (first, second) = billing_desk
    patients = members(admin, 2)
    out_of_office_add(
        actor=admin,
        staff=first,
        starts_at=clock.now() - timedelta(hours=1),
        ends_at=clock.now() + timedelta(days=2),
    )
    threads = [start(patient, "A billing question.", topic=Topic.BILLING) for patient in patients]
    assert [thread.assignee for thread in threads] == [second, second]


def test_a_thread_for_a_primary_provider_who_is_out_of_office_goes_to_their_cover(
    admin, provider, clinical
):
    cover = make_user(role=Role.PROVIDER, username="provider_quinn")
    (patient,) = members(admin, 1)
    primary_provider(admin, patient, provider)
    out_of_office_add(
        actor=provider,
        staff=provider,
        starts_at=datetime(2026, 3, 2, tzinfo=UTC),
        ends_at=datetime(2026, 3, 9, tzinfo=UTC),
        cover=cover,
    )
    thread = start(patient)
    assert thread.assignee == cover
    assert "out of office" in thread.changes.get().reason


def test_after_the_absence_the_primary_provider_gets_their_threads_again(admin, provider, clinical):
    cover = make_user(role=Role.PROVIDER, username="provider_quinn")
    (patient,) = members(admin, 1)
    primary_provider(admin, patient, provider)
    out_of_office_add(
        actor=admin,
        staff=provider,
        starts_at=datetime(2026, 2, 23, tzinfo=UTC),
        ends_at=datetime(2026, 3, 2, tzinfo=UTC),
        cover=cover,
    )
    assert start(patient).assignee == provider


def test_a_patient_without_a_primary_provider_goes_to_the_rules_team(admin, clinical):
    (patient,) = members(admin, 1)
    thread = start(patient)
    assert thread.team == clinical
    assert thread.assignee is None


def test_an_absent_provider_without_a_cover_leaves_the_thread_to_the_team(
    admin, provider, clinical
):
    (patient,) = members(admin, 1)
    primary_provider(admin, patient, provider)
    out_of_office_add(
        actor=admin,
        staff=provider,
        starts_at=clock.now(),
        ends_at=clock.now() + timedelta(days=1),
    )
    thread = start(patient)
    assert (thread.team, thread.assignee) == (clinical, None)


def test_a_topic_without_a_rule_is_refused_and_nothing_is_stored(admin, clinical):
    (patient,) = members(admin, 1)
    before = snapshot()
    with pytest.raises(NoRoute, match="refill"):
        start(patient, "I need a refill.", topic=Topic.REFILL)
    assert snapshot() == before


def test_a_rule_without_a_team_is_refused_naming_the_field_and_rule(admin, clinical):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refusal:
        routing_rule_save(
            actor=admin, topic=Topic.LAB_RESULTS, target=RoutingTarget.TEAM, team=None
        )
    (error,) = refusal.value.errors
    assert error.field == "team"
    assert "Lab results" in error.message
    assert snapshot() == before


def test_a_rule_pointing_at_a_team_nobody_staffs_is_refused(admin, clinical):
    empty = team(admin, "Billing", Role.BILLING)  # no billing staff exist
    before = snapshot()
    with pytest.raises(ValidationFailed) as refusal:
        rule(admin, Topic.BILLING, RoutingTarget.TEAM, empty)
    (error,) = refusal.value.errors
    assert (error.field, error.code) == ("team", "empty_team")
    assert "Billing" in error.message
    assert snapshot() == before


def test_only_an_admin_changes_routing_rules(provider, clinical):
    before = snapshot()
    with pytest.raises(Exception, match=r"messaging\.configure"):
        rule(provider, Topic.OTHER, RoutingTarget.TEAM, clinical)
    assert snapshot() == before
