"""Patients are reminded through the outbox, once per task, with no clinical detail.

Ann enrols in Essentials on January 1 2026. Its protocol has a monthly check-in visit
(windows 7 days before to 14 days after the due date: the first January 1, window December
25 to January 15; the second February 1, window January 25 to February 15) and a patient
reminder every three months (same window). Synthetic data only.
"""

from datetime import date

import pytest
from django.core.management import call_command

from careloop.audit.models import AuditEvent
from careloop.care.lifecycle import PlanAction
from careloop.care.models import CareReminder, CareTask, TaskStatus
from careloop.care.services.activities import ActivitySpec
from careloop.care.services.care_plans import care_plan_transition
from careloop.care.services.reminders import care_reminders_send
from careloop.care.tasks import care_work_generate_daily
from careloop.care.tests.care_builders import care_plans, check_in, enrolled, essentials, protocol
from careloop.care.tests.care_builders import tasks as plan_tasks
from careloop.core.models import ClinicSettings
from careloop.memberships.tests.lifecycle_builders import freeze_on
from careloop.notifications.models import Channel, OutboxMessage
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.tests.builders import (
    clinic_in_new_york,
    local,
    make_location,
    make_type,
    weekday_hours,
)
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db
CLINICAL_WORDS = ("HbA1c", "diabetes", "Metabolic", "lipid", "A1c", "metformin", "glucose")


def reminder_every_quarter() -> ActivitySpec:
    return ActivitySpec(
        kind="patient_reminder",
        role="coordinator",
        repeat="every",
        every=3,
        unit="months",
        order=1,
        instructions="Remind about fasting before the HbA1c and lipid draw (diabetes).",
    )


@pytest.fixture
def care_plan(admin):
    ClinicSettings.objects.create(name="Cedar Grove")
    plan = essentials()
    protocol(
        admin,
        plan,
        check_in(instructions="Review HbA1c trend; adjust metformin for diabetes."),
        reminder_every_quarter(),
        name="Metabolic health",
    )

    def enrol(patient):
        (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1), patient))
        return care_plan

    return enrol


def _reminders() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind="care.reminder").order_by("created_at"))


def test_a_check_in_and_a_patient_reminder_are_sent_when_due_and_once_on_rerun(
    care_plan, patient_ann
):
    plan = care_plan(patient_ann)

    assert care_reminders_send(as_of=date(2026, 1, 1)) == 2
    assert care_reminders_send(as_of=date(2026, 1, 1)) == 0
    assert care_reminders_send(as_of=date(2026, 1, 2)) == 0

    messages = _reminders()
    assert [(m.channel, m.recipient) for m in messages] == [(Channel.EMAIL, patient_ann.email)] * 2
    assert CareReminder.objects.count() == 2
    assert AuditEvent.objects.filter(action="care.reminder_send").count() == 2
    reminder_task, check_in_task = (
        plan_tasks(plan, "patient_reminder")[0],
        plan_tasks(plan, "check_in_visit")[0],
    )
    # The reminder is the work of a patient reminder task; a visit task waits for its visit.
    assert reminder_task.status == TaskStatus.DONE
    assert check_in_task.status == TaskStatus.OPEN


def test_the_next_check_in_is_reminded_the_day_its_window_opens(care_plan, patient_ann):
    care_plan(patient_ann)
    care_reminders_send(as_of=date(2026, 1, 1))
    freeze_on(date(2026, 1, 24))
    call_command("care", "generate")

    assert care_reminders_send(as_of=date(2026, 1, 24)) == 0
    freeze_on(date(2026, 1, 25))
    assert care_reminders_send(as_of=date(2026, 1, 25)) == 1
    second = CareTask.objects.get(care_activity__kind="check_in_visit", index=2)
    assert CareReminder.objects.get(task=second).sent_on == date(2026, 1, 25)


def test_a_task_past_its_window_is_not_reminded(care_plan, patient_ann):
    care_plan(patient_ann)
    assert care_reminders_send(as_of=date(2026, 1, 16)) == 0
    assert not _reminders()


def test_the_message_names_the_clinic_and_the_visit_but_nothing_clinical(care_plan, patient_ann):
    care_plan(patient_ann)
    care_reminders_send(as_of=date(2026, 1, 1))

    reminder_message, check_in_message = sorted(_reminders(), key=lambda m: m.subject)
    assert check_in_message.subject == "Time to book your monthly check-in with Cedar Grove"
    assert reminder_message.subject == "A reminder from Cedar Grove"
    for message in (check_in_message, reminder_message):
        text = f"{message.subject} {message.body}"
        assert not [word for word in CLINICAL_WORDS if word.lower() in text.lower()]


@pytest.mark.parametrize(
    ("action", "reason"), [(PlanAction.SUSPEND, "Paused."), (PlanAction.CLOSE, "Tier change.")]
)
def test_a_suspended_or_closed_care_plan_sends_nothing(care_plan, patient_ann, action, reason):
    plan = care_plan(patient_ann)
    care_plan_transition(
        actor=None, care_plan=plan, action=action, effective_on=date(2026, 1, 1), reason=reason
    )

    assert care_reminders_send(as_of=date(2026, 1, 1)) == 0
    assert not _reminders()
    assert not CareReminder.objects.exists()


def test_a_patient_without_contact_details_gets_nothing_and_one_with_a_phone_gets_a_text(
    care_plan,
):
    unreachable = make_patient(given="Noel", email="", mobile_phone="")
    texted = make_patient(given="Tess", email="", mobile_phone="+15125550142")
    unreachable_plan = care_plan(unreachable)
    care_plan(texted)

    assert care_reminders_send(as_of=date(2026, 1, 1)) == 2

    assert {(m.channel, m.recipient, m.subject) for m in _reminders()} == {
        (Channel.SMS, "+15125550142", "")
    }
    assert not CareReminder.objects.filter(task__care_plan=unreachable_plan).exists()
    # Unsent, the patient reminder stays open: it becomes a care gap for staff to follow up.
    assert plan_tasks(unreachable_plan, "patient_reminder")[0].status == TaskStatus.OPEN


def test_a_check_in_already_booked_is_not_reminded(care_plan, patient_ann, front_desk, provider):
    plan = care_plan(patient_ann)
    clinic_in_new_york(now=local(date(2026, 1, 1), 8))
    location = make_location()
    weekday_hours(provider, location, weekdays=range(7), lunch=False)
    task = plan_tasks(plan, "check_in_visit")[0]
    visit = appointment_book(
        actor=front_desk,
        patient=patient_ann,
        provider=provider,
        location=location,
        appointment_type=make_type("Follow-up", service_kind="provider_visit"),
        start_at=local(date(2026, 1, 5), 10),
        acknowledged_price=10**6,
    )
    assert visit.care_task_id == task.pk

    assert care_reminders_send(as_of=date(2026, 1, 2)) == 1  # the patient reminder only
    assert not CareReminder.objects.filter(task=task).exists()


def test_the_daily_care_job_and_the_command_send_the_reminders_due(care_plan, patient_ann, capsys):
    care_plan(patient_ann)
    freeze_on(date(2026, 1, 1))

    care_work_generate_daily.call()
    call_command("care", "remind", "--as-of", "2026-01-01")

    assert len(_reminders()) == 2
    assert "0 reminders sent" in capsys.readouterr().out
