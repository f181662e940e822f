from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape

from careloop.memberships.models import (
    ChangeKind,
    ChangeStatus,
    MemberRole,
    MembershipStatus,
    ScheduledChange,
)
from careloop.memberships.periods import Interval
from careloop.memberships.services import lifecycle
from careloop.memberships.tests.lifecycle_builders import (
    freeze_on,
    make_reason,
    new_price_version,
    snapshot,
)
from careloop.patients.models import Patient
from careloop.testing.factories import make_patient
from careloop.web.staff.memberships.tests.builders import client_for, enrolled_household
from careloop.web.staff.memberships.views.actions import ACTIONS

pytestmark = pytest.mark.django_db


def act(user, membership, name, data, client=None):
    return (client or client_for(user)).post(reverse(f"staff:{name}", args=[membership.pk]), data)


def unchanged() -> dict[str, list[Any]]:
    rows = snapshot()
    rows.pop("audit")  # reading the membership to show the form is audited by design
    return rows


@pytest.fixture
def enrolled(front_desk):
    return enrolled_household(front_desk)


@pytest.mark.parametrize("page", ACTIONS, ids=[page.name for page in ACTIONS])
def test_each_action_page_explains_what_will_happen_with_its_dates(enrolled, admin, page):
    if page.name == "membership_reactivate":
        lifecycle.membership_cancel(
            actor=admin, membership=enrolled.membership, reason=make_reason()
        )
    response = client_for(admin).get(reverse(f"staff:{page.name}", args=[enrolled.membership.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "What will happen:" in body
    assert escape(page.explanation) in body
    assert "Now (today, 2026-01-15)" in body or "Today (2026-01-15)" in body
    if page.can_schedule:
        assert "At the end of the period (on 2026-02-15)" in body


def test_a_downgrade_at_the_end_of_the_period_is_scheduled_and_shown(enrolled, front_desk):
    client = client_for(front_desk)
    response = act(
        front_desk,
        enrolled.membership,
        "membership_change_plan",
        {"plan": enrolled.essentials.id, "when": "period_end"},
        client,
    )
    assert response.status_code == 302
    change = ScheduledChange.objects.get()
    assert (change.kind, change.effective_on) == (ChangeKind.PLAN_CHANGE, date(2026, 2, 15))
    page = client.get(response["Location"]).content.decode()
    assert "Scheduled for 2026-02-15: Downgrade to Essentials." in page
    assert "2026-02-15</strong>: Downgrade to Essentials" in page
    enrolled.membership.refresh_from_db()
    assert enrolled.membership.plan == enrolled.active_care


def test_an_upgrade_now_applies_at_once(enrolled, front_desk):
    response = act(
        front_desk,
        enrolled.membership,
        "membership_change_plan",
        {"plan": enrolled.concierge.id, "when": "now"},
    )
    assert response.status_code == 302
    enrolled.membership.refresh_from_db()
    assert enrolled.membership.plan == enrolled.concierge
    assert not ScheduledChange.objects.exists()


def test_the_billing_interval_changes_on_a_chosen_date(enrolled, billing):
    response = act(
        billing,
        enrolled.membership,
        "membership_change_interval",
        {"interval": "quarterly", "when": "date", "on": "2026-03-01"},
    )
    assert response.status_code == 302
    change = ScheduledChange.objects.get()
    assert (change.kind, change.effective_on) == (ChangeKind.INTERVAL_CHANGE, date(2026, 3, 1))
    assert change.details["interval"] == Interval.QUARTERLY


def test_front_desk_adds_a_household_member_now(enrolled, front_desk):
    baby = make_patient(given="Flo", family="Fairbanks", date_of_birth=date(2024, 2, 2))
    Patient.objects.filter(pk=baby.pk).update(household=enrolled.head.household)
    form = client_for(front_desk).get(
        reverse("staff:membership_add_member", args=[enrolled.membership.pk])
    )
    assert baby.full_name in form.content.decode()
    response = act(
        front_desk,
        enrolled.membership,
        "membership_add_member",
        {"patient": baby.id, "role": "child", "when": "now"},
    )
    assert response.status_code == 302
    assert enrolled.membership.members.filter(
        patient=baby, role=MemberRole.CHILD, left_on__isnull=True
    ).exists()


def test_billing_may_not_add_a_member(enrolled, billing):
    before = unchanged()
    response = act(billing, enrolled.membership, "membership_add_member", {"when": "now"})
    assert response.status_code == 403
    assert unchanged() == before


def test_a_member_is_removed_now(enrolled, front_desk):
    response = act(
        front_desk,
        enrolled.membership,
        "membership_remove_member",
        {"patient": enrolled.partner.id, "when": "now"},
    )
    assert response.status_code == 302
    row = enrolled.membership.members.get(patient=enrolled.partner)
    assert row.left_on == date(2026, 1, 15)


def test_a_pause_until_a_date_and_then_a_resume(enrolled, front_desk):
    response = act(
        front_desk,
        enrolled.membership,
        "membership_pause",
        {"resumes_on": "2026-03-01", "when": "now"},
    )
    assert response.status_code == 302
    enrolled.membership.refresh_from_db()
    assert enrolled.membership.status == MembershipStatus.PAUSED
    assert ScheduledChange.objects.get(kind=ChangeKind.RESUME).effective_on == date(2026, 3, 1)
    freeze_on(date(2026, 2, 1))
    response = act(front_desk, enrolled.membership, "membership_resume", {"when": "now"})
    assert response.status_code == 302
    enrolled.membership.refresh_from_db()
    assert enrolled.membership.status == MembershipStatus.ACTIVE


def test_a_cancellation_at_period_end_keeps_the_membership_active_until_then(enrolled, front_desk):
    reason = make_reason()
    response = act(
        front_desk,
        enrolled.membership,
        "membership_cancel",
        {"reason": reason.id, "note": "Moving to Ohio", "when": "period_end"},
    )
    assert response.status_code == 302
    change = ScheduledChange.objects.get()
    assert (change.kind, change.effective_on) == (ChangeKind.CANCEL, date(2026, 2, 15))
    assert change.details["note"] == "Moving to Ohio"
    enrolled.membership.refresh_from_db()
    assert enrolled.membership.status == MembershipStatus.ACTIVE


def test_a_cancelled_membership_is_reactivated(enrolled, front_desk):
    reason = make_reason()
    act(front_desk, enrolled.membership, "membership_cancel", {"reason": reason.id, "when": "now"})
    enrolled.membership.refresh_from_db()
    assert enrolled.membership.status == MembershipStatus.CANCELLED
    response = act(front_desk, enrolled.membership, "membership_reactivate", {"when": "now"})
    assert response.status_code == 302
    enrolled.membership.refresh_from_db()
    assert enrolled.membership.status == MembershipStatus.ACTIVE


def test_an_admin_schedules_a_price_change_with_its_notice_date(enrolled, admin):
    price = new_price_version(enrolled.active_care, Interval.MONTHLY, 22_000)
    response = act(
        admin,
        enrolled.membership,
        "membership_change_price",
        {"price": price.id, "notice_on": "2026-01-15", "when": "date", "on": "2026-01-20"},
    )
    assert response.status_code == 302
    change = ScheduledChange.objects.get()
    assert (change.kind, change.effective_on, change.notice_on) == (
        ChangeKind.PRICE_CHANGE,
        date(2026, 2, 15),
        date(2026, 1, 15),
    )


def test_a_scheduled_change_is_revoked_from_the_card(enrolled, front_desk):
    outcome = lifecycle.membership_downgrade(
        actor=front_desk,
        membership=enrolled.membership,
        plan=enrolled.essentials,
        at_period_end=True,
    )
    assert outcome.scheduled is not None
    chart = reverse("staff:patient_chart", args=[enrolled.head.id])
    client = client_for(front_desk)
    response = client.post(
        reverse(
            "staff:membership_change_revoke", args=[enrolled.membership.pk, outcome.scheduled.pk]
        ),
        {"next": chart},
    )
    assert response["Location"] == chart
    outcome.scheduled.refresh_from_db()
    assert outcome.scheduled.status == ChangeStatus.REVOKED
    assert "Revoked: Downgrade to Essentials on 2026-02-15." in client.get(chart).content.decode()


def test_a_cancellation_without_a_reason_is_refused_and_changes_nothing(enrolled, front_desk):
    before = unchanged()
    response = act(front_desk, enrolled.membership, "membership_cancel", {"when": "now"})
    assert response.status_code == 422
    assert "Choose a cancellation reason from the list." in response.content.decode()
    assert unchanged() == before


def test_resuming_an_active_membership_is_a_clear_error_and_changes_nothing(enrolled, front_desk):
    before = unchanged()
    page = client_for(front_desk).get(
        reverse("staff:membership_resume", args=[enrolled.membership.pk])
    )
    assert "cannot resume" in page.content.decode()
    response = act(front_desk, enrolled.membership, "membership_resume", {"when": "now"})
    body = response.content.decode()
    assert response.status_code == 422
    assert "A membership that is active cannot resume" in body
    assert "Nothing was changed." in body
    assert unchanged() == before


def test_the_front_desk_cannot_backdate_and_is_told_beside_the_date(enrolled, front_desk):
    freeze_on(date(2026, 1, 20))
    before = unchanged()
    response = act(
        front_desk,
        enrolled.membership,
        "membership_remove_member",
        {"patient": enrolled.partner.id, "when": "date", "on": "2026-01-16"},
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="on-errors"' in body
    assert "only an admin may backdate" in body
    assert unchanged() == before


def test_choosing_on_a_date_without_a_date_is_named(enrolled, front_desk):
    response = act(front_desk, enrolled.membership, "membership_resume", {"when": "date"})
    assert response.status_code == 422
    assert "Choose the date it takes effect." in response.content.decode()
