from datetime import date

import pytest

from careloop.billing.models import InvoiceStatus
from careloop.billing.tests.builders import invoices_of
from careloop.memberships.tests.lifecycle_builders import freeze_on
from careloop.web.staff.billing.tests.builders import (
    a_clinic,
    a_failed_renewal,
    a_member,
    client_for,
    page,
)
from careloop.web.staff.billing.views import invoices as invoice_views

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(admin):
    """Hana's paid January invoice and declined February renewal; Ken's paid February one."""
    clinic = a_clinic()
    failed = a_failed_renewal(admin, clinic.essentials)
    freeze_on(date(2026, 2, 20))
    ken = a_member(admin, clinic.active_care, given="Ken", family="Sato", start=date(2026, 2, 20))
    return {
        "january": invoices_of(failed.membership)[0],
        "renewal": failed,
        "ken": invoices_of(ken)[0],
    }


def shown(body, invoices):
    """Which of the invoices the page lists, oldest first."""
    return [name for name, invoice in invoices.items() if f"{invoice.number}</a>" in body]


def test_all_invoices_newest_first_with_payer_total_due_and_status(invoices, billing):
    january, renewal, ken = (invoices[name].number for name in ("january", "renewal", "ken"))
    body = page(billing, "staff:billing_invoice_list")
    assert body.index(ken) < body.index(renewal) < body.index(january)
    row = body.split(f"{renewal}</a>")[1].split("</tr>")[0]
    assert "Hana Ito" in row
    assert "Enrollment" in body.split(f"{january}</a>")[1].split("</tr>")[0]
    assert "2026-02-15 to 2026-03-14" in row
    assert "$100.00" in row
    assert "Open" in row
    assert "1 failed" in row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "paid"}, ["january", "ken"]),
        ({"kind": "renewal"}, ["renewal"]),
        ({"issued_from": "2026-02-16"}, ["ken"]),
        ({"issued_from": "2026-01-01", "issued_to": "2026-01-31"}, ["january"]),
        ({"payer": "sato"}, ["ken"]),
        ({"payer": "hana ito"}, ["january", "renewal"]),
        ({"needs_attention": "on"}, ["renewal"]),
    ],
)
def test_the_filters_narrow_the_list(invoices, billing, query, expected):
    assert shown(page(billing, "staff:billing_invoice_list", **query), invoices) == expected


def test_a_reversed_date_range_is_refused_beside_the_field_and_lists_nothing(invoices, billing):
    response = client_for(billing).get(
        "/staff/billing/invoices/", {"issued_from": "2026-02-10", "issued_to": "2026-02-01"}
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="issued_to-errors"' in body
    assert "Issued to: choose the same day as Issued from or later." in body
    assert shown(body, invoices) == []


def test_a_malformed_date_names_the_field_and_the_format(invoices, billing):
    response = client_for(billing).get("/staff/billing/invoices/", {"issued_from": "15/02"})
    assert "Issued from: Enter a date as YYYY-MM-DD" in response.content.decode()


def test_long_lists_are_paged_and_keep_their_filters(invoices, billing, monkeypatch):
    monkeypatch.setattr(invoice_views, "PAGE_SIZE", 1)
    body = page(billing, "staff:billing_invoice_list", status="paid")
    assert shown(body, invoices) == ["ken"]
    assert "Page 1 of 2" in body
    assert 'href="?status=paid&amp;page=2"' in body
    second = page(billing, "staff:billing_invoice_list", status="paid", page="2")
    assert shown(second, invoices) == ["january"]


def test_the_status_filter_offers_every_invoice_status(invoices, billing):
    body = page(billing, "staff:billing_invoice_list")
    for status in InvoiceStatus:
        assert f'value="{status.value}"' in body
