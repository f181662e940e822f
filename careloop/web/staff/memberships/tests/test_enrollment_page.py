from datetime import date

import pytest
from django.urls import reverse

from careloop.billing.models import InvoiceStatus, PaymentMethod
from careloop.billing.tests.builders import committed, with_card
from careloop.core import clock
from careloop.memberships.models import (
    MemberRole,
    Membership,
    MembershipMember,
    MembershipSettings,
    MembershipStatus,
    RosterEntry,
    Sponsor,
)
from careloop.memberships.tests.lifecycle_builders import family, freeze_on, give_visits, make_plan
from careloop.testing.factories import make_patient
from careloop.web.staff.memberships.tests.builders import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    freeze_on(date(2026, 1, 15))
    plan = make_plan(code="active-care", rank=2, name="Active Care", monthly=20_000)
    give_visits(plan, per_month=2)
    make_plan(code="old-plan", rank=1, name="Old Plan", status="retired")
    return plan


def url(patient):
    return reverse("staff:membership_enroll", args=[patient.id])


def household_form(chosen, partner, child, **overrides):
    data = {
        "payer": "patient",
        "plan": str(chosen.id),
        "interval": "monthly",
        "start_date": "2026-01-15",
        "anchor": "start_day",
        "card": "tok_sandbox_success",
        f"member_{partner.id}": "on",
        f"role_{partner.id}": "adult",
        f"member_{child.id}": "on",
        f"role_{child.id}": "child",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_page_offers_the_household_active_plans_with_prices_and_today(clinic, front_desk):
    head, partner, child = family()
    page = client_for(front_desk).get(url(head)).content.decode()
    assert f"Enroll {head.full_name}" in page
    assert partner.full_name in page
    assert child.full_name in page
    assert f'name="role_{child.id}"' in page
    # The child of ten defaults to child, the partner to adult.
    assert 'value="child" selected' in page.split(f'name="role_{child.id}"')[1][:300]
    assert "Active Care" in page
    assert "$200.00 monthly" in page
    assert "$280.00 quarterly" in page
    assert "Old Plan" not in page
    assert 'value="2026-01-15"' in page
    assert 'min="2026-01-15"' in page  # the front desk cannot backdate
    assert "covers nothing until a card is added on the chart" in page
    assert "Add a sandbox test card: Visa ending 4242: pays" in page


def test_an_admin_may_pick_a_past_start_date(clinic, admin):
    head, _, _ = family()
    page = client_for(admin).get(url(head)).content.decode()
    assert 'min="' not in page.split('name="start_date"')[1][:200]


def test_the_clinic_billing_day_is_offered_when_the_clinic_has_one(clinic, front_desk):
    head, _, _ = family()
    assert "clinic_day" not in client_for(front_desk).get(url(head)).content.decode()
    MembershipSettings.objects.update_or_create(id=1, defaults={"clinic_billing_day": 1})
    page = client_for(front_desk).get(url(head)).content.decode()
    assert "The clinic&#x27;s billing day (the 1st of each month)" in page


def test_front_desk_enrolls_a_household_and_returns_to_the_chart(clinic, front_desk):
    head, partner, child = family()
    client = client_for(front_desk)
    response = client.post(url(head), household_form(clinic, partner, child))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:patient_chart", args=[head.id])
    membership = Membership.objects.get()
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.payer_patient == head
    assert sorted(membership.members.values_list("patient_id", "role")) == sorted(
        [(head.id, "primary"), (partner.id, "adult"), (child.id, "child")]
    )
    chart = client.get(response["Location"]).content.decode()
    assert "enrolled in Active Care." in chart
    assert "Active Care · Active" in chart


def test_without_a_card_the_membership_is_pending_and_the_page_says_why(clinic, front_desk):
    head, partner, child = family()
    data = household_form(clinic, partner, child, card="none")
    response = client_for(front_desk).post(url(head), data, follow=True)
    assert Membership.objects.get().status == MembershipStatus.PENDING
    assert "covers nothing until a card is on file" in response.content.decode()


def test_a_child_over_the_age_limit_is_refused_beside_the_members_and_nothing_is_created(
    clinic, front_desk
):
    head, partner, child = family()
    data = household_form(clinic, partner, child, **{f"role_{partner.id}": "child"})
    response = client_for(front_desk).post(url(head), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="members-errors"' in page
    assert "a child over the age limit of 18 for Active Care; enroll them as an adult." in page
    assert "Nobody was enrolled." in page
    assert not Membership.objects.exists()
    assert not MembershipMember.objects.exists()


def test_the_front_desk_cannot_backdate_and_the_error_is_beside_the_start_date(clinic, front_desk):
    head, partner, child = family()
    data = household_form(clinic, partner, child, start_date="2026-01-01")
    response = client_for(front_desk).post(url(head), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="start_date-errors"' in page
    assert "only an admin may backdate an enrollment" in page
    assert not Membership.objects.exists()


def test_an_admin_backdates_an_enrollment(clinic, admin):
    head, partner, child = family()
    data = household_form(clinic, partner, child, start_date="2026-01-01")
    assert client_for(admin).post(url(head), data).status_code == 302
    assert Membership.objects.get().start_date == date(2026, 1, 1)


def test_a_missing_plan_is_named(clinic, front_desk):
    head, partner, child = family()
    response = client_for(front_desk).post(
        url(head), household_form(clinic, partner, child, plan="")
    )
    assert response.status_code == 422
    assert "Choose a plan." in response.content.decode()
    assert not Membership.objects.exists()


def test_a_sponsor_that_pays_for_the_plan_can_be_the_payer(clinic, front_desk):
    employee = make_patient(given="Emil", family="Works")
    sponsor = Sponsor.objects.create(name="Acme Clinics Co", created_at=clock.now())
    sponsor.plans.add(clinic)
    RosterEntry.objects.create(
        sponsor=sponsor, patient=employee, effective_on=date(2026, 1, 1), created_at=clock.now()
    )
    page = client_for(front_desk).get(url(employee)).content.decode()
    assert "Acme Clinics Co (sponsor; pays for Active Care)" in page
    data = {
        "payer": f"sponsor-{sponsor.id}",
        "plan": str(clinic.id),
        "interval": "monthly",
        "start_date": "2026-01-15",
        "anchor": "start_day",
    }
    assert client_for(front_desk).post(url(employee), data).status_code == 302
    membership = Membership.objects.get()
    assert membership.sponsor == sponsor
    assert membership.payer_patient is None
    assert list(membership.members.values_list("patient_id", "role")) == [
        (employee.id, MemberRole.PRIMARY)
    ]


def test_the_memberships_list_leads_to_enrolling_a_patient_found_by_name(clinic, front_desk):
    head, _, _ = family()
    page = (
        client_for(front_desk)
        .get(reverse("staff:membership_enroll_find"), {"q": "frances"})
        .content.decode()
    )
    assert f'href="{url(head)}"' in page


def test_enrolling_with_a_sandbox_test_card_saves_it_activates_and_collects(clinic, front_desk):
    head, partner, child = family()
    with committed():
        response = client_for(front_desk).post(url(head), household_form(clinic, partner, child))
    assert response.status_code == 302
    membership = Membership.objects.get()
    assert membership.status == MembershipStatus.ACTIVE
    card = PaymentMethod.objects.get(account__patient=head)
    assert (card.last4, card.is_default, card.created_by) == ("4242", True, front_desk)
    invoice = membership.invoices.get()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.amount_paid == 35_000  # 200.00 + 100.00 for the adult + 50.00 for the child


def test_the_card_on_file_is_offered_and_used(clinic, front_desk):
    head, partner, child = family()
    with_card(head)
    page = client_for(front_desk).get(url(head)).content.decode()
    assert "The card on file: Visa ending 4242, expires 12/2029" in page
    assert 'value="on_file" id="id_card_0" checked' in page
    with committed():
        client_for(front_desk).post(
            url(head), household_form(clinic, partner, child, card="on_file")
        )
    assert Membership.objects.get().invoices.get().status == InvoiceStatus.PAID
    assert PaymentMethod.objects.filter(account__patient=head).count() == 1


def test_a_refused_enrollment_does_not_keep_the_test_card_chosen(clinic, front_desk):
    head, partner, child = family()
    data = household_form(clinic, partner, child, **{f"role_{partner.id}": "child"})
    response = client_for(front_desk).post(url(head), data)
    assert response.status_code == 422
    assert not PaymentMethod.objects.exists()
    assert not Membership.objects.exists()
