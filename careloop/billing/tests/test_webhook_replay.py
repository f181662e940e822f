"""Gateway webhooks delivered three times each, shuffled, from four threads at once: each event
takes effect once (a payment recorded once, one GatewayEvent row per id, the journal
balanced), and events that arrive out of order do no harm (an older card update after a newer
one, a refund's "pending" after its "succeeded").

The rows are committed (transaction=True) so the threads, each on its own connection, see
them. On PostgreSQL the threads really overlap; SQLite serialises their transactions.

On March 1 2027 at Riverbend Clinic, each paying 100.00 a month:
- Ann Lee's first charge went unanswered (the gateway timed out): it succeeded;
- Ben Ortiz's first charge went unanswered too: it was declined (insufficient funds);
- Cara Diaz paid; staff refunded 40.00 and the gateway had not answered yet;
- Dee Shah's card was renewed by her bank twice (exp 01/2031, then 06/2032, ending 4343).
"""

import random
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from careloop.billing.gateways.base import RefundResult, RefundStatus, WebhookEvent
from careloop.billing.gateways.sandbox import SandboxGateway
from careloop.billing.models import (
    AttemptStatus,
    EntryKind,
    GatewayEvent,
    Invoice,
    InvoiceStatus,
    JournalEntry,
    Notice,
    PaymentAttempt,
    PaymentMethod,
    Refund,
)
from careloop.billing.models import RefundStatus as StoredRefundStatus
from careloop.billing.selectors.balances import journal_totals
from careloop.billing.services.refunds import refund_create
from careloop.billing.services.webhooks import DUPLICATE, gateway_event_process
from careloop.billing.tests.builders import CARD, journal_sum, with_card
from careloop.core import clock
from careloop.core.models import ClinicSettings
from careloop.memberships.models import Membership, MembershipStatus
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient
from careloop.testing.localstripe import SECRET_KEY
from careloop.testing.stripe_webhooks import TEST_WEBHOOK_SECRET, signed_webhook, stripe_event

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = date(2027, 3, 1)
THREADS = 4
DELIVERIES = 3
URL = "/api/v1/billing/webhooks/stripe"


@dataclass(frozen=True)
class Scene:
    ann: Membership
    ben: Membership
    cara_refund: Refund
    dee_card: PaymentMethod


def _member(admin, plan, given: str, family: str, token: str) -> Membership:
    payer = make_patient(given=given, family=family)
    with_card(payer, token)
    return enroll(admin, plan, payer, start=TODAY)


def _pending_refund(monkeypatch, attempt: PaymentAttempt, amount: int) -> Refund:
    with monkeypatch.context() as gateway_silent:
        gateway_silent.setattr(
            SandboxGateway, "refund", lambda *args, **kwargs: RefundResult(RefundStatus.UNKNOWN)
        )
        return refund_create(actor=None, attempt=attempt, amount=amount, reason="Overcharged")


@pytest.fixture
def scene(admin, monkeypatch) -> Scene:
    freeze_on(TODAY)
    ClinicSettings.objects.create(name="Riverbend Clinic")
    plan = make_plan(code="essentials", rank=1, name="Essentials", monthly=10_000)
    ann = _member(admin, plan, "Ann", "Lee", "tok_sandbox_timeout")
    ben = _member(admin, plan, "Ben", "Ortiz", "tok_sandbox_timeout")
    cara = _member(admin, plan, "Cara", "Diaz", CARD)
    dee = _member(admin, plan, "Dee", "Shah", CARD)
    assert [_attempt(m).status for m in (ann, ben, cara, dee)] == [
        AttemptStatus.PENDING,
        AttemptStatus.PENDING,
        AttemptStatus.SUCCEEDED,
        AttemptStatus.SUCCEEDED,
    ]
    refund = _pending_refund(monkeypatch, _attempt(cara), 4_000)
    assert refund.status == StoredRefundStatus.PENDING
    card = PaymentMethod.objects.get(account__patient=dee.payer_patient)
    return Scene(ann, ben, refund, card)


def _attempt(membership: Membership) -> PaymentAttempt:
    return PaymentAttempt.objects.get(invoice__membership=membership)


def _invoice(membership: Membership) -> Invoice:
    return Invoice.objects.get(membership=membership)


def _events(scene: Scene) -> list[dict[str, Any]]:
    """The events as Stripe would send them, oldest first."""
    now = clock.now()
    ann, ben = _attempt(scene.ann), _attempt(scene.ben)
    return [
        stripe_event(
            event_id="evt_ann_paid",
            event_type="payment_intent.succeeded",
            created=now - timedelta(seconds=50),
            data_object={
                "id": "pi_ann",
                "object": "payment_intent",
                "amount": 10_000,
                "status": "succeeded",
                "metadata": {"careloop_idempotency_key": ann.idempotency_key},
            },
        ),
        stripe_event(
            event_id="evt_ben_declined",
            event_type="payment_intent.payment_failed",
            created=now - timedelta(seconds=45),
            data_object={
                "id": "pi_ben",
                "object": "payment_intent",
                "amount": 10_000,
                "status": "requires_payment_method",
                "metadata": {"careloop_idempotency_key": ben.idempotency_key},
                "last_payment_error": {
                    "code": "card_declined",
                    "decline_code": "insufficient_funds",
                    "message": "Your card has insufficient funds.",
                },
            },
        ),
        stripe_event(
            event_id="evt_cara_refund_pending",
            event_type="refund.updated",
            created=now - timedelta(seconds=40),
            data_object={
                "id": "re_cara",
                "object": "refund",
                "amount": 4_000,
                "status": "pending",
                "metadata": {"careloop_idempotency_key": scene.cara_refund.idempotency_key},
            },
        ),
        stripe_event(
            event_id="evt_cara_refund_succeeded",
            event_type="refund.updated",
            created=now - timedelta(seconds=30),
            data_object={
                "id": "re_cara",
                "object": "refund",
                "amount": 4_000,
                "status": "succeeded",
                "metadata": {"careloop_idempotency_key": scene.cara_refund.idempotency_key},
            },
        ),
        stripe_event(
            event_id="evt_dee_card_2031",
            event_type="payment_method.automatically_updated",
            created=now - timedelta(seconds=20),
            data_object={
                "id": scene.dee_card.token,
                "object": "payment_method",
                "card": {"exp_month": 1, "exp_year": 2031, "last4": "4242"},
            },
        ),
        stripe_event(
            event_id="evt_dee_card_2032",
            event_type="payment_method.automatically_updated",
            created=now - timedelta(seconds=10),
            data_object={
                "id": scene.dee_card.token,
                "object": "payment_method",
                "card": {"exp_month": 6, "exp_year": 2032, "last4": "4343"},
            },
        ),
    ]


def _verified(event: dict[str, Any]) -> WebhookEvent:
    """What the Stripe gateway hands billing once the signature checks out."""
    data = event["data"]["object"]
    return WebhookEvent(
        event_id=event["id"],
        type=event["type"],
        created=datetime.fromtimestamp(event["created"], tz=UTC),
        object_id=data["id"],
        data=data,
    )


def _deliver(items: list[Any], deliver: Callable[[Any], tuple[str, str]]) -> list[tuple[str, str]]:
    """Each item delivered three times, shuffled, shared out over four threads that start
    together; returns (event id, outcome) for every delivery."""
    deliveries = items * DELIVERIES
    random.Random(20270301).shuffle(deliveries)
    shares = [deliveries[n::THREADS] for n in range(THREADS)]
    start = threading.Barrier(THREADS)
    outcomes: list[tuple[str, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(share: list[Any]) -> None:
        try:
            start.wait()
            for item in share:
                result = deliver(item)
                with lock:
                    outcomes.append(result)
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(outcomes) == len(deliveries)
    return outcomes


def _effective(outcomes: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Per event id, the outcomes other than `duplicate`."""
    found: dict[str, list[str]] = defaultdict(list)
    for event_id, outcome in outcomes:
        found[event_id].extend([] if outcome == DUPLICATE else [outcome])
    return dict(found)


def _check_each_took_effect_once(scene: Scene, outcomes: list[tuple[str, str]]) -> None:
    effective = _effective(outcomes)
    assert {event_id: len(found) for event_id, found in effective.items()} == {
        "evt_ann_paid": 1,
        "evt_ben_declined": 1,
        "evt_cara_refund_pending": 1,
        "evt_cara_refund_succeeded": 1,
        "evt_dee_card_2031": 1,
        "evt_dee_card_2032": 1,
    }
    assert effective["evt_ann_paid"] == ["payment succeeded"]
    assert effective["evt_ben_declined"] == ["payment declined"]
    assert effective["evt_cara_refund_succeeded"] == ["refund succeeded"]
    assert effective["evt_cara_refund_pending"][0] in ("refund still pending", "already settled")
    assert effective["evt_dee_card_2032"] == ["card updated"]
    assert effective["evt_dee_card_2031"][0] in ("card updated", "older than the last update")
    assert sorted(GatewayEvent.objects.values_list("event_id", flat=True)) == sorted(effective)

    ann_invoice = _invoice(scene.ann)
    assert (ann_invoice.status, ann_invoice.amount_paid) == (InvoiceStatus.PAID, 10_000)
    ben_invoice = _invoice(scene.ben)
    assert (ben_invoice.status, ben_invoice.failed_attempts, ben_invoice.next_retry_on) == (
        InvoiceStatus.OPEN,
        1,
        date(2027, 3, 2),
    )
    scene.ben.refresh_from_db()
    assert scene.ben.status == MembershipStatus.PAST_DUE
    assert Notice.objects.filter(kind="payment_failed").count() == 1
    scene.cara_refund.refresh_from_db()
    assert (scene.cara_refund.status, scene.cara_refund.reference) == (
        StoredRefundStatus.SUCCEEDED,
        "re_cara",
    )
    assert PaymentAttempt.objects.get(pk=scene.cara_refund.attempt_id).amount_refunded == 4_000
    scene.dee_card.refresh_from_db()
    assert (scene.dee_card.exp_month, scene.dee_card.exp_year, scene.dee_card.last4) == (
        6,
        2032,
        "4343",
    )

    # Cara's and Dee's payments at enrollment, and Ann's, each once; one refund.
    assert JournalEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 3
    assert JournalEntry.objects.filter(kind=EntryKind.REFUND).count() == 1
    assert journal_sum() == 0
    totals = journal_totals()
    assert (totals["cash"], totals["revenue"] + totals.get("refunds", 0)) == (26_000, -36_000)


def test_events_replayed_three_times_from_four_threads_take_effect_once(scene):
    outcomes = _deliver(
        _events(scene),
        lambda event: (
            event["id"],
            gateway_event_process(gateway="stripe", event=_verified(event)),
        ),
    )

    _check_each_took_effect_once(scene, outcomes)


def test_events_delivered_newest_first_leave_the_newest_state(scene):
    outcomes = [
        (event["id"], gateway_event_process(gateway="stripe", event=_verified(event)))
        for event in reversed(_events(scene))
    ]

    assert dict(outcomes)["evt_dee_card_2031"] == "older than the last update"
    assert dict(outcomes)["evt_cara_refund_pending"] == "already settled"
    _check_each_took_effect_once(scene, outcomes)


def test_signed_events_replayed_to_the_endpoint_from_four_threads_take_effect_once(scene, settings):
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = TEST_WEBHOOK_SECRET
    signed = [
        (event["id"], *signed_webhook(event, TEST_WEBHOOK_SECRET, at=clock.now()))
        for event in _events(scene)
    ]

    def post(item: tuple[str, bytes, dict[str, str]]) -> tuple[str, str]:
        event_id, payload, headers = item
        response = Client().post(
            URL, data=payload, content_type="application/json", headers=headers
        )
        assert response.status_code == 200, response.content
        return event_id, response.json()["outcome"]

    outcomes = _deliver(signed, post)

    _check_each_took_effect_once(scene, outcomes)
