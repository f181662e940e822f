from datetime import date

import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.memberships.models import Service
from careloop.memberships.services import lifecycle
from careloop.memberships.services.entitlements import entitlement_consume
from careloop.memberships.tests.lifecycle_builders import enroll, family, make_reason
from careloop.web.staff.memberships.tests.builders import client_for, enrolled_household

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["admin", "provider", "coach", "front_desk", "billing"])
def test_every_staff_role_sees_the_list_and_the_membership(request, front_desk, role):
    enrolled = enrolled_household(front_desk)
    user = request.getfixturevalue(role)
    client = client_for(user)
    assert client.get(reverse("staff:membership_list")).status_code == 200
    detail = client.get(reverse("staff:membership_detail", args=[enrolled.membership.pk]))
    assert detail.status_code == 200
    assert "Active Care" in detail.content.decode()


def test_the_membership_page_shows_history_scheduled_changes_ledger_and_actions(front_desk, admin):
    enrolled = enrolled_household(front_desk)
    membership = enrolled.membership
    visit = Service.objects.get(code="provider-visit")
    entitlement_consume(
        actor=front_desk,
        patient=enrolled.head,
        service=visit,
        on=date(2026, 1, 15),
        source_type="appointment",
        source_id="visit-77",
    )
    lifecycle.membership_downgrade(
        actor=admin, membership=membership, plan=enrolled.essentials, at_period_end=True
    )
    page = (
        client_for(front_desk)
        .get(reverse("staff:membership_detail", args=[membership.pk]))
        .content.decode()
    )
    assert "Status history" in page
    assert "<td>Enroll</td>" in page
    assert "<td>Active</td>" in page
    assert "Downgrade to Essentials" in page
    assert "appointment visit-77" in page
    assert "Used" in page
    assert "Granted for the period" in page
    for label in ("Upgrade or downgrade", "Pause", "Cancel", "Add a household member"):
        assert f">{label}</a>" in page
    assert ">Resume</a>" not in page  # not while active
    assert ">Change the price (admin)</a>" not in page  # admins only
    assert AuditEvent.objects.filter(
        action="membership.view", patient_id=enrolled.child.id, actor_id=front_desk.id
    ).exists()


def test_billing_sees_change_actions_but_not_enrolling_ones(front_desk, billing):
    enrolled = enrolled_household(front_desk)
    page = (
        client_for(billing)
        .get(reverse("staff:membership_detail", args=[enrolled.membership.pk]))
        .content.decode()
    )
    assert ">Cancel</a>" in page
    assert ">Add a household member</a>" not in page


def test_a_provider_sees_no_actions(front_desk, provider):
    enrolled = enrolled_household(front_desk)
    page = (
        client_for(provider)
        .get(reverse("staff:membership_detail", args=[enrolled.membership.pk]))
        .content.decode()
    )
    assert "Nothing you can change" in page


def test_the_list_filters_by_status_and_plan(front_desk, admin):
    enrolled = enrolled_household(front_desk)
    other_head, _, _ = family("Okafor")
    other = enroll(front_desk, enrolled.essentials, other_head, start=date(2026, 1, 15))
    lifecycle.membership_cancel(actor=admin, membership=other, reason=make_reason())
    client = client_for(front_desk)
    url = reverse("staff:membership_list")

    def shown(**filters):
        return [m.pk for m in client.get(url, filters).context["memberships"]]

    assert sorted(shown()) == sorted([enrolled.membership.pk, other.pk])
    assert shown(status="cancelled") == [other.pk]
    assert shown(plan=enrolled.active_care.id) == [enrolled.membership.pk]
    assert shown(status="active", plan=enrolled.essentials.id) == []
    assert (
        "No membership matches these filters."
        in client.get(url, {"status": "paused"}).content.decode()
    )


def test_the_nav_has_memberships_for_staff(front_desk):
    response = client_for(front_desk).get(reverse("staff:patient_search"))
    assert "Memberships" in [item["label"] for item in response.context["staff_nav"]]


def test_the_list_shows_the_payer_and_member_count(front_desk):
    enrolled = enrolled_household(front_desk)
    page = client_for(front_desk).get(reverse("staff:membership_list")).content.decode()
    assert enrolled.head.full_name in page
    assert '<td class="amount">3</td>' in page
