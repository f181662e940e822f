"""The demo clinic's secure messaging: what staff opening the inboxes and the dashboard, and a
member opening the portal, would notice."""

from datetime import timedelta

import pytest

from careloop.accounts.models import User
from careloop.core import clock
from careloop.demo.catalog import ACTIVE_CARE, CONCIERGE, ESSENTIALS
from careloop.demo.messaging import DEMO_PDF
from careloop.messaging.models import (
    Attachment,
    Message,
    MessageKind,
    ReplyTemplate,
    ResponseClock,
    RoutingRule,
    Thread,
    ThreadStatus,
    Topic,
)
from careloop.messaging.selectors.figures import (
    response_figures_by_person,
    response_figures_by_plan,
)
from careloop.messaging.selectors.threads import thread_messages
from careloop.messaging.services.attachments import attachment_open

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_clinic")]


def _year() -> dict[str, object]:
    return {"since": clock.now() - timedelta(days=366), "until": clock.now()}


def test_every_topic_has_a_routing_rule_and_staff_have_reply_templates():
    assert set(RoutingRule.objects.values_list("topic", flat=True)) == set(Topic.values)
    assert ReplyTemplate.objects.filter(active=True).count() >= 3


def test_members_of_every_tier_wrote_over_the_year_concierge_most_per_member():
    figures = {row.label: row for row in response_figures_by_plan(**_year())}  # type: ignore[arg-type]
    assert {"Essentials", "Active Care", "Concierge"} <= set(figures)
    for row in figures.values():
        assert row.messages >= 5
    concierge = figures["Concierge"].messages_per_member
    essentials = figures["Essentials"].messages_per_member
    assert concierge is not None
    assert essentials is not None
    assert concierge > essentials
    started = ResponseClock.objects.order_by("started_at").first()
    assert started is not None
    assert started.started_at < clock.now() - timedelta(days=180)


def test_most_replies_are_within_target_and_a_few_are_breaches():
    figures = response_figures_by_plan(**_year())  # type: ignore[arg-type]
    within = sum(row.within_target for row in figures)
    breaches = sum(row.breaches for row in figures)
    assert 0 < breaches < within / 5
    stamped = ResponseClock.objects.filter(breached_at__isnull=False)
    assert stamped.exists(), "the escalation sweep stamped the late replies' breaches"
    concierge = next(row for row in figures if row.label == "Concierge")
    assert concierge.median_response_hours is not None
    assert concierge.median_response_hours < 4


def test_the_dashboard_lists_several_people_answering():
    people = [row for row in response_figures_by_person(**_year()) if row.key is not None]  # type: ignore[arg-type]
    assert len(people) >= 4


def test_internal_notes_sit_beside_replies_and_the_patient_never_sees_them():
    note = Message.objects.filter(kind=MessageKind.NOTE).select_related("thread__patient").first()
    assert note is not None
    patient_user = note.thread.patient.user
    assert patient_user is not None
    seen = thread_messages(thread=note.thread, viewer=patient_user)
    assert not seen.filter(kind=MessageKind.NOTE).exists()
    assert seen.filter(from_patient=False).exists(), "the patient sees the reply"


def test_some_messages_carry_a_small_synthetic_file_staff_can_open():
    attachment = Attachment.objects.select_related("thread").first()
    assert attachment is not None
    admin = User.objects.get(username="admin")
    assert attachment_open(actor=admin, attachment_id=attachment.pk).data == DEMO_PDF


def test_threads_are_open_and_closed_across_teams_and_a_few_still_wait():
    assert Thread.objects.filter(status=ThreadStatus.CLOSED).count() > 10
    assert Thread.objects.filter(status=ThreadStatus.OPEN).count() > 10
    assert set(Thread.objects.values_list("team__name", flat=True)) >= {
        "Clinical",
        "Coaching",
        "Front desk",
        "Billing",
    }
    assert Thread.objects.filter(status=ThreadStatus.OPEN, due_at__isnull=False).exists()


def test_the_tiers_each_thread_was_written_under_are_the_demo_plans():
    codes = set(ResponseClock.objects.values_list("plan__code", flat=True))
    assert codes <= {ESSENTIALS, ACTIVE_CARE, CONCIERGE}
