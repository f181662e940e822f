"""The chart's "Care plan" section and the staff actions on a patient's care plans: applying a
protocol by hand and adding an activity, each with a required reason."""

import pytest
from django.urls import reverse

from careloop.care.models import CareActivity, CarePlan, CareTask
from careloop.care.services.tasks import care_task_skip
from careloop.care.tests.care_builders import protocol, quarterly_labs
from careloop.testing.clients import signed_in_client
from careloop.web.staff.care.tests.builders import care_world

pytestmark = pytest.mark.django_db


def _section(page: str) -> str:
    return page.split('id="care-plan"')[1].split("</section>")[0]


def test_the_chart_shows_open_care_plans_with_upcoming_and_recent_tasks(admin, coach, patient_ann):
    world = care_world(admin, patient_ann)
    care_task_skip(actor=coach, task=world.coaching, reason="Travelling")
    chart = reverse("staff:patient_chart", args=[patient_ann.pk])
    section = _section(signed_in_client(coach).get(chart).content.decode())
    assert "Metabolic health" in section
    assert "Applied by hand" in section
    upcoming, recent = section.split("<h4>Recent</h4>")
    assert f'id="task-{world.check_in.pk}"' in upcoming
    assert f'id="task-{world.coaching.pk}"' in recent
    assert "Skipped" in recent
    assert 'value="reschedule"' in upcoming
    assert reverse("staff:care_plan_apply", args=[patient_ann.pk]) in section
    assert reverse("staff:care_activity_add", args=[world.plan.pk]) in section


def test_the_front_desk_sees_the_care_plan_without_clinical_detail(admin, front_desk, patient_ann):
    world = care_world(admin, patient_ann)
    care_task_skip(actor=admin, task=world.coaching, reason="Travelling")
    chart = reverse("staff:patient_chart", args=[patient_ann.pk])
    section = _section(signed_in_client(front_desk).get(chart).content.decode())
    assert f'id="task-{world.check_in.pk}"' in section
    assert "Open" in section
    for hidden in ("food diary", "Travelling", "<form", "Apply a protocol", "Add an activity"):
        assert hidden not in section


def test_billing_sees_no_care_plan_on_the_chart(admin, billing, patient_ann):
    care_world(admin, patient_ann)
    chart = reverse("staff:patient_chart", args=[patient_ann.pk])
    page = signed_in_client(billing).get(chart).content.decode()
    assert 'id="care-plan"' not in page


def test_a_protocol_is_applied_by_hand_with_a_reason(admin, provider, patient_ann):
    care_world(admin, patient_ann)
    labs = protocol(admin, None, quarterly_labs(), name="Thyroid watch")
    url = reverse("staff:care_plan_apply", args=[patient_ann.pk])
    response = signed_in_client(provider).post(
        url, {"protocol": str(labs.pk), "reason": "Abnormal TSH"}
    )
    assert response.status_code == 302
    plan = CarePlan.objects.get(patient=patient_ann, protocol=labs)
    assert plan.changes.get().reason == "Abnormal TSH"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": ""}, "Reason: Say why (it is kept in the history)."),
        ({"protocol": "", "reason": "Why"}, "Protocol: Choose the protocol to apply."),
        ({"reason": "Again", "same": True}, "already has an open care plan from Metabolic health"),
    ],
)
def test_applying_a_protocol_badly_is_named_and_changes_nothing(
    admin, provider, patient_ann, data, message
):
    world = care_world(admin, patient_ann)
    labs = protocol(admin, None, quarterly_labs(), name="Thyroid watch")
    chosen = world.protocol if data.pop("same", False) else labs
    url = reverse("staff:care_plan_apply", args=[patient_ann.pk])
    response = signed_in_client(provider).post(url, {"protocol": str(chosen.pk)} | data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert CarePlan.objects.filter(patient=patient_ann).count() == 1


def test_an_activity_is_added_to_one_patients_plan_with_a_reason(admin, coach, patient_ann):
    world = care_world(admin, patient_ann)
    url = reverse("staff:care_activity_add", args=[world.plan.pk])
    data = {
        "kind": "questionnaire",
        "role": "coordinator",
        "repeat": "every",
        "every": "1",
        "unit": "weeks",
        "anchor": "previous_due",
        "reason": "Mood check after the new medication",
    }
    response = signed_in_client(coach).post(url, data)
    assert response.status_code == 302
    added = CareActivity.objects.get(care_plan=world.plan, kind="questionnaire")
    assert added.added_reason == "Mood check after the new medication"
    assert CareTask.objects.filter(care_activity=added).exists()
    assert world.protocol.activities.count() == 2  # the protocol is untouched


def test_an_activity_without_a_reason_is_named_and_nothing_is_added(admin, coach, patient_ann):
    world = care_world(admin, patient_ann)
    url = reverse("staff:care_activity_add", args=[world.plan.pk])
    data = {"kind": "questionnaire", "role": "coordinator", "repeat": "every", "every": "1"}
    data |= {"unit": "weeks", "anchor": "previous_due"}
    response = signed_in_client(coach).post(url, data)
    assert response.status_code == 422
    assert "Reason: Say why (it is kept in the history)." in response.content.decode()
    assert world.plan.activities.count() == 2


def test_the_front_desk_may_not_change_care_plans(admin, front_desk, patient_ann):
    world = care_world(admin, patient_ann)
    labs = protocol(admin, None, quarterly_labs(), name="Thyroid watch")
    client = signed_in_client(front_desk)
    apply = reverse("staff:care_plan_apply", args=[patient_ann.pk])
    assert client.post(apply, {"protocol": str(labs.pk), "reason": "x"}).status_code == 403
    add = reverse("staff:care_activity_add", args=[world.plan.pk])
    assert client.get(add).status_code == 403
    assert CarePlan.objects.count() == 1
