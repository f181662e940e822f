"""Dunning on a monthly membership: a failed charge makes the membership past due, tells the
payer with the secure card link (no clinical detail) and puts the invoice on the staff's
failed-payments queue; retries follow the schedule (default 1, 1, 5 days after the previous
failure) and a new card is charged at once; after the last failure the clinic's policy
(cancel, or stay past due) applies once, with notice.

Dana Reyes pays Essentials (two provider visits a month), 100.00 a month from February 1 2027,
by card at Riverbend Clinic. Before the March 1 2027 renewal she switched to a card that
declines (insufficient funds).
"""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.billing.gateways.sandbox import SandboxGateway
from careloop.billing.links import account_from_token
from careloop.billing.models import (
    AfterFinalFailure,
    AttemptStatus,
    AttemptTrigger,
    Invoice,
    InvoiceStatus,
    Notice,
    OverageBilling,
)
from careloop.billing.selectors.balances import account_balance
from careloop.billing.selectors.overview import failed_payments
from careloop.billing.services.accounts import payment_method_remove
from careloop.billing.services.collection import collect_after_new_card, payment_attempts_settle
from careloop.billing.services.dunning import invoices_retry_due
from careloop.billing.services.follow_up import invoice_collect_now, invoice_send_reminder
from careloop.billing.services.invoices import invoice_mark_uncollectible, invoice_void
from careloop.billing.services.renewals import renewal_notices_send
from careloop.billing.services.runs import billing_run
from careloop.billing.services.settings import billing_settings_update
from careloop.billing.tests.builders import (
    CARD,
    DECLINING_CARD,
    account_of,
    committed,
    with_card,
)
from careloop.core import clock
from careloop.core.errors import Conflict
from careloop.core.models import ClinicSettings
from careloop.memberships.models import MemberRole, Membership, MembershipStatus
from careloop.memberships.periods import Interval
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.memberships.services.lifecycle import membership_cancel
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    freeze_on,
    give_visits,
    make_household,
    make_plan,
    make_reason,
)
from careloop.notifications.models import OutboxMessage
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db

START = date(2027, 2, 1)
FAILED_ON = date(2027, 3, 1)
CLINIC = "Riverbend Clinic"
POLICIES = [
    (AfterFinalFailure.CANCEL, MembershipStatus.CANCELLED, "Your membership has been cancelled."),
    (
        AfterFinalFailure.STAY_PAST_DUE,
        MembershipStatus.PAST_DUE,
        "Your membership stays past due until it is paid.",
    ),
]
LINK = re.compile(r"https?://\S+/pay/card/(?P<token>[^/\s]+)/")


def set_policy(
    actor,
    *,
    retry_days=(1, 1, 5),
    after_final_failure=AfterFinalFailure.STAY_PAST_DUE,
    renewal_notice_days=(30, 7),
    card_expiry_notice_days=14,
):
    billing_settings_update(
        actor=actor,
        retry_days=list(retry_days),
        after_final_failure=after_final_failure,
        renewal_notice_days=list(renewal_notice_days),
        overage_billing=OverageBilling.NEXT_INVOICE,
        card_expiry_notice_days=card_expiry_notice_days,
    )


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def run_on(day: date) -> None:
    freeze_on(day)
    billing_run(as_of=day)


def every_job_twice(first: date, last: date) -> None:
    """Each day: the daily run twice (a rerun) and the payments task's retry sweep."""
    for day in days(first, last):
        run_on(day)
        billing_run(as_of=day)
        invoices_retry_due()


def renewal_of(membership: Membership, start: date = FAILED_ON) -> Invoice:
    return Invoice.objects.get(membership=membership, period_start=start)


def attempts(invoice: Invoice) -> list[tuple[date, str, str, int]]:
    zone = clock.clinic_zone()
    return [
        (
            attempt.created_at.astimezone(zone).date(),
            attempt.trigger,
            attempt.status,
            attempt.amount,
        )
        for attempt in invoice.attempts.order_by("id")
    ]


def card_link(body: str) -> re.Match[str]:
    """The secure card-update link a notice carries (failing the test when it has none)."""
    found = LINK.search(body)
    assert found is not None, body
    return found


def messages(kind: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=f"billing.{kind}").order_by("created_at"))


@pytest.fixture
def dana(admin) -> Membership:
    """Dana paid February; her card on file now declines."""
    freeze_on(START)
    ClinicSettings.objects.create(name=CLINIC)
    plan = make_plan(code="essentials", rank=1, name="Essentials", monthly=10_000)
    give_visits(plan)
    payer = make_patient(given="Dana", family="Reyes")
    with_card(payer)
    with committed():
        membership = enroll(admin, plan, payer, start=START)
    with_card(payer, DECLINING_CARD)
    return membership


def fail_renewal(membership: Membership) -> Invoice:
    run_on(FAILED_ON)
    return renewal_of(membership)


def test_a_declined_renewal_makes_the_membership_past_due_and_joins_the_queue(dana):
    renewal = fail_renewal(dana)

    dana.refresh_from_db()
    assert (renewal.status, renewal.failed_attempts, renewal.next_retry_on) == (
        InvoiceStatus.OPEN,
        1,
        date(2027, 3, 2),
    )
    assert dana.status == MembershipStatus.PAST_DUE
    [row] = failed_payments()
    assert (
        row.invoice,
        row.payer,
        row.amount_due,
        row.failures,
        row.last_decline,
        row.next_retry_on,
    ) == (
        renewal,
        "Dana Reyes",
        10_000,
        1,
        "The card was declined: insufficient funds.",
        date(2027, 3, 2),
    )


def test_retries_come_on_march_2_3_and_8_once_each_however_often_the_jobs_run(dana):
    renewal = fail_renewal(dana)
    next_retry = {}
    for day in days(FAILED_ON, date(2027, 3, 12)):
        every_job_twice(day, day)
        renewal.refresh_from_db()
        next_retry[day] = renewal.next_retry_on

    assert attempts(renewal) == [
        (date(2027, 3, 1), AttemptTrigger.RUN, AttemptStatus.DECLINED, 10_000),
        (date(2027, 3, 2), AttemptTrigger.RETRY, AttemptStatus.DECLINED, 10_000),
        (date(2027, 3, 3), AttemptTrigger.RETRY, AttemptStatus.DECLINED, 10_000),
        (date(2027, 3, 8), AttemptTrigger.RETRY, AttemptStatus.DECLINED, 10_000),
    ]
    assert next_retry == {
        date(2027, 3, 1): date(2027, 3, 2),
        date(2027, 3, 2): date(2027, 3, 3),
        **dict.fromkeys(days(date(2027, 3, 3), date(2027, 3, 7)), date(2027, 3, 8)),
        **dict.fromkeys(days(date(2027, 3, 8), date(2027, 3, 12))),
    }
    assert (renewal.status, renewal.failed_attempts) == (InvoiceStatus.OPEN, 4)


def test_a_schedule_of_2_then_3_days_retries_on_march_3_and_6(admin, dana):
    set_policy(admin, retry_days=(2, 3))
    renewal = fail_renewal(dana)

    every_job_twice(FAILED_ON, date(2027, 3, 10))

    assert [day for day, *_ in attempts(renewal)] == [
        date(2027, 3, 1),
        date(2027, 3, 3),
        date(2027, 3, 6),
    ]
    renewal.refresh_from_db()
    assert (renewal.failed_attempts, renewal.next_retry_on) == (3, None)
    assert len(messages("payment_failed")) == 2
    assert len(messages("payment_final_failure")) == 1


def test_a_new_card_is_charged_at_once_and_the_membership_is_active_again(dana):
    renewal = fail_renewal(dana)
    payer = dana.payer_patient

    with committed():
        with_card(payer)
        [attempt] = collect_after_new_card(account_of(payer), actor=None)

    assert (attempt.trigger, attempt.status, attempt.amount) == (
        AttemptTrigger.NEW_CARD,
        AttemptStatus.SUCCEEDED,
        10_000,
    )
    renewal.refresh_from_db()
    dana.refresh_from_db()
    assert (renewal.status, renewal.amount_paid, renewal.next_retry_on) == (
        InvoiceStatus.PAID,
        10_000,
        None,
    )
    assert dana.status == MembershipStatus.ACTIVE
    assert failed_payments() == []
    assert account_balance(account_of(payer)).owed == 0
    every_job_twice(date(2027, 3, 2), date(2027, 3, 9))
    assert len(attempts(renewal)) == 2


@pytest.mark.parametrize(("policy", "status", "says"), POLICIES)
def test_after_the_last_failure_the_clinics_policy_applies_with_one_notice(
    admin, dana, policy, status, says
):
    set_policy(admin, after_final_failure=policy)
    renewal = fail_renewal(dana)

    every_job_twice(FAILED_ON, date(2027, 3, 14))

    dana.refresh_from_db()
    assert dana.status == status
    [final] = messages("payment_final_failure")
    assert final.recipient == dana.payer_patient.email
    assert says in final.body
    assert Notice.objects.filter(kind="payment_final_failure").count() == 1
    assert attempts(renewal)[-1][0] == date(2027, 3, 8)
    assert len(attempts(renewal)) == 4


def test_the_payers_notices_carry_the_card_link_and_no_clinical_detail(admin, billing, dana):
    renewal = fail_renewal(dana)
    invoice_send_reminder(actor=billing, invoice=renewal)
    every_job_twice(date(2027, 3, 2), date(2027, 3, 8))

    sent = list(OutboxMessage.objects.filter(kind__startswith="billing.").order_by("created_at"))

    assert [message.kind for message in sent] == [
        "billing.payment_failed",
        "billing.payment_reminder",
        "billing.payment_failed",
        "billing.payment_failed",
        "billing.payment_final_failure",
    ]
    account = account_of(dana.payer_patient)
    for message in sent:
        assert message.recipient == "dana.reyes@example.invalid"
        assert account_from_token(card_link(message.body)["token"]) == account.pk
        for clinical in ("Essentials", "Provider visit", "visit"):
            assert clinical not in message.subject
            assert clinical not in message.body
    first = sent[0]
    assert first.subject == f"{CLINIC}: your payment did not go through"
    assert first.body == (
        f"We could not take your payment of $100.00 to {CLINIC}. We will try again on March 2. "
        f"To use another card, open this secure link: {card_link(first.body)[0]}"
    )


def test_retry_now_on_the_declining_card_counts_as_the_next_failure(billing, dana):
    renewal = fail_renewal(dana)

    attempt = invoice_collect_now(actor=billing, invoice=renewal)

    assert (attempt.trigger, attempt.actor, attempt.status) == (
        AttemptTrigger.STAFF,
        billing,
        AttemptStatus.DECLINED,
    )
    renewal.refresh_from_db()
    assert (renewal.failed_attempts, renewal.next_retry_on) == (2, date(2027, 3, 2))


def test_retry_now_with_the_payers_new_card_pays_and_leaves_the_queue(billing, dana):
    renewal = fail_renewal(dana)
    with_card(dana.payer_patient)

    with committed():
        attempt = invoice_collect_now(actor=billing, invoice=renewal)

    assert (attempt.status, attempt.amount) == (AttemptStatus.SUCCEEDED, 10_000)
    renewal.refresh_from_db()
    dana.refresh_from_db()
    assert (renewal.status, dana.status) == (InvoiceStatus.PAID, MembershipStatus.ACTIVE)
    assert failed_payments() == []


def test_a_reminder_goes_once_a_day_and_the_second_that_day_is_refused(billing, dana):
    renewal = fail_renewal(dana)

    first = invoice_send_reminder(actor=billing, invoice=renewal)
    with pytest.raises(Conflict) as refused:
        invoice_send_reminder(actor=billing, invoice=renewal)
    freeze_on(date(2027, 3, 2))
    next_day = invoice_send_reminder(actor=billing, invoice=renewal)

    assert (first.kind, next_day.kind) == ("payment_reminder", "payment_reminder")
    assert refused.value.code == "reminder_already_sent"
    [monday, tuesday] = messages("payment_reminder")
    assert f"$100.00 is due to {CLINIC} on invoice {renewal.number}" in monday.body
    assert account_from_token(card_link(tuesday.body)["token"]) == renewal.account_id


def test_waiving_the_failed_invoice_stops_the_retries_and_the_membership_is_active(billing, dana):
    renewal = fail_renewal(dana)

    invoice_void(actor=billing, invoice=renewal, reason="Waived: hardship")

    renewal.refresh_from_db()
    dana.refresh_from_db()
    assert (renewal.status, renewal.next_retry_on) == (InvoiceStatus.VOID, None)
    assert dana.status == MembershipStatus.ACTIVE
    assert failed_payments() == []
    assert account_balance(account_of(dana.payer_patient)).owed == 0
    every_job_twice(date(2027, 3, 2), date(2027, 3, 9))
    assert len(attempts(renewal)) == 1


def test_voiding_one_of_two_failed_invoices_keeps_the_membership_past_due(billing, dana):
    march = fail_renewal(dana)
    run_on(date(2027, 4, 1))
    april = renewal_of(dana, date(2027, 4, 1))
    assert april.failed_attempts == 1

    invoice_void(actor=billing, invoice=march, reason="Waived: hardship")
    dana.refresh_from_db()
    after_march = dana.status
    invoice_void(actor=billing, invoice=april, reason="Waived: hardship")
    dana.refresh_from_db()

    assert (after_march, dana.status) == (MembershipStatus.PAST_DUE, MembershipStatus.ACTIVE)


@pytest.mark.parametrize(("policy", "status", "says"), POLICIES)
def test_marking_the_failed_invoice_uncollectible_ends_the_retries_and_applies_the_policy(
    admin, billing, dana, policy, status, says
):
    set_policy(admin, after_final_failure=policy)
    renewal = fail_renewal(dana)

    invoice_mark_uncollectible(actor=billing, invoice=renewal, reason="The payer cannot pay")
    every_job_twice(date(2027, 3, 2), date(2027, 3, 10))

    renewal.refresh_from_db()
    dana.refresh_from_db()
    # Cancelled on March 1, the first day of the period it charged, Dana is credited all of
    # it, and that credit settles the invoice; kept past due, she still owes it.
    settled = (
        InvoiceStatus.PAID if policy == AfterFinalFailure.CANCEL else InvoiceStatus.UNCOLLECTIBLE
    )
    assert (renewal.status, renewal.next_retry_on) == (settled, None)
    assert len(attempts(renewal)) == 1
    assert dana.status == status
    [final] = messages("payment_final_failure")
    assert says in final.body
    assert account_from_token(card_link(final.body)["token"]) == renewal.account_id
    assert failed_payments() == []


def test_under_the_cancel_policy_marking_uncollectible_credits_the_unused_days_to_it(
    admin, billing, dana
):
    """Cancelled on March 2, Dana is credited 30 of March's 31 days (9677); the credit goes
    to the March invoice that charged them, leaving only the day she had (323) owed."""
    set_policy(admin, after_final_failure=AfterFinalFailure.CANCEL)
    renewal = fail_renewal(dana)
    freeze_on(date(2027, 3, 2))

    with committed():
        invoice_mark_uncollectible(actor=billing, invoice=renewal, reason="The payer cannot pay")

    renewal.refresh_from_db()
    assert (renewal.status, renewal.credit_applied, renewal.amount_due) == (
        InvoiceStatus.UNCOLLECTIBLE,
        9_677,
        323,
    )
    balance = account_balance(account_of(dana.payer_patient))
    assert (balance.owed, balance.credit) == (323, 0)


def test_marking_uncollectible_after_the_last_failure_tells_the_payer_nothing_more(billing, dana):
    renewal = fail_renewal(dana)
    every_job_twice(date(2027, 3, 2), date(2027, 3, 8))

    invoice_mark_uncollectible(actor=billing, invoice=renewal, reason="The payer cannot pay")

    dana.refresh_from_db()
    assert dana.status == MembershipStatus.PAST_DUE
    assert len(messages("payment_final_failure")) == 1


def test_marking_uncollectible_an_invoice_never_charged_makes_the_membership_past_due(
    billing, dana
):
    for card in account_of(dana.payer_patient).payment_methods.all():
        payment_method_remove(actor=None, method=card)
    run_on(FAILED_ON)
    renewal = renewal_of(dana)
    dana.refresh_from_db()
    assert (renewal.status, renewal.failed_attempts, dana.status) == (
        InvoiceStatus.OPEN,
        0,
        MembershipStatus.ACTIVE,
    )

    invoice_mark_uncollectible(actor=billing, invoice=renewal, reason="The payer cannot pay")

    dana.refresh_from_db()
    assert dana.status == MembershipStatus.PAST_DUE
    [final] = messages("payment_final_failure")
    assert "Your membership stays past due until it is paid." in final.body


def test_cancelling_the_membership_from_the_queue_leaves_only_the_day_it_covered_to_collect(
    billing, dana
):
    renewal = fail_renewal(dana)
    freeze_on(date(2027, 3, 2))

    with committed():
        membership_cancel(actor=billing, membership=dana, reason=make_reason())
    run_on(date(2027, 3, 2))

    dana.refresh_from_db()
    assert (dana.status, dana.cancelled_on) == (MembershipStatus.CANCELLED, date(2027, 3, 2))
    # 30 of March's 31 days unused: 9677 credited, so the retry asks for March 1 only.
    assert attempts(renewal)[-1] == (
        date(2027, 3, 2),
        AttemptTrigger.RETRY,
        AttemptStatus.DECLINED,
        323,
    )
    renewal.refresh_from_db()
    assert (renewal.credit_applied, renewal.amount_due) == (9_677, 323)
    balance = account_balance(account_of(dana.payer_patient))
    assert (balance.owed, balance.credit) == (323, 0)


def test_cancelled_after_the_last_failure_the_invoice_owes_only_the_days_covered(admin, dana):
    set_policy(admin, after_final_failure=AfterFinalFailure.CANCEL)
    renewal = fail_renewal(dana)

    every_job_twice(date(2027, 3, 2), date(2027, 3, 8))

    dana.refresh_from_db()
    assert (dana.status, dana.cancelled_on) == (MembershipStatus.CANCELLED, date(2027, 3, 8))
    # 24 of March's 31 days unused: 7742 credited; March 1 to 7 are still owed.
    renewal.refresh_from_db()
    assert (renewal.status, renewal.credit_applied, renewal.amount_due) == (
        InvoiceStatus.OPEN,
        7_742,
        2_258,
    )
    balance = account_balance(account_of(dana.payer_patient))
    assert (balance.owed, balance.credit) == (2_258, 0)


def test_retry_now_after_a_cancellation_charges_only_what_the_credit_leaves(billing, dana):
    renewal = fail_renewal(dana)
    freeze_on(date(2027, 3, 2))
    with committed():
        membership_cancel(actor=billing, membership=dana, reason=make_reason())

    attempt = invoice_collect_now(actor=billing, invoice=renewal)

    assert (attempt.trigger, attempt.amount) == (AttemptTrigger.STAFF, 323)


def test_a_new_card_after_a_cancellation_charges_only_what_the_credit_leaves(billing, dana):
    renewal = fail_renewal(dana)
    freeze_on(date(2027, 3, 2))
    with committed():
        membership_cancel(actor=billing, membership=dana, reason=make_reason())
    account = account_of(dana.payer_patient)
    with_card(dana.payer_patient)

    (attempt,) = collect_after_new_card(account, billing)

    assert attempt.invoice_id == renewal.pk
    assert (attempt.trigger, attempt.amount, attempt.status) == (
        AttemptTrigger.NEW_CARD,
        323,
        AttemptStatus.SUCCEEDED,
    )
    assert account_balance(account).credit == 0


def test_credit_from_a_cancelled_membership_pays_the_other_failed_renewal(admin, billing, dana):
    """Dana also pays Concierge (300.00 a month) for her son Sam from February 1; both March
    renewals fail. Cancelling Sam's on March 2 credits 30 of 31 days, 290.32: the retries
    that day take Dana's 100.00 from it, then 190.32 of Sam's 300.00, leaving 109.68."""
    freeze_on(START)
    concierge = make_plan(code="concierge", rank=2, name="Concierge", monthly=30_000)
    sam = make_patient(given="Sam", family="Reyes", date_of_birth=date(2012, 6, 1))
    make_household(dana.payer_patient, sam)
    with_card(dana.payer_patient)
    with committed():
        sams = membership_enroll(
            actor=admin,
            plan=concierge,
            interval=Interval.MONTHLY,
            payer_patient=dana.payer_patient,
            members=[MemberSpec(patient=sam, role=MemberRole.PRIMARY)],
            start_date=START,
            payment_method_on_file=True,
        )
    with_card(dana.payer_patient, DECLINING_CARD)
    dana_march = fail_renewal(dana)
    sam_march = renewal_of(sams)
    freeze_on(date(2027, 3, 2))
    with committed():
        membership_cancel(actor=billing, membership=sams, reason=make_reason())

    run_on(date(2027, 3, 2))

    dana_march.refresh_from_db()
    sam_march.refresh_from_db()
    dana.refresh_from_db()
    assert (dana_march.status, dana_march.credit_applied, dana.status) == (
        InvoiceStatus.PAID,
        10_000,
        MembershipStatus.ACTIVE,
    )
    assert len(attempts(dana_march)) == 1
    assert (sam_march.credit_applied, sam_march.amount_due) == (19_032, 10_968)
    assert attempts(sam_march)[-1][3] == 10_968


@pytest.fixture
def expiring(admin) -> Membership:
    """Eli Ward pays 100.00 a month from February 1 2027 with a card that expires in
    February 2027, before his March 1 charge."""
    freeze_on(START)
    plan = make_plan(code="essentials", rank=1, name="Essentials", monthly=10_000)
    payer = make_patient(given="Eli", family="Ward")
    card = with_card(payer, "tok_sandbox_expiring")
    assert (card.exp_month, card.exp_year) == (2, 2027)
    with committed():
        return enroll(admin, plan, payer, start=START)


def test_a_card_expiring_before_the_next_charge_gets_one_reminder_two_weeks_before(expiring):
    for day in days(date(2027, 2, 2), date(2027, 2, 28)):
        run_on(day)
        billing_run(as_of=day)

    [message] = messages("card_expiring")
    [notice] = Notice.objects.filter(kind="card_expiring")
    assert notice.sent_at.astimezone(clock.clinic_zone()).date() == date(2027, 2, 15)
    assert message.recipient == "eli.ward@example.invalid"
    assert "The card ending 1881 expires before your next payment" in message.body
    assert "on March 1, 2027" in message.body
    assert account_from_token(card_link(message.body)["token"]) == notice.account_id


def test_the_reminders_of_a_day_read_the_cards_of_all_its_payers_at_once(admin, expiring):
    """Five more payers due on March 1, three of them with cards expiring in February: the
    reminders of February 15 go to the four whose cards expire, and the cards on file are
    read in one statement, not one per payer (a large clinic has thousands due)."""
    plan = expiring.plan
    for number, token in enumerate(["tok_sandbox_expiring"] * 3 + [CARD] * 2):
        payer = make_patient(given=f"Payer{number}", family="Ward")
        with_card(payer, token)
        with committed():
            enroll(admin, plan, payer, start=START)
    freeze_on(date(2027, 2, 15))

    with CaptureQueriesContext(connection) as queries:
        renewal_notices_send(as_of=date(2027, 2, 15))

    recipients = sorted(message.recipient for message in messages("card_expiring"))
    assert recipients == [
        "eli.ward@example.invalid",
        "payer0.ward@example.invalid",
        "payer1.ward@example.invalid",
        "payer2.ward@example.invalid",
    ]
    card_reads = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT") and "billing_paymentmethod" in query["sql"]
    ]
    assert len(card_reads) == 1


def test_a_card_good_through_the_month_of_the_charge_gets_no_reminder(expiring):
    account_of(expiring.payer_patient).payment_methods.update(exp_month=3)

    for day in days(date(2027, 2, 14), date(2027, 2, 28)):
        run_on(day)

    assert messages("card_expiring") == []


def test_a_run_after_missed_days_retries_once_and_bills_the_missed_period(dana):
    march = fail_renewal(dana)

    run_on(date(2027, 4, 3))

    april = renewal_of(dana, date(2027, 4, 1))
    assert attempts(march) == [
        (date(2027, 3, 1), AttemptTrigger.RUN, AttemptStatus.DECLINED, 10_000),
        (date(2027, 4, 3), AttemptTrigger.RETRY, AttemptStatus.DECLINED, 10_000),
    ]
    assert attempts(april) == [
        (date(2027, 4, 3), AttemptTrigger.RUN, AttemptStatus.DECLINED, 10_000),
    ]
    march.refresh_from_db()
    april.refresh_from_db()
    assert (march.failed_attempts, march.next_retry_on) == (2, date(2027, 4, 4))
    assert (april.failed_attempts, april.next_retry_on) == (1, date(2027, 4, 4))
    every_job_twice(date(2027, 4, 4), date(2027, 4, 4))
    assert [len(attempts(march)), len(attempts(april))] == [3, 2]


def _unreachable(*args, **kwargs):
    raise ConnectionError("The connection to the gateway dropped before the charge was sent.")


def test_a_first_charge_that_never_reached_the_gateway_is_charged_again_the_same_day(
    dana, monkeypatch
):
    with monkeypatch.context() as gateway_down:
        gateway_down.setattr(SandboxGateway, "charge", _unreachable)
        with pytest.raises(ConnectionError):
            run_on(FAILED_ON)
    renewal = renewal_of(dana)
    clock.advance(timedelta(minutes=10))

    assert payment_attempts_settle() == 1
    renewal.refresh_from_db()
    assert renewal.failed_attempts == 0
    invoices_retry_due()

    assert attempts(renewal) == [
        (FAILED_ON, AttemptTrigger.RUN, AttemptStatus.FAILED, 10_000),
        (FAILED_ON, AttemptTrigger.RETRY, AttemptStatus.DECLINED, 10_000),
    ]
    assert renewal.attempts.order_by("id")[0].failure_code == "not_sent"
    renewal.refresh_from_db()
    assert (renewal.failed_attempts, renewal.next_retry_on) == (1, date(2027, 3, 2))


def test_a_retry_that_never_reached_the_gateway_is_tried_again_not_left_stuck(dana, monkeypatch):
    renewal = fail_renewal(dana)
    freeze_on(date(2027, 3, 2))
    with monkeypatch.context() as gateway_down:
        gateway_down.setattr(SandboxGateway, "charge", _unreachable)
        with pytest.raises(ConnectionError):
            invoices_retry_due()
    clock.advance(timedelta(minutes=10))

    payment_attempts_settle()
    invoices_retry_due()

    assert [(day, status) for day, _, status, _ in attempts(renewal)] == [
        (date(2027, 3, 1), AttemptStatus.DECLINED),
        (date(2027, 3, 2), AttemptStatus.FAILED),
        (date(2027, 3, 2), AttemptStatus.DECLINED),
    ]
    renewal.refresh_from_db()
    assert (renewal.failed_attempts, renewal.next_retry_on) == (2, date(2027, 3, 3))
    every_job_twice(date(2027, 3, 3), date(2027, 3, 8))
    assert [day for day, *_ in attempts(renewal)][-2:] == [date(2027, 3, 3), date(2027, 3, 8)]
