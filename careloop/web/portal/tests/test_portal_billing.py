from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from careloop.billing.links import account_from_token
from careloop.billing.tests.builders import committed, invoices_of, with_card
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(admin, patient_ann):
    freeze_on(date(2026, 1, 15))
    plan = make_plan(code="essentials", rank=1, name="Essentials", monthly=10_000)
    with_card(patient_ann)
    with committed():
        membership = enroll(admin, plan, patient_ann, start=date(2026, 1, 15))
    return invoices_of(membership)[0]


def test_the_home_page_links_to_billing(patient_ann):
    body = signed_in_client(patient_ann.user).get(reverse("portal:home")).content.decode()
    assert f'href="{reverse("portal:billing")}"' in body


def test_a_patient_sees_their_invoices_receipts_balance_and_card(paid, patient_ann):
    body = signed_in_client(patient_ann.user).get(reverse("portal:billing")).content.decode()
    assert "<dt>Owed</dt><dd>$0.00</dd>" in body
    assert "Visa ending 4242, expires 12/2029" in body
    assert paid.number in body
    assert reverse("portal:receipt", args=[paid.pk]) in body
    assert reverse("portal:receipt_pdf", args=[paid.pk]) in body


def test_the_card_link_opens_the_secure_card_page_for_their_own_account(paid, patient_ann):
    body = signed_in_client(patient_ann.user).get(reverse("portal:billing")).content.decode()
    token = body.split('href="/pay/card/')[1].split("/")[0]
    assert account_from_token(token) == paid.account_id
    card_page = Client().get(reverse("pay:card_update", args=[token]))
    assert card_page.status_code == 200
    assert "Visa ending 4242" in card_page.content.decode()


def test_a_patient_reads_their_own_receipt_as_a_page_and_a_pdf(paid, patient_ann):
    client = signed_in_client(patient_ann.user)
    body = client.get(reverse("portal:receipt", args=[paid.pk])).content.decode()
    assert f"Receipt for invoice {paid.number}" in body
    assert "with Visa ending 4242" in body
    document = client.get(reverse("portal:receipt_pdf", args=[paid.pk]))
    assert document.content.startswith(b"%PDF")


@pytest.mark.parametrize("name", ["portal:receipt", "portal:receipt_pdf"])
def test_another_patients_receipt_is_not_found(paid, patient_bob, name):
    response = signed_in_client(patient_bob.user).get(reverse(name, args=[paid.pk]))
    assert response.status_code == 404


def test_a_patient_with_no_invoices_is_told_so(patient_bob):
    body = signed_in_client(patient_bob.user).get(reverse("portal:billing")).content.decode()
    assert "You have no invoices." in body
