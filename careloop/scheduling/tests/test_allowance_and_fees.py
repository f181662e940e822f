"""What a visit's status change does to the allowance and to billing: cancelling in time
releases the hold, completion uses it, a late cancel or no-show uses or releases it per the
type's policy and invoices the type's fee once."""

from datetime import timedelta

import pytest

from careloop.billing.models import Invoice, InvoiceKind
from careloop.billing.services.visit_fees import appointment_fee_invoice
from careloop.billing.tests.builders import with_card
from careloop.core import clock
from careloop.memberships.models import EntitlementEntry, EntryKind
from careloop.memberships.selectors.balances import allowance_period, benefit_balance
from careloop.scheduling.services.status import (
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_mark_no_show,
)
from careloop.scheduling.tests.builders import TUESDAY, local
from careloop.scheduling.tests.membership_builders import (
    A_LA_CARTE,
    MEMBER_PRICE,
    MemberClinic,
    member_clinic,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(provider) -> MemberClinic:
    return member_clinic(provider)


def _available(membership, patient) -> int | None:
    benefit = membership.plan.benefits.get()
    period = allowance_period(membership=membership, benefit=benefit, day=TUESDAY)
    return benefit_balance(
        membership=membership, patient_id=patient.pk, benefit=benefit, period=period
    ).available


def _kinds(appointment) -> list[str]:
    return list(
        EntitlementEntry.objects.filter(source_id=str(appointment.pk))
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_cancelling_in_time_releases_the_hold_and_charges_nothing(clinic, front_desk, patient_ann):
    membership = clinic.enroll(patient_ann)
    visit = clinic.book(front_desk, patient_ann, local(TUESDAY, 10))
    assert _available(membership, patient_ann) == 1

    appointment_cancel(actor=front_desk, appointment=visit)

    assert _kinds(visit) == [EntryKind.HOLD, EntryKind.RELEASE]
    assert _available(membership, patient_ann) == 2
    assert not Invoice.objects.exists()


def test_completing_a_covered_visit_uses_its_hold(clinic, front_desk, provider, patient_ann):
    membership = clinic.enroll(patient_ann)
    visit = clinic.book(front_desk, patient_ann, local(TUESDAY, 10))
    clock.freeze(local(TUESDAY, 10, 5))

    appointment_check_in(actor=front_desk, appointment=visit)
    appointment_complete(actor=provider, appointment=visit)

    assert _kinds(visit) == [EntryKind.HOLD, EntryKind.CONSUME]
    assert _available(membership, patient_ann) == 1
    assert not Invoice.objects.exists()


def test_completing_a_visit_beyond_the_allowance_records_it_at_the_member_price(
    clinic, front_desk, provider, patient_ann
):
    clinic.enroll(patient_ann)
    clinic.book(front_desk, patient_ann, local(TUESDAY, 9))
    clinic.book(front_desk, patient_ann, local(TUESDAY, 10))
    extra = clinic.book(
        front_desk, patient_ann, local(TUESDAY, 11), acknowledged_price=MEMBER_PRICE
    )
    clock.freeze(local(TUESDAY, 11, 5))

    appointment_check_in(actor=front_desk, appointment=extra)
    appointment_complete(actor=provider, appointment=extra)

    use = EntitlementEntry.objects.get(source_id=str(extra.pk))
    assert (use.kind, use.unit_price) == (EntryKind.OVERAGE, MEMBER_PRICE)


def test_a_late_cancel_keeps_the_use_and_invoices_the_fee_once(clinic, front_desk, patient_ann):
    clinic.visit.late_cancel_fee = 4000
    clinic.visit.save()
    membership = clinic.enroll(patient_ann)
    visit = clinic.book(front_desk, patient_ann, local(TUESDAY, 10))
    clock.freeze(local(TUESDAY, 10) - timedelta(hours=3))

    appointment_cancel(actor=front_desk, appointment=visit)

    assert visit.late_cancel
    assert _kinds(visit) == [EntryKind.HOLD, EntryKind.CONSUME]
    assert _available(membership, patient_ann) == 1
    invoice = Invoice.objects.get()
    assert (invoice.kind, invoice.key, invoice.total, invoice.account.patient) == (
        InvoiceKind.FEES,
        f"appointment-fee:{visit.pk}",
        4000,
        patient_ann,
    )
    line = invoice.lines.get()
    assert (line.amount, line.description) == (
        4000,
        "Late cancellation fee: Provider visit on Jun 2, 2026",
    )
    again = appointment_fee_invoice(
        appointment_id=visit.pk,
        patient=patient_ann,
        membership=membership,
        amount=4000,
        description="repeated",
        visit_day=TUESDAY,
    )
    assert again == invoice
    assert Invoice.objects.count() == 1


def test_a_late_cancel_under_a_release_policy_returns_the_use_and_still_charges(
    clinic, front_desk, patient_ann
):
    clinic.visit.late_cancel_fee = 2500
    clinic.visit.late_cancel_keeps_allowance = False
    clinic.visit.save()
    membership = clinic.enroll(patient_ann)
    visit = clinic.book(front_desk, patient_ann, local(TUESDAY, 10))
    clock.freeze(local(TUESDAY, 9))

    appointment_cancel(actor=front_desk, appointment=visit)

    assert _kinds(visit) == [EntryKind.HOLD, EntryKind.RELEASE]
    assert _available(membership, patient_ann) == 2
    assert Invoice.objects.get().total == 2500


def test_a_no_show_releases_or_keeps_the_use_per_policy_and_charges_its_fee(
    clinic, front_desk, patient_ann, patient_bob
):
    clinic.visit.no_show_fee = 7500
    clinic.visit.no_show_keeps_allowance = False
    clinic.visit.save()
    membership = clinic.enroll(patient_ann)
    visit = clinic.book(front_desk, patient_ann, local(TUESDAY, 10))
    clock.freeze(local(TUESDAY, 10, 20))

    appointment_mark_no_show(actor=front_desk, appointment=visit)

    assert _kinds(visit) == [EntryKind.HOLD, EntryKind.RELEASE]
    assert _available(membership, patient_ann) == 2
    assert Invoice.objects.get().total == 7500


def test_a_no_show_that_keeps_the_use_counts_it(clinic, front_desk, patient_ann):
    clinic.visit.no_show_fee = 7500
    clinic.visit.save()
    membership = clinic.enroll(patient_ann)
    visit = clinic.book(front_desk, patient_ann, local(TUESDAY, 10))
    clock.freeze(local(TUESDAY, 10, 20))

    appointment_mark_no_show(actor=front_desk, appointment=visit)

    assert _kinds(visit) == [EntryKind.HOLD, EntryKind.CONSUME]
    assert _available(membership, patient_ann) == 1


def test_a_self_pay_no_show_is_invoiced_to_the_patient_and_leaves_the_ledger_alone(
    clinic, front_desk, patient_bob
):
    clinic.visit.no_show_fee = 5000
    clinic.visit.save()
    visit = clinic.book(front_desk, patient_bob, local(TUESDAY, 10), acknowledged_price=A_LA_CARTE)
    clock.freeze(local(TUESDAY, 11))

    appointment_mark_no_show(actor=front_desk, appointment=visit)

    assert not EntitlementEntry.objects.exists()
    invoice = Invoice.objects.get()
    assert (invoice.account.patient, invoice.total, invoice.membership) == (patient_bob, 5000, None)


def test_no_fee_is_invoiced_when_the_type_charges_none(clinic, front_desk, patient_ann):
    clinic.enroll(patient_ann)
    visit = clinic.book(front_desk, patient_ann, local(TUESDAY, 10))
    clock.freeze(local(TUESDAY, 10, 20))

    appointment_mark_no_show(actor=front_desk, appointment=visit)

    assert not Invoice.objects.exists()


def test_the_fee_is_collected_only_after_the_status_change_commits(
    clinic, front_desk, patient_ann, django_capture_on_commit_callbacks
):
    clinic.visit.no_show_fee = 7500
    clinic.visit.save()
    clinic.enroll(patient_ann)
    visit = clinic.book(front_desk, patient_ann, local(TUESDAY, 10))
    with_card(patient_ann)
    clock.freeze(local(TUESDAY, 10, 20))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        appointment_mark_no_show(actor=front_desk, appointment=visit)

    invoice = Invoice.objects.get()
    assert invoice.attempts.count() == 0
    for callback in callbacks:
        callback()
    assert [attempt.amount for attempt in invoice.attempts.all()] == [7500]
