"""`careloop billing`: a run from the command line, its summary, and clear refusals.

Essentials at 10000 a month from February 1 2026: Ann's card pays, Cal's declines, so the
run on March 1 issues two invoices for $200.00 and collects $100.00.
"""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from careloop.billing.models import BillingRun, Invoice, RunStatus
from careloop.billing.services import runs
from careloop.billing.services.membership_billing import membership_bill_period
from careloop.billing.tests.builders import DECLINING_CARD, committed, with_card
from careloop.memberships.models import Membership
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db

MARCH_FIRST = date(2026, 3, 1)


@pytest.fixture
def members(admin) -> list[Membership]:
    freeze_on(date(2026, 2, 1))
    plan = make_plan(code="essentials", rank=1, monthly=10_000)
    enrolled = []
    for given, card in (("Ann", None), ("Cal", DECLINING_CARD)):
        payer = make_patient(given=given)
        with_card(payer)
        with committed():
            enrolled.append(enroll(admin, plan, payer, start=date(2026, 2, 1)))
        if card is not None:
            with_card(payer, card)
    freeze_on(MARCH_FIRST)
    return enrolled


def billing(*arguments: str) -> str:
    out = StringIO()
    call_command("billing", *arguments, stdout=out)
    return out.getvalue()


def test_run_prints_a_summary_an_operator_understands(members):
    output = billing("run", "--as-of", "2026-03-01")

    run = BillingRun.objects.get()
    assert output.splitlines() == [
        f"Billing run {run.pk} as of 2026-03-01: finished.",
        "Memberships billed: 2",
        "Invoices issued: 2 for $200.00",
        "Charges: 1 succeeded, 1 failed; $100.00 collected",
        "Retries of failed payments: 0",
        "Errors: none",
    ]


def test_run_without_a_date_bills_as_of_today(members):
    billing("run")
    assert BillingRun.objects.get().as_of == MARCH_FIRST


def test_a_rerun_for_the_same_day_prints_nothing_issued(members):
    billing("run", "--as-of", "2026-03-01")

    output = billing("run", "--as-of", "2026-03-01")

    assert "Memberships billed: 0" in output
    assert "Invoices issued: 0 for $0.00" in output
    assert "Charges: 0 succeeded, 0 failed; $0.00 collected" in output
    assert Invoice.objects.filter(period_start=MARCH_FIRST).count() == 2


def test_start_work_and_finish_share_one_run(members):
    run_id = billing("start", "--as-of", "2026-03-01").strip()
    run = BillingRun.objects.get()
    assert run_id == str(run.pk)

    assert billing("work", run_id) == f"Billing run {run_id}: this worker billed 2 memberships.\n"
    assert billing("work", run_id) == f"Billing run {run_id}: this worker billed 0 memberships.\n"
    output = billing("finish", run_id)

    assert output.splitlines()[0] == f"Billing run {run_id} as of 2026-03-01: finished."
    assert "Invoices issued: 2 for $200.00" in output
    assert BillingRun.objects.get().status == RunStatus.FINISHED


def test_finish_says_what_is_still_due_when_no_worker_took_it(members):
    run_id = billing("start", "--as-of", "2026-03-01").strip()

    output = billing("finish", run_id)

    assert "Memberships billed: 0" in output
    assert output.splitlines()[-1] == (
        "Still due: 2 memberships not billed; run billing again (a worker may have stopped) "
        "or see the errors."
    )
    assert "Invoices issued: 2" in billing("run", "--as-of", "2026-03-01")


def test_settle_says_how_many_charges_it_settled(members):
    assert billing("settle") == (
        "Settled 0 charges whose outcome was unknown; 0 still waiting for an answer.\n"
    )


def test_a_run_with_errors_prints_its_summary_and_exits_with_status_1(
    members, monkeypatch, settings
):
    _ann, cal = members
    # An error comes from the per-membership path (the batch path falls back to it).
    settings.BILLING_BATCH_PATH = False

    def refuse_cal(*, billing, run=None):
        if billing.membership_id == cal.pk:
            raise ValueError("the price version is missing")
        return membership_bill_period(billing=billing, run=run)

    monkeypatch.setattr(runs, "membership_bill_period", refuse_cal)
    out = StringIO()

    with pytest.raises(CommandError, match="recorded 1 error") as refused:
        call_command("billing", "run", "--as-of", "2026-03-01", stdout=out)

    assert refused.value.returncode == 1
    assert (
        f"Errors: 1 membership could not be billed. Last: Membership {cal.pk}: "
        "the price version is missing"
    ) in out.getvalue()
    assert "Invoices issued: 1 for $100.00" in out.getvalue()
    assert "Still due: 1 membership not billed; run billing again" in out.getvalue()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("run", "--as-of", "1-3-2026"), "--as-of must be a date written YYYY-MM-DD"),
        (("run", "--as-of", "2026-02-30"), "--as-of must be a date written YYYY-MM-DD"),
        (("start", "--as-of", "20260301"), "--as-of must be a date written YYYY-MM-DD"),
        (("run", "--as-of", "2026-03-02"), r"--as-of must not be after today \(2026-03-01\)"),
        (("work", "12345"), "RUN_ID: there is no billing run 12345"),
        (("finish", "last"), "RUN_ID must be a billing run's number, not 'last'"),
        ((), "the following arguments are required: ACTION"),
    ],
)
def test_bad_input_is_refused_naming_the_argument_and_changes_nothing(members, arguments, message):
    with pytest.raises(CommandError, match=message):
        billing(*arguments)
    assert not BillingRun.objects.exists()
    assert not Invoice.objects.filter(period_start=MARCH_FIRST).exists()


@pytest.mark.parametrize("action", ["work", "finish"])
def test_a_finished_run_is_refused(members, action):
    billing("run", "--as-of", "2026-03-01")
    run = BillingRun.objects.get()

    with pytest.raises(CommandError, match=f"RUN_ID: Billing run {run.pk} .* has finished"):
        billing(action, str(run.pk))
