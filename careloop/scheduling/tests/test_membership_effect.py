"""The membership effect at booking, for every membership status and the clinic's policies:
what the selector shows, and what booking enforces with nothing booked when it refuses."""

from datetime import timedelta

import pytest

from careloop.core.errors import ValidationFailed
from careloop.memberships.models import EntitlementEntry, EntryKind, MembershipStatus
from careloop.memberships.tests.ledger_builders import make_plan, set_past_due_coverage
from careloop.scheduling.models import Appointment, SchedulingSettings
from careloop.scheduling.selectors.effects import BookingOutcome, booking_effect
from careloop.scheduling.services import booking
from careloop.scheduling.tests.builders import MONDAY, TUESDAY, local, make_type
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


def _effect(clinic, patient, start=None, kind=None):
    return booking_effect(
        patient=patient,
        appointment_type=kind or clinic.visit,
        location=clinic.location,
        start_at=start or local(TUESDAY, 10),
    )


def _refused(call) -> list[tuple[str, str]]:
    before = Appointment.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        call()
    assert Appointment.objects.count() == before
    return [(error.field, error.code) for error in refused.value.errors]


def _block_lapsed():
    SchedulingSettings.objects.create(lapsed_membership_booking="block")


def _holds():
    return EntitlementEntry.objects.filter(kind=EntryKind.HOLD).count()


def test_an_active_member_is_covered_and_the_booking_holds_one_use(clinic, front_desk, patient_ann):
    clinic.enroll(patient_ann)

    effect = _effect(clinic, patient_ann)
    appointment = clinic.book(front_desk, patient_ann, local(TUESDAY, 10))

    assert effect.outcome == BookingOutcome.COVERED
    assert (effect.price, effect.left_after, effect.plan_name) == (0, 1, "Active Care")
    assert "1 left after this one" in effect.reason
    assert (appointment.coverage, appointment.quoted_price) == ("covered", 0)
    hold = EntitlementEntry.objects.get(kind=EntryKind.HOLD)
    assert (hold.source_type, hold.source_id) == ("appointment", str(appointment.pk))
    assert _effect(clinic, patient_ann, local(TUESDAY, 11)).left_after == 0


def test_beyond_the_allowance_the_member_price_must_be_acknowledged(
    clinic, front_desk, patient_ann
):
    clinic.enroll(patient_ann)
    clinic.book(front_desk, patient_ann, local(TUESDAY, 9))
    clinic.book(front_desk, patient_ann, local(TUESDAY, 10))

    effect = _effect(clinic, patient_ann, local(TUESDAY, 11))
    assert (effect.outcome, effect.price) == (BookingOutcome.MEMBER_PRICE, MEMBER_PRICE)
    assert effect.needs_acknowledgement

    assert _refused(lambda: clinic.book(front_desk, patient_ann, local(TUESDAY, 11))) == [
        ("acknowledged_price", "price_not_acknowledged")
    ]
    assert _refused(
        lambda: clinic.book(
            front_desk, patient_ann, local(TUESDAY, 11), acknowledged_price=MEMBER_PRICE - 1
        )
    ) == [("acknowledged_price", "price_not_acknowledged")]
    booked = clinic.book(
        front_desk, patient_ann, local(TUESDAY, 11), acknowledged_price=MEMBER_PRICE
    )
    assert (booked.coverage, booked.quoted_price) == ("member_price", MEMBER_PRICE)
    assert _holds() == 2


def test_a_type_for_other_plans_is_refused_naming_the_type(clinic, front_desk, patient_ann):
    clinic.enroll(patient_ann)
    concierge_only = make_type("Concierge visit", service_kind="provider_visit")
    concierge_only.plans_allowed.add(make_plan(name="Concierge"))

    effect = _effect(clinic, patient_ann, kind=concierge_only)
    assert effect.outcome == BookingOutcome.NOT_ALLOWED_FOR_PLAN
    assert not effect.allowed
    assert _refused(
        lambda: clinic.book(front_desk, patient_ann, local(TUESDAY, 10), kind=concierge_only)
    ) == [("appointment_type", "not_allowed_for_plan")]


def test_past_due_under_a_warn_policy_books_covered_with_a_warning(clinic, front_desk, patient_ann):
    clinic.enroll(patient_ann, MembershipStatus.PAST_DUE)

    effect = _effect(clinic, patient_ann)
    booked = clinic.book(front_desk, patient_ann, local(TUESDAY, 10))

    assert effect.outcome == BookingOutcome.COVERED
    assert effect.warning == "The Active Care membership is past due."
    assert booked.coverage == "covered"
    assert _holds() == 1


def test_past_due_when_the_clinic_covers_nothing_then_is_self_pay_with_a_warning(
    clinic, front_desk, patient_ann
):
    clinic.enroll(patient_ann, MembershipStatus.PAST_DUE)
    set_past_due_coverage("none")

    effect = _effect(clinic, patient_ann)

    assert (effect.outcome, effect.price) == (BookingOutcome.SELF_PAY, A_LA_CARTE)
    assert effect.warning
    booked = clinic.book(front_desk, patient_ann, local(TUESDAY, 10), acknowledged_price=A_LA_CARTE)
    assert booked.quoted_price == A_LA_CARTE
    assert _holds() == 0


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (MembershipStatus.PAST_DUE, "membership_past_due"),
        (MembershipStatus.PAUSED, "membership_paused"),
    ],
)
def test_a_lapsed_membership_under_a_block_policy_books_nothing(
    clinic, front_desk, patient_ann, status, code
):
    clinic.enroll(patient_ann, status)
    _block_lapsed()

    effect = _effect(clinic, patient_ann)

    assert effect.outcome == code
    assert not effect.allowed
    assert _refused(
        lambda: clinic.book(
            front_desk, patient_ann, local(TUESDAY, 10), acknowledged_price=A_LA_CARTE
        )
    ) == [("membership", code)]
    assert _holds() == 0


def test_a_paused_membership_under_a_warn_policy_books_at_the_a_la_carte_price(
    clinic, front_desk, patient_ann
):
    clinic.enroll(patient_ann, MembershipStatus.PAUSED)

    effect = _effect(clinic, patient_ann)

    assert (effect.outcome, effect.price) == (BookingOutcome.SELF_PAY, A_LA_CARTE)
    assert effect.warning == "The Active Care membership is paused."
    assert _refused(lambda: clinic.book(front_desk, patient_ann, local(TUESDAY, 10))) == [
        ("acknowledged_price", "price_not_acknowledged")
    ]
    clinic.book(front_desk, patient_ann, local(TUESDAY, 10), acknowledged_price=A_LA_CARTE)
    assert _holds() == 0


@pytest.mark.parametrize(
    "status", [MembershipStatus.PENDING, MembershipStatus.CANCELLED, MembershipStatus.ENDED]
)
def test_a_membership_that_covers_nothing_books_self_pay_or_not_a_members_only_type(
    clinic, front_desk, patient_ann, status
):
    clinic.enroll(patient_ann, status)
    members_only = make_type(
        "Members' visit", service_kind="provider_visit", non_members_allowed=False
    )

    effect = _effect(clinic, patient_ann)

    assert (effect.outcome, effect.price, effect.warning) == (
        BookingOutcome.SELF_PAY,
        A_LA_CARTE,
        "",
    )
    assert _effect(clinic, patient_ann, kind=members_only).outcome == "members_only"
    assert _refused(
        lambda: clinic.book(
            front_desk,
            patient_ann,
            local(TUESDAY, 10),
            kind=members_only,
            acknowledged_price=A_LA_CARTE,
        )
    ) == [("appointment_type", "members_only")]


def test_without_a_membership_a_visit_is_self_pay_or_refused_per_type(
    clinic, front_desk, patient_bob
):
    members_only = make_type(
        "Members' visit", service_kind="provider_visit", non_members_allowed=False
    )

    effect = _effect(clinic, patient_bob)
    assert (effect.outcome, effect.price, effect.membership) == (
        BookingOutcome.SELF_PAY,
        A_LA_CARTE,
        None,
    )
    assert "not a member" in effect.reason
    assert _refused(
        lambda: clinic.book(front_desk, patient_bob, local(TUESDAY, 10), kind=members_only)
    ) == [("appointment_type", "members_only")]
    booked = clinic.book(front_desk, patient_bob, local(TUESDAY, 10), acknowledged_price=A_LA_CARTE)
    assert (booked.coverage, booked.quoted_price, booked.membership) == (
        "self_pay",
        A_LA_CARTE,
        None,
    )


def test_a_type_that_uses_no_plan_service_costs_nothing_and_holds_nothing(
    clinic, front_desk, patient_ann
):
    clinic.enroll(patient_ann)
    chat = make_type("Welcome chat")

    effect = _effect(clinic, patient_ann, kind=chat)
    booked = clinic.book(front_desk, patient_ann, local(TUESDAY, 10), kind=chat)

    assert (effect.outcome, effect.price, effect.needs_acknowledgement) == ("no_charge", 0, False)
    assert (booked.coverage, booked.service) == ("no_charge", None)
    assert _holds() == 0


def test_when_another_booking_takes_the_last_use_first_the_visit_needs_the_member_price(
    clinic, front_desk, patient_ann, monkeypatch
):
    """The effect is read before the ledger's lock; the hold decides under the lock."""
    clinic.enroll(patient_ann)
    clinic.book(front_desk, patient_ann, local(TUESDAY, 9))
    covered = _effect(clinic, patient_ann, local(TUESDAY, 10))
    assert covered.outcome == BookingOutcome.COVERED
    real = booking_effect
    calls = []

    def stale_then_real(**kwargs):
        calls.append(1)
        return covered if len(calls) <= 2 else real(**kwargs)

    monkeypatch.setattr(booking, "booking_effect", stale_then_real)
    clinic.book(front_desk, patient_ann, local(MONDAY + timedelta(days=2), 9))  # the last use

    calls.clear()
    assert _refused(lambda: clinic.book(front_desk, patient_ann, local(TUESDAY, 10))) == [
        ("acknowledged_price", "price_not_acknowledged")
    ]
    calls.clear()
    booked = clinic.book(
        front_desk, patient_ann, local(TUESDAY, 10), acknowledged_price=MEMBER_PRICE
    )
    assert (booked.coverage, booked.quoted_price) == ("member_price", MEMBER_PRICE)
    assert _holds() == 2
    assert len(calls) == 3  # the third read came after the hold was refused
    assert len(calls) == 3  # the third read came after the hold was refused
