"""Annual renewals: the payer is told 30 and 7 days before (the clinic may choose other
days), each notice once however often the run goes, and the membership renews, or ends when
its plan does not renew. Staff see the renewals coming and the memberships at risk.

Ann Lee pays Essentials Annual, 1000.00 a year from January 15 2027, by card at Riverbend
Clinic; it renews on January 15 2028.
"""

from datetime import date, timedelta

import pytest

from careloop.billing.models import (
    AfterFinalFailure,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Notice,
    OverageBilling,
)
from careloop.billing.selectors.overview import memberships_at_risk, upcoming_renewals
from careloop.billing.services.renewals import renewal_notices_send
from careloop.billing.services.runs import billing_run
from careloop.billing.services.settings import billing_settings_update
from careloop.billing.tests.builders import DECLINING_CARD, committed, with_card
from careloop.core import clock
from careloop.core.models import ClinicSettings
from careloop.memberships.models import Membership, MembershipStatus, Plan
from careloop.memberships.periods import Interval
from careloop.memberships.services.lifecycle import membership_cancel
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    freeze_on,
    give_visits,
    make_plan,
    make_reason,
)
from careloop.notifications.models import OutboxMessage
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db

START = date(2027, 1, 15)
RENEWS_ON = date(2028, 1, 15)
CLINIC = "Riverbend Clinic"


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def run_on(day: date) -> None:
    freeze_on(day)
    billing_run(as_of=day)


def notified_on() -> list[date]:
    """The days renewal notices went out, oldest first."""
    zone = clock.clinic_zone()
    return [
        notice.sent_at.astimezone(zone).date()
        for notice in Notice.objects.filter(kind="renewal").order_by("sent_at", "id")
    ]


def renewal_messages() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind="billing.renewal").order_by("created_at"))


def notice_days(actor, *notice_days: int) -> None:
    billing_settings_update(
        actor=actor,
        retry_days=[1, 1, 5],
        after_final_failure=AfterFinalFailure.STAY_PAST_DUE,
        renewal_notice_days=list(notice_days),
        overage_billing=OverageBilling.NEXT_INVOICE,
        card_expiry_notice_days=14,
    )


def annual_member(actor, plan: Plan, given: str = "Ann", family: str = "Lee") -> Membership:
    freeze_on(START)
    payer = make_patient(given=given, family=family)
    with_card(payer)
    with committed():
        return enroll(actor, plan, payer, start=START, interval=Interval.ANNUAL)


@pytest.fixture
def essentials(db) -> Plan:
    freeze_on(START)
    ClinicSettings.objects.create(name=CLINIC)
    plan = make_plan(code="essentials", rank=1, name="Essentials Annual", annual=100_000)
    give_visits(plan)
    return plan


@pytest.fixture
def ann(admin, essentials) -> Membership:
    return annual_member(admin, essentials)


def test_the_payer_is_told_on_december_16_and_january_8_once_each(ann):
    for day in days(date(2027, 12, 1), date(2028, 1, 14)):
        run_on(day)
        billing_run(as_of=day)

    assert notified_on() == [date(2027, 12, 16), date(2028, 1, 8)]
    messages = renewal_messages()
    assert [message.recipient for message in messages] == ["ann.lee@example.invalid"] * 2
    for message in messages:
        assert message.subject == f"{CLINIC}: your membership renews soon"
        assert message.body == (
            f"Your annual membership with {CLINIC} renews on January 15, 2028. "
            "To change your card or your plan, contact the clinic."
        )
        assert "Essentials" not in message.body


def test_on_january_15_2028_the_membership_renews_and_is_charged(ann):
    run_on(RENEWS_ON)

    renewal = Invoice.objects.get(membership=ann, kind=InvoiceKind.RENEWAL)
    assert (renewal.period_start, renewal.period_end) == (RENEWS_ON, date(2029, 1, 15))
    assert (renewal.status, renewal.amount_paid) == (InvoiceStatus.PAID, 100_000)
    ann.refresh_from_db()
    assert ann.status == MembershipStatus.ACTIVE


def test_the_clinic_chooses_other_notice_days(admin, ann):
    notice_days(admin, 60, 14, 1)

    for day in days(date(2027, 11, 1), date(2028, 1, 14)):
        run_on(day)

    assert notified_on() == [date(2027, 11, 16), date(2028, 1, 1), date(2028, 1, 14)]


def test_days_without_a_run_send_only_the_latest_notice_that_applies(ann):
    run_on(date(2027, 12, 20))
    run_on(date(2028, 1, 10))
    run_on(date(2028, 1, 12))

    assert notified_on() == [date(2027, 12, 20), date(2028, 1, 10)]
    assert Notice.objects.filter(kind="renewal").count() == 2


def test_a_first_run_inside_the_last_week_sends_one_notice_not_two(ann):
    run_on(date(2028, 1, 10))

    assert notified_on() == [date(2028, 1, 10)]


def test_a_plan_that_does_not_renew_is_announced_as_ending_and_ends(admin, essentials):
    term = make_plan(code="term", rank=2, name="Essentials Term", annual=100_000, renews=False)
    ann = annual_member(admin, term)

    for day in (date(2027, 12, 16), date(2028, 1, 8), RENEWS_ON):
        run_on(day)

    [first, last] = renewal_messages()
    assert first.subject == f"{CLINIC}: your membership ends soon"
    assert "ends on January 15, 2028." in last.body
    assert "renews" not in first.body + last.body
    ann.refresh_from_db()
    assert (ann.status, ann.cancelled_on) == (MembershipStatus.CANCELLED, RENEWS_ON)
    assert not Invoice.objects.filter(membership=ann, kind=InvoiceKind.RENEWAL).exists()


def test_a_notice_is_not_kept_when_its_message_could_not_be_written(ann, monkeypatch):
    freeze_on(date(2027, 12, 16))

    def outbox_down(messages):
        raise ConnectionError("The outbox could not be written.")

    with monkeypatch.context() as broken:
        broken.setattr("careloop.billing.services.notices.notifications_enqueue_many", outbox_down)
        with pytest.raises(ConnectionError):
            renewal_notices_send(as_of=date(2027, 12, 16))
    assert not Notice.objects.exists()

    renewal_notices_send(as_of=date(2027, 12, 16))

    assert notified_on() == [date(2027, 12, 16)]
    assert len(renewal_messages()) == 1


def test_staff_see_the_annual_renewals_of_the_next_30_days(admin, essentials, ann):
    term = make_plan(code="term", rank=2, name="Essentials Term", annual=100_000, renews=False)
    ben = annual_member(admin, term, given="Ben", family="Ortiz")
    freeze_on(date(2027, 1, 16))
    cleo = make_patient(given="Cleo", family="Park")
    with_card(cleo)
    with committed():
        enroll(admin, essentials, cleo, start=date(2027, 1, 16), interval=Interval.ANNUAL)

    found = upcoming_renewals(today=date(2027, 12, 16))

    assert [(row.membership, row.payer, row.on, row.renews) for row in found] == [
        (ann, "Ann Lee", RENEWS_ON, True),
        (ben, "Ben Ortiz", RENEWS_ON, False),
    ]


def test_staff_see_who_is_at_risk_past_due_card_expiring_or_cancelling(admin, essentials, ann):
    freeze_on(date(2027, 11, 1))
    monthly = make_plan(code="monthly", rank=3, name="Essentials Monthly", monthly=10_000)
    dee = make_patient(given="Dee", family="Shah")
    with_card(dee)
    with committed():
        dees = enroll(admin, monthly, dee, start=date(2027, 11, 1))
    with_card(dee, DECLINING_CARD)
    eve = make_patient(given="Eve", family="Moss")
    with_card(eve)
    with committed():
        eves = enroll(admin, monthly, eve, start=date(2027, 11, 1))
    run_on(date(2027, 12, 1))
    fay = make_patient(given="Fay", family="Quinn")
    with_card(fay, "tok_sandbox_expiring")
    with committed():
        fays = enroll(admin, monthly, fay, start=date(2027, 12, 1))
    freeze_on(date(2027, 12, 16))
    with committed():
        membership_cancel(actor=admin, membership=eves, reason=make_reason(), at_period_end=True)

    found = memberships_at_risk()

    assert [(row.membership, row.payer, row.reason) for row in found] == [
        (dees, "Dee Shah", "Past due"),
        (fays, "Fay Quinn", "Card expires before the charge on Jan 1, 2028"),
        (eves, "Eve Moss", "Cancellation scheduled for Jan 1, 2028"),
    ]
