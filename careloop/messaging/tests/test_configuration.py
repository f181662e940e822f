"""Teams, out-of-office periods and reply templates: refused when they make no sense, with
the field named and nothing stored."""

from datetime import UTC, datetime

import pytest

from careloop.accounts.roles import Role
from careloop.core.errors import PermissionDenied, ValidationFailed
from careloop.messaging.models import OutOfOffice, ReplyTemplate, Topic
from careloop.messaging.selectors.inbox import reply_templates, threads_of_patient
from careloop.messaging.services.routing import (
    messaging_team_save,
    out_of_office_add,
    reply_template_save,
)
from careloop.messaging.tests.messaging_builders import snapshot

MONDAY = datetime(2026, 3, 2, 14, tzinfo=UTC)
FRIDAY = datetime(2026, 3, 6, 23, tzinfo=UTC)


def test_a_team_of_patients_is_refused(admin):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refusal:
        messaging_team_save(actor=admin, name="Patients", role=Role.PATIENT)
    assert refusal.value.errors[0].field == "role"
    assert snapshot() == before


def test_two_teams_cannot_share_a_name(admin, clinical):
    with pytest.raises(ValidationFailed) as refusal:
        messaging_team_save(actor=admin, name="Clinical", role=Role.COORDINATOR)
    assert refusal.value.errors[0].code == "taken"


def test_staff_record_their_own_absence_but_not_a_colleagues(provider, coach):
    out_of_office_add(actor=provider, staff=provider, starts_at=MONDAY, ends_at=FRIDAY, cover=None)
    with pytest.raises(PermissionDenied):
        out_of_office_add(actor=provider, staff=coach, starts_at=MONDAY, ends_at=FRIDAY)
    assert OutOfOffice.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": MONDAY}, "ends_at"),
        ({"cover": "self"}, "cover"),
        ({"cover": "patient"}, "cover"),
    ],
)
def test_an_absence_that_makes_no_sense_is_refused(admin, provider, patient_ann, change, field):
    arguments = {"starts_at": MONDAY, "ends_at": FRIDAY, "cover": None} | change
    if arguments["cover"] == "self":
        arguments["cover"] = provider
    elif arguments["cover"] == "patient":
        arguments["cover"] = patient_ann.user
    with pytest.raises(ValidationFailed) as refusal:
        out_of_office_add(actor=admin, staff=provider, **arguments)
    assert refusal.value.errors[0].field == field
    assert OutOfOffice.objects.count() == 0


def test_reply_templates_for_the_topic_come_first(admin):
    reply_template_save(actor=admin, name="Thanks", body="Thank you for your message.")
    reply_template_save(
        actor=admin, name="Refill sent", body="Your refill is on its way.", topic=Topic.REFILL
    )
    reply_template_save(
        actor=admin, name="Billing", body="Billing will reply.", topic=Topic.BILLING
    )
    names = [template.name for template in reply_templates(topic=Topic.REFILL)]
    assert names == ["Refill sent", "Thanks"]


def test_a_reply_template_needs_a_name_and_a_body(admin):
    with pytest.raises(ValidationFailed) as refusal:
        reply_template_save(actor=admin, name=" ", body="")
    assert sorted(error.field for error in refusal.value.errors) == ["body", "name"]
    assert ReplyTemplate.objects.count() == 0


def test_the_chart_lists_only_the_threads_a_role_may_read(
    ann_thread, patient_ann, provider, billing
):
    assert list(threads_of_patient(user=provider, patient=patient_ann)) == [ann_thread]
    assert list(threads_of_patient(user=billing, patient=patient_ann)) == []
