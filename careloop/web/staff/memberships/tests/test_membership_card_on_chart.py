import re
from datetime import date

import pytest

from careloop.memberships.models import MembershipSettings, MembershipStatus, Service
from careloop.memberships.services import lifecycle
from careloop.memberships.services.entitlements import entitlement_consume
from careloop.memberships.tests.lifecycle_builders import freeze_on, make_reason
from careloop.testing.factories import make_patient
from careloop.web.staff.memberships.tests.builders import chart_page, enrolled_household
from careloop.web.staff.patients.chart import CHART_SECTIONS

pytestmark = pytest.mark.django_db


def section(page: str, title: str) -> str:
    """The HTML of one chart section, found by its heading."""
    match = re.search(
        rf'<section class="card chart-section"[^>]*>\s*<h2[^>]*>{re.escape(title)}</h2>'
        r"(.*?)</section>",
        page,
        re.S,
    )
    assert match, f"no section {title!r}"
    return match.group(1)


def banner(page: str) -> str:
    match = re.search(r'<section class="card chart-banner".*?</section>', page, re.S)
    assert match
    return match.group(0)


def test_the_membership_card_is_the_first_chart_section():
    assert CHART_SECTIONS[0].title == "Membership"


def test_the_card_shows_plan_payer_members_period_renewal_and_what_is_left(front_desk, provider):
    enrolled = enrolled_household(front_desk)
    visit = Service.objects.get(code="provider-visit")
    entitlement_consume(
        actor=front_desk,
        patient=enrolled.child,
        service=visit,
        on=date(2026, 1, 20),
        source_type="appointment",
        source_id="a-1",
    )
    freeze_on(date(2026, 1, 21))
    page = chart_page(provider, enrolled.child)
    card = section(page, "Membership")
    assert "Active Care" in card
    assert "Active</span>" in card
    assert "$350.00 monthly" in card  # 200 + 100 for the adult + 50 for the child
    assert f"Payer</dt><dd>{enrolled.head.full_name}" in card
    for name, role in (
        (enrolled.head.full_name, "Primary member"),
        (enrolled.partner.full_name, "Additional adult"),
        (enrolled.child.full_name, "Child"),
    ):
        assert name in card
        assert role in card
    assert "2026-01-15 to 2026-02-14" in card
    assert "Next renewal</dt><dd>2026-02-15" in card
    assert "Provider visit" in card
    assert "2 a month" in card
    child_row = re.search(rf"<td>{re.escape(enrolled.child.full_name)}</td>(.*?)</tr>", card, re.S)
    assert child_row is not None
    numbers = re.findall(r'class="amount">(?:<strong>)?(\w+)', child_row.group(1))
    assert numbers == ["1", "0", "1", "0"]  # used, held, left, rolled over
    assert "Open the membership" in card
    assert 'role="alert"' not in card


def test_the_banner_shows_the_plan_and_status_at_a_glance(front_desk, provider):
    enrolled = enrolled_household(front_desk)
    top = banner(chart_page(provider, enrolled.partner))
    assert "Active Care · Active" in top


@pytest.mark.parametrize(
    ("setup", "warning"),
    [
        ("past_due", "Payment is past due. The clinic keeps covering members meanwhile."),
        ("paused", "Paused since 2026-01-15, resumes on 2026-03-01. Nothing is covered"),
        ("ending", "Ending: cancelled from 2026-02-15; covered until then."),
    ],
)
def test_the_card_warns_when_past_due_paused_or_ending(front_desk, admin, setup, warning):
    enrolled = enrolled_household(front_desk)
    membership = enrolled.membership
    if setup == "past_due":
        lifecycle.membership_mark_past_due(actor=admin, membership=membership)
    elif setup == "paused":
        lifecycle.membership_pause(actor=admin, membership=membership, resumes_on=date(2026, 3, 1))
    else:
        lifecycle.membership_cancel(
            actor=admin, membership=membership, reason=make_reason(), at_period_end=True
        )
    card = section(chart_page(front_desk, enrolled.head), "Membership")
    assert 'role="alert"' in card
    assert warning in card


def test_a_past_due_warning_is_a_danger_when_the_clinic_covers_nothing(front_desk, admin):
    enrolled = enrolled_household(front_desk)
    MembershipSettings.objects.update_or_create(id=1, defaults={"past_due_coverage": "none"})
    lifecycle.membership_mark_past_due(actor=admin, membership=enrolled.membership)
    card = section(chart_page(front_desk, enrolled.head), "Membership")
    assert 'class="alert alert-danger" role="alert">Payment is past due: nothing is covered' in card


def test_a_scheduled_change_shows_with_a_revoke_button_for_those_who_may_change(
    front_desk, provider
):
    enrolled = enrolled_household(front_desk)
    lifecycle.membership_downgrade(
        actor=front_desk,
        membership=enrolled.membership,
        plan=enrolled.essentials,
        at_period_end=True,
    )
    for user, can_revoke in ((front_desk, True), (provider, False)):
        card = section(chart_page(user, enrolled.head), "Membership")
        assert "2026-02-15</strong>: Downgrade to Essentials" in card
        assert ("Revoke</button>" in card) is can_revoke


def test_a_patient_who_is_not_a_member_sees_not_a_member_and_enroll_only_for_enrolling_roles(
    front_desk, provider
):
    patient = make_patient(given="Noor", family="Nash")
    for user, can_enroll in ((front_desk, True), (provider, False)):
        page = chart_page(user, patient)
        card = section(page, "Membership")
        assert "Not a member." in card
        assert (f"/staff/memberships/enroll/{patient.id}/" in card) is can_enroll
        assert "Not a member" in banner(page)


def test_a_cancelled_membership_leaves_the_patient_not_a_member(front_desk, admin):
    enrolled = enrolled_household(front_desk)
    lifecycle.membership_cancel(actor=admin, membership=enrolled.membership, reason=make_reason())
    enrolled.membership.refresh_from_db()
    assert enrolled.membership.status == MembershipStatus.CANCELLED
    assert "Not a member." in section(chart_page(front_desk, enrolled.head), "Membership")
