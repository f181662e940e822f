"""What staff do from the failed-payments queue: retry, remind, waive, write off."""

import pytest
from django.urls import reverse

from careloop.billing.models import (
    AfterFinalFailure,
    AttemptStatus,
    AttemptTrigger,
    InvoiceStatus,
    Notice,
)
from careloop.billing.services.dunning import billing_settings
from careloop.billing.tests.builders import CARD
from careloop.memberships.models import MembershipStatus
from careloop.notifications.models import OutboxMessage
from careloop.web.staff.billing.tests.builders import (
    a_clinic,
    a_failed_renewal,
    client_for,
    give_card,
)

pytestmark = pytest.mark.django_db

OVERVIEW = "/staff/billing/"


@pytest.fixture
def failed(admin):
    return a_failed_renewal(admin, a_clinic().essentials)


def post(client, name, invoice, data=None):
    return client.post(
        reverse(f"staff:{name}", args=[invoice.pk]), {"next": OVERVIEW, **(data or {})}
    )


def test_retry_now_with_a_new_card_pays_and_recovers_the_membership(failed, front_desk):
    give_card(failed.account.patient, CARD)
    client = client_for(front_desk)
    response = post(client, "billing_invoice_collect", failed)
    assert response["Location"] == OVERVIEW
    failed.refresh_from_db()
    assert failed.status == InvoiceStatus.PAID
    attempt = failed.attempts.order_by("-id").first()
    assert (attempt.trigger, attempt.actor, attempt.status) == (
        AttemptTrigger.STAFF,
        front_desk,
        AttemptStatus.SUCCEEDED,
    )
    failed.membership.refresh_from_db()
    assert failed.membership.status == MembershipStatus.ACTIVE
    queue = client.get(OVERVIEW).content.decode()
    assert f"{failed.number}: Paid $100.00 with Visa ending 4242." in queue
    assert "No failed payments." in queue


def test_retry_now_on_the_same_card_fails_again_and_says_when_the_next_retry_is(failed, billing):
    client = client_for(billing)
    post(client, "billing_invoice_collect", failed)
    failed.refresh_from_db()
    assert failed.failed_attempts == 2
    body = client.get(OVERVIEW).content.decode()
    assert (
        "The charge of $100.00 on Visa ending 9995 failed: The card was declined: insufficient "
        "funds. The next retry is on 2026-02-16."
    ) in body


def test_a_reminder_goes_to_the_payer_with_the_secure_link_once_a_day(failed, front_desk):
    client = client_for(front_desk)
    post(client, "billing_invoice_remind", failed)
    message = OutboxMessage.objects.get(kind="billing.payment_reminder")
    assert message.recipient == failed.account.patient.email
    assert "$100.00 is due" in message.body
    assert "/pay/card/" in message.body
    assert "Essentials" not in message.body  # no plan or clinical detail in a notice
    response = post(client, "billing_invoice_remind", failed)
    body = client.get(response["Location"]).content.decode()
    assert f"A reminder about {failed.number} was already sent today." in body
    assert Notice.objects.filter(kind="payment_reminder").count() == 1


def test_waiving_voids_the_invoice_with_the_reason_and_clears_the_queue(failed, billing):
    client = client_for(billing)
    post(client, "billing_invoice_void", failed, {"waive": "yes", "void-reason": "Hardship"})
    failed.refresh_from_db()
    assert failed.status == InvoiceStatus.VOID
    assert failed.close_reason == "Waived: Hardship"
    assert failed.closed_by == billing
    body = client.get(OVERVIEW).content.decode()
    assert f"{failed.number} is waived" in body
    assert "No failed payments." in body


def test_waiving_without_a_reason_is_refused_beside_the_field_and_changes_nothing(failed, billing):
    response = post(
        client_for(billing), "billing_invoice_void", failed, {"waive": "yes", "void-reason": " "}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="void-reason-errors"' in body
    assert "Say why, for the record." in body
    assert "Nothing was changed." in body
    failed.refresh_from_db()
    assert failed.status == InvoiceStatus.OPEN


def test_marking_uncollectible_stops_retries_and_keeps_the_balance(failed, admin):
    client = client_for(admin)
    post(
        client,
        "billing_invoice_uncollectible",
        failed,
        {"uncollectible-reason": "Moved away, no answer"},
    )
    failed.refresh_from_db()
    assert failed.status == InvoiceStatus.UNCOLLECTIBLE
    assert failed.next_retry_on is None
    assert failed.amount_due == 10_000
    body = client.get(OVERVIEW).content.decode()
    assert "No failed payments." in body
    assert "The membership stays past due until it is paid." in body


def test_marking_uncollectible_cancels_the_membership_when_the_clinic_says_so(failed, admin):
    policy = billing_settings()
    policy.after_final_failure = AfterFinalFailure.CANCEL
    policy.save()
    client = client_for(admin)

    post(client, "billing_invoice_uncollectible", failed, {"uncollectible-reason": "Gone"})

    failed.membership.refresh_from_db()
    assert failed.membership.status == MembershipStatus.CANCELLED
    body = client.get(OVERVIEW).content.decode()
    assert "The membership is cancelled, as the billing settings say." in body
    [message] = OutboxMessage.objects.filter(kind="billing.payment_final_failure")
    assert "Your membership has been cancelled." in message.body


def test_front_desk_may_not_waive_and_nothing_changes(failed, front_desk):
    response = post(
        client_for(front_desk), "billing_invoice_void", failed, {"void-reason": "Please"}
    )
    assert response.status_code == 403
    failed.refresh_from_db()
    assert failed.status == InvoiceStatus.OPEN
