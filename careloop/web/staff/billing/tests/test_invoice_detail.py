import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.billing.models import InvoiceStatus, Refund
from careloop.billing.tests.builders import invoices_of
from careloop.web.staff.billing.tests.builders import a_clinic, a_failed_renewal, client_for, page

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(admin):
    failed = a_failed_renewal(admin, a_clinic().essentials)
    return invoices_of(failed.membership)[0], failed


def test_a_paid_invoice_shows_payer_membership_lines_totals_history_and_payment(invoices, billing):
    paid, _ = invoices
    body = page(billing, "staff:billing_invoice_detail", paid.pk)
    assert f"Invoice {paid.number}" in body
    assert (
        f'href="{reverse("staff:patient_chart", args=[paid.account.patient_id])}">Hana Ito' in body
    )
    assert f'href="{reverse("staff:membership_detail", args=[paid.membership_id])}"' in body
    assert "<dt>Period</dt><dd>2026-01-15 to 2026-02-14</dd>" in body
    assert "Essentials, Hana Ito (primary), Jan 15, 2026 to Feb 14, 2026" in body
    assert "<td>2026-01-15 to 2026-02-14</td>" in body  # the line's service dates
    for label, amount in (
        ("Subtotal", "$100.00"),
        ("Credit applied", "$0.00"),
        ("Paid", "$100.00"),
        ("Refunded", "$0.00"),
        ("Amount due", "$0.00"),
    ):
        assert f'{label}</th><td class="amount">{amount}</td>' in body
    history = body.split('id="history-heading"')[1]
    assert history.index("<td>Draft</td>") < history.index("<td>Open</td>")
    assert history.index("<td>Open</td>") < history.index("<td>Paid</td>")
    payments = body.split('id="payments-heading"')[1].split("</section>")[0]
    assert "Visa ending 4242" in payments
    assert "Charged at once" in payments
    assert "Succeeded" in payments
    assert reverse("staff:billing_receipt", args=[paid.pk]) in body
    assert reverse("staff:billing_receipt_pdf", args=[paid.pk]) in body


def test_a_failed_invoice_shows_the_decline_the_retry_and_what_staff_may_do(invoices, billing):
    _, failed = invoices
    body = page(billing, "staff:billing_invoice_detail", failed.pk)
    assert "Overdue" not in body  # due today
    assert "<dt>Failed charges</dt><dd>1 · next retry 2026-02-16</dd>" in body
    assert "Declined</span> The card was declined: insufficient funds." in body
    assert "Collect $100.00 now" in body
    assert "Send a reminder" in body
    assert "Mark uncollectible" in body
    assert ">Void</button>" in body
    assert "Receipt" not in body.split("</h1>")[1].split("</div>")[0]


def test_looking_at_an_invoice_is_audited_against_the_payer(invoices, billing):
    paid, _ = invoices
    page(billing, "staff:billing_invoice_detail", paid.pk)
    event = AuditEvent.objects.filter(action="invoice.view").get()
    assert (event.patient_id, event.actor_id, event.object_id) == (
        paid.account.patient_id,
        billing.id,
        str(paid.pk),
    )


def refund(user, invoice, **data):
    attempt = invoice.attempts.get()
    client = client_for(user)
    response = client.post(
        reverse("staff:billing_payment_refund", args=[invoice.pk, attempt.pk]),
        {f"refund-{attempt.pk}-{name}": value for name, value in data.items()},
    )
    return client, response


def test_part_of_a_payment_is_refunded_to_the_card(invoices, billing):
    paid, _ = invoices
    client, response = refund(billing, paid, amount="25.00", reason="Missed visit")
    assert response.status_code == 302
    paid.refresh_from_db()
    assert paid.amount_refunded == 2_500
    assert paid.status == InvoiceStatus.PAID
    body = client.get(response["Location"]).content.decode()
    assert "Refunded $25.00 to the card that paid." in body
    assert "$25.00 · Refunded · Missed visit · by" in body
    assert "Up to $75.00." in body


def test_a_refund_above_what_was_paid_is_refused_beside_the_amount(invoices, billing):
    paid, _ = invoices
    _, response = refund(billing, paid, amount="150.00", reason="Too much")
    body = response.content.decode()
    assert response.status_code == 422
    assert "At most 100.00 of this payment can still be refunded." in body
    assert "Nothing was changed." in body
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "10", "reason": ""}, "reason", "Say why, for the record."),
        ({"amount": "", "reason": "Why"}, "amount", "Enter an amount above zero."),
        ({"amount": "ten", "reason": "Why"}, "amount", "is not an amount in dollars and cents"),
    ],
)
def test_a_refund_without_an_amount_or_reason_names_the_field(
    invoices, billing, data, field, message
):
    paid, _ = invoices
    _, response = refund(billing, paid, **data)
    body = response.content.decode()
    attempt = paid.attempts.get()
    assert response.status_code == 422
    assert f'id="refund-{attempt.pk}-{field}-errors"' in body
    assert message in body
    assert not Refund.objects.exists()


def test_front_desk_may_not_refund(invoices, front_desk):
    paid, _ = invoices
    _, response = refund(front_desk, paid, amount="10.00", reason="Please")
    assert response.status_code == 403
    assert not Refund.objects.exists()


def test_a_paid_invoice_cannot_be_voided_and_says_to_refund(invoices, admin):
    paid, _ = invoices
    client = client_for(admin)
    response = client.post(
        reverse("staff:billing_invoice_void", args=[paid.pk]), {"void-reason": "Oops"}
    )
    body = client.get(response["Location"]).content.decode()
    assert (
        "A paid invoice cannot be voided; refund the payment instead. Nothing was changed." in body
    )
    paid.refresh_from_db()
    assert paid.status == InvoiceStatus.PAID
