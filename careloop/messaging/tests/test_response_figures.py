"""Figures per plan and person: replies within target, breaches, median business hours."""

from datetime import UTC, datetime
from importlib import import_module

import pytest
from django.apps import apps

from careloop.core import clock
from careloop.messaging.models import ResponseClock
from careloop.messaging.selectors import figures
from careloop.messaging.selectors.figures import (
    response_dashboard,
    response_figures_by_person,
    response_figures_by_plan,
)
from careloop.messaging.services.threads import message_send
from careloop.messaging.tests.messaging_builders import start

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
UNTIL = datetime(2026, 3, 10, tzinfo=UTC)


def test_a_reply_records_the_business_time_it_took(ann_thread, provider):
    # Written Monday 09:00 Chicago, answered 17:00 UTC = 11:00 there: two business hours.
    clock.freeze(datetime(2026, 3, 2, 17, tzinfo=UTC))
    reply = message_send(actor=provider, thread=ann_thread, body="Yes.")
    answered = ResponseClock.objects.get()
    assert answered.response_business_seconds == 2 * 3600
    assert (answered.answered_by, answered.responder) == (reply, provider)


def test_clocks_answered_before_the_responder_was_recorded_take_the_replys_author(
    ann_thread, provider
):
    clock.freeze(datetime(2026, 3, 2, 17, tzinfo=UTC))
    message_send(actor=provider, thread=ann_thread, body="Yes.")
    ResponseClock.objects.update(responder=None)
    migration = import_module("careloop.messaging.migrations.0005_response_clock_responder")

    migration.record_responders(apps, None)

    assert ResponseClock.objects.get().responder == provider


def test_clocks_started_before_the_patient_was_recorded_take_their_threads(
    ann_thread, patient_ann, patient_bob
):
    # Point the clock elsewhere first, so the backfill has something to set right.
    ResponseClock.objects.update(patient=patient_bob)
    migration = import_module("careloop.messaging.migrations.0007_response_clock_patient")

    migration.record_patients(apps, None)

    assert ResponseClock.objects.get().patient == patient_ann


def test_figures_count_replies_in_time_late_and_still_waiting(ann_thread, patient_ann, provider):
    clock.freeze(datetime(2026, 3, 2, 17, tzinfo=UTC))
    message_send(actor=provider, thread=ann_thread, body="In time.")
    # Tuesday 09:00 Chicago: a second question, answered 6 business hours later (late).
    clock.freeze(datetime(2026, 3, 3, 15, tzinfo=UTC))
    message_send(actor=patient_ann.user, thread=ann_thread, body="Another question.")
    clock.freeze(datetime(2026, 3, 3, 21, tzinfo=UTC))
    message_send(actor=provider, thread=ann_thread, body="Late.")
    # Wednesday 09:00 Chicago: a third, never answered (due 13:00).
    clock.freeze(datetime(2026, 3, 4, 15, tzinfo=UTC))
    start(patient_ann, "A new question.")

    (plan,) = response_figures_by_plan(since=SINCE, until=UNTIL)
    assert (plan.label, plan.messages, plan.answered) == ("Concierge", 3, 2)
    assert (plan.within_target, plan.breaches, plan.members) == (1, 2, 1)
    assert plan.median_response_hours == 4.0  # of 2 and 6 hours
    assert plan.share_within_target == 1 / 3

    people = {row.label: row for row in response_figures_by_person(since=SINCE, until=UNTIL)}
    assert people["provider_pat"].answered == 2
    assert people[""].messages == 1


def test_the_dashboard_holds_the_same_rows_as_the_two_tables(ann_thread, patient_ann, provider):
    clock.freeze(datetime(2026, 3, 2, 17, tzinfo=UTC))
    message_send(actor=provider, thread=ann_thread, body="In time.")
    clock.freeze(datetime(2026, 3, 4, 15, tzinfo=UTC))
    start(patient_ann, "A new question.")

    dashboard = response_dashboard(since=SINCE, until=UNTIL)
    assert dashboard.by_plan == response_figures_by_plan(since=SINCE, until=UNTIL)
    assert dashboard.by_person == response_figures_by_person(since=SINCE, until=UNTIL)
    # Unanswered messages count under nobody (key None), which the databases order apart.
    hours = {row.key: row.median_response_hours for row in dashboard.by_person}
    assert hours == {None: None, provider.id: 2.0}


def _three_replies_and_one_waiting(thread, patient, provider) -> None:
    """Replies after 2, 6 and 3 business hours (Concierge, 4-hour target), one still waiting."""
    for written, answered in [
        (datetime(2026, 3, 2, 15, tzinfo=UTC), datetime(2026, 3, 2, 17, tzinfo=UTC)),
        (datetime(2026, 3, 3, 15, tzinfo=UTC), datetime(2026, 3, 3, 21, tzinfo=UTC)),
        (datetime(2026, 3, 4, 15, tzinfo=UTC), datetime(2026, 3, 4, 18, tzinfo=UTC)),
    ]:
        clock.freeze(written)
        if written.day > 2:
            message_send(actor=patient.user, thread=thread, body="A question.")
        clock.freeze(answered)
        message_send(actor=provider, thread=thread, body="An answer.")
    clock.freeze(datetime(2026, 3, 5, 15, tzinfo=UTC))
    start(patient, "Still waiting.")


def test_the_median_of_an_odd_count_is_the_middle_reply(ann_thread, patient_ann, provider):
    _three_replies_and_one_waiting(ann_thread, patient_ann, provider)

    dashboard = response_dashboard(since=SINCE, until=UNTIL)

    assert [(row.messages, row.median_response_hours) for row in dashboard.by_plan] == [(4, 3.0)]
    hours = {row.key: (row.answered, row.median_response_hours) for row in dashboard.by_person}
    assert hours == {None: (0, None), provider.id: (3, 3.0)}


@pytest.mark.postgres
def test_postgresql_computes_the_same_medians_as_python(
    ann_thread, patient_ann, provider, monkeypatch
):
    _three_replies_and_one_waiting(ann_thread, patient_ann, provider)
    in_database = response_dashboard(since=SINCE, until=UNTIL)

    monkeypatch.setattr(figures, "_median_in_database", lambda clocks: False)

    assert response_dashboard(since=SINCE, until=UNTIL) == in_database
