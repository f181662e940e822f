"""Membership actions show what they will bill before staff confirm, and the invoice after.

Hana has paid Essentials ($100.00 a month) since January 15 2026; on January 25 she upgrades
to Active Care ($200.00). Of the 31-day period, 21 days are left: a credit of
10000 x 21 / 31 = 6774.19 -> $67.74 and a charge of 20000 x 21 / 31 = 13548.39 -> $135.48,
so $67.74 is charged now.
"""

from datetime import date

import pytest
from django.urls import reverse

from careloop.billing.models import Invoice, InvoiceStatus
from careloop.memberships.models import ScheduledChange
from careloop.memberships.tests.lifecycle_builders import freeze_on
from careloop.web.staff.billing.tests.builders import a_clinic, a_member, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return a_clinic()


@pytest.fixture
def member(clinic, admin):
    membership = a_member(admin, clinic.essentials)
    freeze_on(date(2026, 1, 25))
    return membership


def url(membership):
    return reverse("staff:membership_change_plan", args=[membership.pk])


def unchanged(membership):
    membership.refresh_from_db()
    return (membership.plan.code, Invoice.objects.count(), ScheduledChange.objects.count())


def test_the_action_page_offers_a_preview_before_the_confirm_button(member, front_desk):
    body = client_for(front_desk).get(url(member)).content.decode()
    assert body.index("Preview what it will bill") < body.index(">Change plan</button>")
    assert f'hx-post="{url(member)}"' in body


def test_a_preview_shows_the_credit_the_charge_and_the_amount_and_changes_nothing(
    member, clinic, front_desk
):
    before = unchanged(member)
    response = client_for(front_desk).post(
        url(member), {"plan": clinic.active_care.id, "when": "now", "preview": "yes"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "What it will bill" in body
    assert "Takes effect today." in body
    assert "Unused days, Hana Ito, Jan 25, 2026 to Feb 14, 2026" in body
    assert '<td class="amount">-$67.74</td>' in body
    assert "Active Care, Hana Ito (primary), Jan 25, 2026 to Feb 14, 2026" in body
    assert '<td class="amount">$135.48</td>' in body
    assert "<dt>Charged now</dt><dd><strong>$67.74</strong></dd>" in body
    assert "<dt>Payer's credit afterwards</dt><dd>$0.00</dd>" in body
    assert unchanged(member) == before


def test_with_htmx_only_the_preview_comes_back(member, clinic, front_desk):
    response = client_for(front_desk).post(
        url(member),
        {"plan": clinic.active_care.id, "when": "now", "preview": "yes"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "<dt>Charged now</dt><dd><strong>$67.74</strong></dd>" in body


def test_a_preview_of_an_incomplete_form_says_what_is_missing(member, front_desk):
    before = unchanged(member)
    response = client_for(front_desk).post(
        url(member), {"when": "now", "preview": "yes"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing to preview yet:" in body
    assert "New plan: Choose the plan to move to." in body
    assert unchanged(member) == before


def test_a_downgrade_at_the_period_end_previews_the_next_period_at_the_lower_price(
    clinic, admin, billing
):
    freeze_on(date(2026, 1, 15))
    member = a_member(admin, clinic.active_care, given="Ken", family="Sato")
    freeze_on(date(2026, 1, 25))
    before = unchanged(member)
    response = client_for(billing).post(
        url(member), {"plan": clinic.essentials.id, "when": "period_end", "preview": "yes"}
    )
    body = response.content.decode()
    assert "Takes effect on 2026-02-15." in body
    assert "New period, 2026-02-15 to 2026-03-14" in body
    assert "Essentials, Ken Sato (primary), Feb 15, 2026 to Mar 14, 2026" in body
    assert "<dt>Charged on 2026-02-15</dt><dd><strong>$100.00</strong></dd>" in body
    assert unchanged(member) == before


def test_a_preview_of_a_refused_change_shows_the_refusal_and_changes_nothing(
    member, clinic, front_desk
):
    response = client_for(front_desk).post(
        url(member),
        {"plan": clinic.active_care.id, "when": "date", "on": "2026-01-20", "preview": "yes"},
    )
    assert response.status_code == 422
    assert "only an admin may backdate" in response.content.decode()
    assert "What it will bill" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_confirming_applies_the_change_and_shows_the_paid_invoice(admin, front_desk):
    clinic = a_clinic()
    member = a_member(admin, clinic.essentials)
    freeze_on(date(2026, 1, 25))
    client = client_for(front_desk)
    response = client.post(url(member), {"plan": clinic.active_care.id, "when": "now"})
    invoice = Invoice.objects.filter(membership=member).latest("id")
    assert response["Location"] == reverse("staff:billing_invoice_detail", args=[invoice.pk])
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.amount_paid == 6_774
    body = client.get(response["Location"]).content.decode()
    assert "The membership is now on Active Care." in body
    assert f"Invoice {invoice.number} ($67.74): paid with Visa ending 4242." in body
    assert "Credit for unused days" not in body  # lines read as their descriptions
    assert "Unused days, Hana Ito, Jan 25, 2026 to Feb 14, 2026" in body
