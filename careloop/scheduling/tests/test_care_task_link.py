"""A visit carries out a care plan's visit task: booking ties it to the matching open task,
completing it closes the task, and a cancelled visit leaves the task for the next booking
(synthetic data only)."""

from datetime import timedelta

import pytest

from careloop.api.tests.sending import send
from careloop.care.models import CareTask, TaskStatus
from careloop.care.tests.care_builders import active_care, care_plans, check_in, enrolled
from careloop.care.tests.care_builders import protocol as make_protocol
from careloop.core.errors import ValidationFailed
from careloop.scheduling.models import Appointment
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.services.status import (
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
)
from careloop.scheduling.tests.builders import (
    MONDAY,
    clinic_in_new_york,
    local,
    make_location,
    make_type,
    weekday_hours,
)
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db
ANY_PRICE = 10**6  # these tests are about the care task, not the price: agree to any


@pytest.fixture
def clinic(admin, provider, patient_ann):
    """Ann enrols in Active Care on Monday June 1 2026; its protocol has a monthly check-in
    visit using a provider visit. Dr. Pat works every day 9:00-17:00 at Midtown."""
    plan = active_care()
    make_protocol(admin, plan, check_in())
    membership = enrolled(admin, plan, MONDAY, patient_ann)
    clinic_in_new_york(now=local(MONDAY, 8))
    location = make_location()
    weekday_hours(provider, location, weekdays=range(7), lunch=False)
    visit = make_type("Follow-up", service_kind="provider_visit")
    [care_plan] = care_plans(membership)
    task = CareTask.objects.filter(care_plan=care_plan).order_by("index").first()
    return location, visit, task


def _book(front_desk, provider, patient, location, kind, day, hour=10, **extra):
    return appointment_book(
        actor=front_desk,
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=kind,
        start_at=local(day, hour),
        acknowledged_price=ANY_PRICE,
        **extra,
    )


def test_booking_ties_the_visit_to_the_open_check_in_and_completing_it_closes_the_task(
    clinic, front_desk, provider, patient_ann
):
    location, kind, task = clinic
    visit = _book(front_desk, provider, patient_ann, location, kind, task.due_on)
    assert visit.care_task_id == task.pk

    appointment_check_in(actor=front_desk, appointment=visit)
    appointment_complete(actor=provider, appointment=visit)

    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_a_cancelled_visit_leaves_the_task_open_for_the_next_booking(
    clinic, front_desk, provider, patient_ann
):
    location, kind, task = clinic
    first = _book(front_desk, provider, patient_ann, location, kind, task.due_on)
    assert (
        _book(front_desk, provider, patient_ann, location, kind, task.due_on, 11).care_task is None
    )

    appointment_cancel(actor=front_desk, appointment=first, reason="Patient called")
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    again = _book(front_desk, provider, patient_ann, location, kind, task.due_on, 14)
    assert again.care_task_id == task.pk


def test_a_visit_outside_the_tasks_window_or_of_a_type_using_no_service_ties_to_nothing(
    clinic, front_desk, provider, patient_ann
):
    location, kind, task = clinic
    late = task.window_end + timedelta(days=1)
    assert _book(front_desk, provider, patient_ann, location, kind, late).care_task is None
    plain = make_type("Quick chat")
    assert _book(front_desk, provider, patient_ann, location, plain, task.due_on).care_task is None


def test_another_patients_task_is_refused_naming_the_field_and_nothing_is_booked(
    clinic, front_desk, provider
):
    location, kind, task = clinic
    bob = make_patient(given="Bob", family="Baker")
    with pytest.raises(ValidationFailed) as refused:
        _book(front_desk, provider, bob, location, kind, task.due_on, care_task=task)
    assert [error.field for error in refused.value.errors] == ["care_task"]
    assert not Appointment.objects.exists()


def test_the_api_shows_the_task_a_visit_carries_out_and_names_care_task_id_when_refused(
    clinic, front_desk, provider, patient_ann
):
    location, kind, task = clinic
    client = signed_in_client(front_desk)
    body = {
        "patient_id": patient_ann.pk,
        "provider_id": provider.pk,
        "location_id": location.pk,
        "appointment_type_id": kind.pk,
        "start_at": local(task.due_on, 10).isoformat(),
        "acknowledged_price": ANY_PRICE,
    }
    unknown = send(client, "POST", "/api/v1/scheduling/appointments", {**body, "care_task_id": 0})
    bob = make_patient(given="Bob", family="Baker")
    theirs = send(
        client,
        "POST",
        "/api/v1/scheduling/appointments",
        {**body, "patient_id": bob.pk, "care_task_id": task.pk},
    )
    for refused in (unknown, theirs):
        assert refused.status_code == 422
        assert [error["field"] for error in refused.json()["errors"]] == ["care_task_id"]
    assert not Appointment.objects.exists()

    booked = send(client, "POST", "/api/v1/scheduling/appointments", body)
    assert booked.status_code == 201
    assert booked.json()["care_task_id"] == task.pk
