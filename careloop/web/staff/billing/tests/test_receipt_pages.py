import pytest
from django.urls import reverse

from careloop.billing.tests.builders import invoices_of
from careloop.web.staff.billing.tests.builders import a_clinic, a_failed_renewal, client_for, page

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(admin):
    failed = a_failed_renewal(admin, a_clinic().essentials)
    return invoices_of(failed.membership)[0], failed


def test_the_receipt_page_shows_clinic_payer_lines_and_the_card_brand_and_last_four(
    invoices, front_desk
):
    paid, _ = invoices
    body = page(front_desk, "staff:billing_receipt", paid.pk)
    assert f"Receipt for invoice {paid.number}" in body
    assert "<dt>Billed to</dt><dd>Hana Ito</dd>" in body
    assert "Essentials, Hana Ito (primary), Jan 15, 2026 to Feb 14, 2026" in body
    assert "January 15, 2026: $100.00 with Visa ending 4242" in body
    assert "pm_sandbox" not in body
    assert reverse("staff:billing_receipt_pdf", args=[paid.pk]) in body


def test_the_pdf_receipt_downloads_as_a_pdf_named_after_the_invoice(invoices, front_desk):
    paid, _ = invoices
    response = client_for(front_desk).get(reverse("staff:billing_receipt_pdf", args=[paid.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="receipt-{paid.number}.pdf"'
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("name", ["staff:billing_receipt", "staff:billing_receipt_pdf"])
def test_an_unpaid_invoice_has_no_receipt(invoices, front_desk, name):
    _, failed = invoices
    response = client_for(front_desk).get(reverse(name, args=[failed.pk]))
    assert response.status_code == 404
