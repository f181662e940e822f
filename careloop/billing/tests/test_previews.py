"""A preview shows what a change would bill, and changes nothing."""

from datetime import date

import pytest

from careloop.billing.models import Invoice, JournalEntry, PaymentAttempt
from careloop.billing.services.previews import billing_preview
from careloop.billing.tests.builders import committed, with_card
from careloop.memberships.errors import IllegalTransition
from careloop.memberships.models import MemberRole, Membership, ScheduledChange
from careloop.memberships.services.lifecycle import (
    membership_cancel,
    membership_downgrade,
    membership_remove_member,
    membership_upgrade,
)
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    make_plan,
    make_reason,
)
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(admin):
    freeze_on(date(2026, 1, 1))
    essentials = make_plan(code="essentials", rank=1, monthly=10_000)
    active_care = make_plan(code="active-care", rank=2, monthly=15_000)
    ann = make_patient(given="Ann")
    with_card(ann)
    with committed():
        membership = enroll(admin, essentials, ann, start=date(2026, 1, 1))
    freeze_on(date(2026, 1, 11))
    return membership, essentials, active_care


def _state():
    return (
        list(Invoice.objects.values_list("id", "status")),
        JournalEntry.objects.count(),
        PaymentAttempt.objects.count(),
        list(Membership.objects.values_list("id", "plan_id", "status")),
        ScheduledChange.objects.count(),
    )


def test_an_upgrade_preview_shows_the_lines_and_the_charge_and_changes_nothing(admin, setup):
    membership, _, active_care = setup
    before = _state()
    with committed():
        preview = billing_preview(
            actor=admin,
            membership=membership,
            change=lambda: membership_upgrade(actor=admin, membership=membership, plan=active_care),
        )
    assert [(line.kind, line.amount) for line in preview.invoices[0].lines] == [
        ("proration_credit", -6_774),
        ("proration_charge", 10_161),
    ]
    assert preview.charged_now == 3_387
    assert preview.effective_on == date(2026, 1, 11)
    assert _state() == before


def test_a_preview_of_a_downgrade_at_period_end_shows_the_next_invoice_date(admin, setup):
    membership, essentials, active_care = setup
    membership_upgrade(actor=admin, membership=membership, plan=active_care)
    before = _state()
    preview = billing_preview(
        actor=admin,
        membership=membership,
        change=lambda: membership_downgrade(
            actor=admin, membership=membership, plan=essentials, at_period_end=True
        ),
    )
    assert preview.effective_on == date(2026, 2, 1)
    [renewal] = preview.invoices
    assert (renewal.period_start, renewal.period_end) == (date(2026, 2, 1), date(2026, 3, 1))
    assert [(line.kind, line.amount) for line in renewal.lines] == [("period", 10_000)]
    assert _state() == before


def test_a_preview_for_a_cancelled_membership_is_refused(admin, setup):
    membership, _, active_care = setup
    membership_cancel(actor=admin, membership=membership, reason=make_reason())
    before = _state()
    with pytest.raises(IllegalTransition):
        billing_preview(
            actor=admin,
            membership=membership,
            change=lambda: membership_upgrade(actor=admin, membership=membership, plan=active_care),
        )
    assert _state() == before


def test_a_preview_that_issues_no_invoice_still_shows_the_payers_credit(admin):
    freeze_on(date(2026, 1, 1))
    plan = make_plan(code="household", rank=1, monthly=10_000)
    head, partner, _ = family()
    with_card(head)
    with committed():
        membership = enroll(admin, plan, head, (partner, MemberRole.ADULT), start=date(2026, 1, 1))
    freeze_on(date(2026, 1, 11))
    # The partner's 21 unused days of 5,000 go to the payer's credit.
    membership_remove_member(actor=admin, membership=membership, patient=partner)
    before = _state()

    preview = billing_preview(
        actor=admin,
        membership=membership,
        change=lambda: membership_cancel(
            actor=admin, membership=membership, reason=make_reason(), at_period_end=True
        ),
    )

    assert (preview.invoices, preview.charged_now, preview.credit_after) == ((), 0, 3_387)
    assert _state() == before
