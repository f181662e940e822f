"""The chart's billing section: invoices, payments, balance, cards and discount codes."""

import pytest
from django.urls import reverse

from careloop.billing.models import BillingAccount, Discount, InvoiceStatus, PaymentMethod
from careloop.billing.tests.builders import invoices_of
from careloop.core import clock
from careloop.memberships.models import MemberRole, MembershipStatus
from careloop.memberships.tests.lifecycle_builders import enroll, family
from careloop.testing.factories import make_patient
from careloop.web.staff.billing.tests.builders import (
    a_clinic,
    a_failed_renewal,
    a_member,
    client_for,
    page,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return a_clinic()


@pytest.fixture
def failed(admin, clinic):
    return a_failed_renewal(admin, clinic.essentials)


def section(user, patient):
    body = page(user, "staff:patient_chart", patient.id)
    return body.split('<div id="billing"')[1].split("</section>")[0]


def test_the_section_shows_invoices_payments_balance_and_card(failed, front_desk):
    patient = failed.account.patient
    body = section(front_desk, patient)
    assert "<dt>Owed</dt><dd>$100.00</dd>" in body
    assert "<dt>Credit</dt><dd>$0.00" in body
    assert "Visa ending 9995, expires 12/2029" in body
    assert "Visa ending 4242" in body  # the earlier card, still saved
    for invoice in invoices_of(failed.membership):
        assert invoice.number in body
    assert "Declined</span> The card was declined: insufficient funds." in body
    assert "Add a card" in body


def test_providers_do_not_see_billing_on_the_chart(failed, provider):
    body = page(provider, "staff:patient_chart", failed.account.patient.id)
    assert 'id="billing"' not in body


def test_a_member_paid_for_by_someone_else_is_pointed_to_the_payer(admin, clinic, front_desk):
    head, partner, _ = family()
    enroll(admin, clinic.essentials, head, (partner, MemberRole.ADULT), start=clock.today())
    body = section(front_desk, partner)
    assert "membership is paid by" in body
    assert (
        f'href="{reverse("staff:patient_chart", args=[head.id])}#billing">{head.full_name}' in body
    )


def test_adding_a_sandbox_card_makes_it_the_default_and_retries_what_failed(failed, front_desk):
    patient = failed.account.patient
    client = client_for(front_desk)
    response = client.post(
        reverse("staff:billing_card_add", args=[patient.id]), {"token": "tok_sandbox_success"}
    )
    assert response["Location"] == reverse("staff:patient_chart", args=[patient.id]) + "#billing"
    failed.refresh_from_db()
    assert failed.status == InvoiceStatus.PAID
    failed.membership.refresh_from_db()
    assert failed.membership.status == MembershipStatus.ACTIVE
    default = PaymentMethod.objects.get(account=failed.account, is_default=True)
    assert (default.last4, default.created_by) == ("4242", front_desk)
    body = client.get(response["Location"]).content.decode()
    assert "Visa ending 4242 is now the card on file." in body
    assert f"{failed.number}: Paid $100.00 with Visa ending 4242." in body


def test_an_unknown_card_is_refused_and_nothing_changes(failed, front_desk):
    patient = failed.account.patient
    before = list(PaymentMethod.objects.values())
    client = client_for(front_desk)
    response = client.post(
        reverse("staff:billing_card_add", args=[patient.id]), {"token": "4242424242424242"}
    )
    body = client.get(response["Location"]).content.decode()
    assert "Card: Choose one of the sandbox test cards. Nothing was changed." in body
    assert list(PaymentMethod.objects.values()) == before


def test_removing_the_default_card_makes_the_newest_other_card_the_default(failed, billing):
    default = PaymentMethod.objects.get(account=failed.account, is_default=True)
    response = client_for(billing).post(
        reverse("staff:billing_card_remove", args=[failed.account.patient.id, default.id])
    )
    assert response.status_code == 302
    default.refresh_from_db()
    assert default.removed_at is not None
    assert PaymentMethod.objects.get(account=failed.account, is_default=True).last4 == "4242"


def test_making_the_other_saved_card_the_default_retries_what_failed_with_it(failed, billing):
    patient = failed.account.patient
    default = PaymentMethod.objects.get(account=failed.account, is_default=True)
    other = PaymentMethod.objects.get(account=failed.account, is_default=False)
    shown = section(billing, patient)
    assert f'aria-label="Charge the card ending {other.last4} from now on"' in shown
    assert f'aria-label="Charge the card ending {default.last4} from now on"' not in shown

    client = client_for(billing)
    response = client.post(reverse("staff:billing_card_make_default", args=[patient.id, other.id]))

    other.refresh_from_db()
    default.refresh_from_db()
    assert (other.is_default, default.is_default) == (True, False)
    failed.refresh_from_db()
    assert failed.status == InvoiceStatus.PAID
    body = client.get(response["Location"]).content.decode()
    assert "Visa ending 4242 is now the card on file." in body
    assert f"{failed.number}: Paid $100.00 with Visa ending 4242." in body


def test_another_patients_card_cannot_be_removed_through_this_patient(
    failed, admin, clinic, billing
):
    other = a_member(admin, clinic.essentials, given="Ken", family="Sato")
    card = PaymentMethod.objects.get(account__patient=other.payer_patient)
    response = client_for(billing).post(
        reverse("staff:billing_card_remove", args=[failed.account.patient.id, card.id])
    )
    assert response.status_code == 404
    card.refresh_from_db()
    assert card.removed_at is None


@pytest.fixture
def spring_code():
    return Discount.objects.create(
        code="SPRING25",
        name="Spring 25%",
        kind="percent",
        percent_off=25,
        duration="once",
        created_at=clock.now(),
    )


def test_a_discount_code_is_redeemed_on_the_payers_membership(failed, billing, spring_code):
    patient = failed.account.patient
    chart = reverse("staff:patient_chart", args=[patient.id]) + "#billing"
    assert "Code for membership" in section(billing, patient)
    client = client_for(billing)
    response = client.post(
        reverse("staff:billing_discount_redeem", args=[failed.membership_id]),
        {"code": " spring25 ", "next": chart},
    )
    assert response["Location"] == chart
    assert spring_code.redemptions.get().membership_id == failed.membership_id
    body = client.get(chart).content.decode()
    assert f"SPRING25 (Spring 25%) applies to membership #{failed.membership_id}" in body


def test_an_unknown_discount_code_is_named_and_nothing_is_redeemed(failed, billing, spring_code):
    client = client_for(billing)
    response = client.post(
        reverse("staff:billing_discount_redeem", args=[failed.membership_id]), {"code": "NOPE"}
    )
    body = client.get(response["Location"]).content.decode()
    assert "Discount code: There is no discount code NOPE. Nothing was changed." in body
    assert not spring_code.redemptions.exists()


def test_front_desk_applies_the_code_a_patient_brings(failed, front_desk, spring_code):
    assert "Code for membership" in section(front_desk, failed.account.patient)
    client_for(front_desk).post(
        reverse("staff:billing_discount_redeem", args=[failed.membership_id]), {"code": "SPRING25"}
    )
    assert spring_code.redemptions.filter(membership_id=failed.membership_id).exists()


def test_a_coordinator_sees_no_discount_form_and_may_not_redeem(failed, coach, spring_code):
    response = client_for(coach).post(
        reverse("staff:billing_discount_redeem", args=[failed.membership_id]), {"code": "SPRING25"}
    )
    assert response.status_code == 403
    assert not spring_code.redemptions.exists()


def test_a_patient_who_never_paid_has_no_billing_account_after_the_chart_is_read(
    clinic, front_desk
):
    patient = make_patient(given="New", family="Patient")
    body = section(front_desk, patient)
    assert "Nothing billed yet." in body
    assert "No card on file." in body
    assert not BillingAccount.objects.filter(patient=patient).exists()
