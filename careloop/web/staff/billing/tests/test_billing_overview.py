from datetime import date

import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.billing.models import BillingRun, InvoiceStatus
from careloop.billing.services.refunds import refund_create
from careloop.billing.tests.builders import invoices_of
from careloop.memberships.periods import Interval
from careloop.memberships.services.lifecycle import membership_cancel
from careloop.memberships.tests.lifecycle_builders import freeze_on, make_reason
from careloop.web.staff.billing.tests.builders import (
    RENEWAL,
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


def test_billing_is_in_the_navigation_of_roles_that_may_see_it(clinic, front_desk, provider):
    assert f'href="{reverse("staff:billing_overview")}"' in page(front_desk, "staff:patient_search")
    assert "Billing</a>" not in page(provider, "staff:patient_search")


def test_the_failed_payments_queue_shows_payer_amount_failures_decline_and_next_retry(
    clinic, admin, billing
):
    invoice = a_failed_renewal(admin, clinic.essentials)
    body = page(billing, "staff:billing_overview")
    queue = body.split('id="failed-payments"')[1].split("</section>")[0]
    assert invoice.number in queue
    assert "Hana Ito" in queue
    assert "$100.00" in queue
    assert "The card was declined: insufficient funds." in queue
    assert "2026-02-16" in queue  # the first retry, a day after the failure
    assert "Retry now" in queue
    assert "Send reminder" in queue
    assert "Waive" in queue
    assert "Mark uncollectible" in queue
    assert reverse("staff:membership_cancel", args=[invoice.membership_id]) in queue


def test_front_desk_may_retry_and_remind_but_not_waive(clinic, admin, front_desk):
    a_failed_renewal(admin, clinic.essentials)
    queue = page(front_desk, "staff:billing_overview").split('id="failed-payments"')[1]
    assert "Retry now" in queue
    assert "Send reminder" in queue
    assert "Waive" not in queue
    assert "Mark uncollectible" not in queue
    assert "Run billing now" not in page(front_desk, "staff:billing_overview")


def test_the_latest_run_is_shown_with_its_counts_and_totals(clinic, admin, billing):
    a_failed_renewal(admin, clinic.essentials)
    body = page(billing, "staff:billing_overview")
    assert "2026-02-15 (today)" in body
    assert "<dt>Invoices issued</dt><dd>1 for $100.00</dd>" in body
    assert "0 paid ($0.00), 1 failed" in body


def test_running_billing_now_bills_what_is_due_today_and_says_how_it_went(clinic, admin, billing):
    membership = a_member(admin, clinic.essentials)
    freeze_on(RENEWAL)
    client = client_for(billing)
    response = client.post(reverse("staff:billing_run_now"))
    assert response.status_code == 302
    run = BillingRun.objects.get()
    assert (run.as_of, run.started_by, run.invoices_issued) == (RENEWAL, billing, 1)
    assert invoices_of(membership)[-1].status == InvoiceStatus.PAID
    body = client.get(response["Location"]).content.decode()
    assert (
        "Billing run for 2026-02-15 finished: 1 invoice issued for $100.00, 1 paid, 0 failed."
        in body
    )


def test_annual_renewals_within_thirty_days_are_listed(clinic, admin, billing):
    annual = a_member(
        admin, clinic.essentials, given="Ada", family="Annual", interval=Interval.ANNUAL
    )
    a_member(admin, clinic.essentials, given="Mo", family="Monthly")
    freeze_on(date(2026, 12, 20))
    renewals = page(billing, "staff:billing_overview").split('id="renewals-heading"')[1]
    renewals = renewals.split("</section>")[0]
    assert f"#{annual.pk}</a> Ada Annual · Essentials · renews on 2027-01-15" in renewals
    assert "Mo Monthly" not in renewals


def test_memberships_at_risk_name_why(clinic, admin, billing):
    failed = a_failed_renewal(admin, clinic.essentials, given="Pat", family="Pastdue")
    freeze_on(date(2026, 1, 15))
    expiring = a_member(
        admin, clinic.essentials, given="Eve", family="Expiring", token="tok_sandbox_expiring"
    )
    cancelling = a_member(admin, clinic.essentials, given="Cal", family="Cancelling")
    membership_cancel(actor=admin, membership=cancelling, reason=make_reason(), at_period_end=True)
    risks = page(billing, "staff:billing_overview").split('id="risk-heading"')[1]
    assert (
        f"#{failed.membership_id}</a> Pat Pastdue · Essentials · <strong>Past due</strong>" in risks
    )
    assert (
        f"#{expiring.pk}</a> Eve Expiring · Essentials · <strong>Card expires before the charge "
        "on Feb 15, 2026</strong>"
    ) in risks
    assert (
        f"#{cancelling.pk}</a> Cal Cancelling · Essentials · <strong>Cancellation scheduled for "
        "Feb 15, 2026</strong>"
    ) in risks


def test_revenue_collected_this_month_and_last_month_comes_from_the_cash_ledger(
    clinic, admin, billing
):
    january = a_member(admin, clinic.essentials)  # $100.00 paid on January 15
    attempt = invoices_of(january)[0].attempts.get()
    freeze_on(date(2026, 2, 3))
    a_member(admin, clinic.active_care, given="Feb", family="Payer", start=date(2026, 2, 3))
    refund_create(actor=billing, attempt=attempt, amount=2_500, reason="Goodwill")
    body = page(billing, "staff:billing_overview").split('id="revenue-heading"')[1]
    assert (
        '<th scope="row">February 2026</th><td class="amount">$200.00</td>'
        '<td class="amount">$25.00</td><td class="amount">$175.00</td>'
    ) in body
    assert (
        '<th scope="row">January 2026</th><td class="amount">$100.00</td>'
        '<td class="amount">$0.00</td><td class="amount">$100.00</td>'
    ) in body


def test_looking_at_the_queue_is_audited_with_the_patients_it_shows(clinic, admin, billing):
    invoice = a_failed_renewal(admin, clinic.essentials)
    page(billing, "staff:billing_overview")
    event = AuditEvent.objects.filter(action="billing.overview").get()
    assert event.detail == {"patient_ids": [invoice.account.patient_id]}


def _tabs(body):
    return body.split('<nav class="section-tabs" aria-label="Billing">')[1].split("</nav>")[0]


def test_billing_tabs_show_only_what_the_role_may_open_and_mark_the_current_one(
    clinic, front_desk, billing
):
    front = _tabs(page(front_desk, "staff:billing_overview"))
    assert "Invoices" in front
    assert "Discount codes" not in front
    assert "Settings" not in front
    manager = _tabs(page(billing, "staff:billing_invoice_list"))
    assert "Discount codes" in manager
    assert "Settings" in manager
    assert f'href="{reverse("staff:billing_invoice_list")}" aria-current="page">Invoices' in manager
    assert 'aria-current="page">Overview' not in manager
