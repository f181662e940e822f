"""Holds, uses, releases and reversals, and the balance each one leaves."""

from datetime import UTC, date, datetime

import pytest

from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.core.errors import Conflict, NotFound, ValidationFailed
from careloop.memberships.errors import AllowanceExhausted
from careloop.memberships.models import EntitlementEntry, EntryKind
from careloop.memberships.selectors.balances import balance
from careloop.memberships.services.entitlements import (
    entitlement_consume,
    entitlement_hold,
    entitlement_release,
    entitlement_reverse,
)
from careloop.memberships.tests.ledger_builders import (
    add_benefit,
    make_membership,
    make_plan,
    make_service,
)

pytestmark = pytest.mark.django_db
DAY = date(2027, 1, 12)


@pytest.fixture(autouse=True)
def _today():
    clock.freeze(datetime(2027, 1, 10, 18, tzinfo=UTC))


@pytest.fixture
def setup(patient_ann):
    plan = make_plan()
    service = make_service(price=15000)
    add_benefit(plan, service, allowance=2, member_price=9500)
    membership = make_membership(plan=plan, members=[patient_ann])
    return membership, service


def _balance(membership, patient, service):
    return balance(membership=membership, patient=patient, service=service, on=DAY)


def _hold(actor, patient, service, source_id):
    return entitlement_hold(
        actor=actor,
        patient=patient,
        service=service,
        on=DAY,
        source_type="appointment",
        source_id=source_id,
    )


def _consume(actor, patient, service, source_id):
    return entitlement_consume(
        actor=actor,
        patient=patient,
        service=service,
        on=DAY,
        source_type="appointment",
        source_id=source_id,
    )


def test_a_hold_reserves_a_use_and_grants_the_period_on_first_use(setup, front_desk, patient_ann):
    membership, service = setup

    hold = _hold(front_desk, patient_ann, service, "a1")

    assert hold.kind == EntryKind.HOLD
    assert (hold.period_start, hold.period_end) == (date(2027, 1, 1), date(2027, 2, 1))
    found = _balance(membership, patient_ann, service)
    assert (found.granted, found.held, found.used, found.available) == (2, 1, 0, 1)


def test_a_hold_beyond_the_allowance_is_refused_and_changes_nothing(setup, front_desk, patient_ann):
    _membership, service = setup
    _hold(front_desk, patient_ann, service, "a1")
    _hold(front_desk, patient_ann, service, "a2")
    entries = EntitlementEntry.objects.count()

    with pytest.raises(AllowanceExhausted) as refused:
        _hold(front_desk, patient_ann, service, "a3")

    assert "2 provider visits a month, all used or held until Jan 31" in refused.value.message
    assert "member price of $95.00" in refused.value.message
    assert EntitlementEntry.objects.count() == entries


def test_holding_again_for_the_same_booking_returns_the_same_hold(setup, front_desk, patient_ann):
    membership, service = setup
    first = _hold(front_desk, patient_ann, service, "a1")
    again = _hold(front_desk, patient_ann, service, "a1")

    assert again.id == first.id
    assert _balance(membership, patient_ann, service).held == 1


def test_a_use_settles_its_hold(setup, front_desk, patient_ann):
    membership, service = setup
    hold = _hold(front_desk, patient_ann, service, "a1")

    use = _consume(front_desk, patient_ann, service, "a1")

    assert (use.kind, use.settles_id) == (EntryKind.CONSUME, hold.id)
    found = _balance(membership, patient_ann, service)
    assert (found.held, found.used, found.available) == (0, 1, 1)


def test_recording_the_same_use_twice_returns_the_first(setup, front_desk, patient_ann):
    membership, service = setup
    first = _consume(front_desk, patient_ann, service, "a1")
    again = _consume(front_desk, patient_ann, service, "a1")

    assert again.id == first.id
    assert _balance(membership, patient_ann, service).used == 1


def test_a_source_used_for_another_patient_is_a_conflict(
    setup, front_desk, patient_ann, patient_bob
):
    membership, service = setup
    membership.members.create(
        patient=patient_bob,
        role="adult",
        plan=membership.plan,
        plan_kind="tier",
        joined_on=membership.start_date,
    )
    _consume(front_desk, patient_ann, service, "a1")

    with pytest.raises(Conflict):
        _consume(front_desk, patient_bob, service, "a1")


def test_a_use_beyond_the_allowance_is_an_overage_at_the_member_price(
    setup, front_desk, patient_ann
):
    membership, service = setup
    _consume(front_desk, patient_ann, service, "a1")
    _consume(front_desk, patient_ann, service, "a2")

    beyond = _consume(front_desk, patient_ann, service, "a3")

    assert (beyond.kind, beyond.unit_price) == (EntryKind.OVERAGE, 9500)
    found = _balance(membership, patient_ann, service)
    assert (found.used, found.overage, found.available) == (2, 1, 0)


def test_an_overage_with_a_discount_is_priced_off_the_a_la_carte_price(front_desk, patient_ann):
    plan = make_plan()
    service = make_service(price=12345)
    add_benefit(plan, service, allowance=0, member_discount_percent=20)
    make_membership(plan=plan, members=[patient_ann])

    beyond = _consume(front_desk, patient_ann, service, "a1")

    assert (beyond.kind, beyond.unit_price) == (EntryKind.OVERAGE, 9876)


def test_an_unlimited_benefit_always_uses_without_grants(front_desk, patient_ann):
    plan = make_plan(name="Concierge")
    service = make_service()
    add_benefit(plan, service, allowance=None)
    membership = make_membership(plan=plan, members=[patient_ann])

    for number in range(5):
        _hold(front_desk, patient_ann, service, f"h{number}")
        _consume(front_desk, patient_ann, service, f"h{number}")

    assert not EntitlementEntry.objects.filter(kind=EntryKind.GRANT).exists()
    found = _balance(membership, patient_ann, service)
    assert (found.used, found.available, found.overage, found.unlimited) == (5, None, 0, True)


def test_a_release_frees_the_hold_once(setup, front_desk, patient_ann):
    membership, service = setup
    hold = _hold(front_desk, patient_ann, service, "a1")

    release = entitlement_release(actor=front_desk, source_type="appointment", source_id="a1")
    again = entitlement_release(actor=front_desk, source_type="appointment", source_id="a1")

    assert (release.kind, release.settles_id, again.id) == (EntryKind.RELEASE, hold.id, release.id)
    found = _balance(membership, patient_ann, service)
    assert (found.held, found.available) == (0, 2)


def test_a_released_booking_cannot_hold_again_and_a_used_hold_cannot_be_released(
    setup, front_desk, patient_ann
):
    _membership, service = setup
    _hold(front_desk, patient_ann, service, "a1")
    entitlement_release(actor=front_desk, source_type="appointment", source_id="a1")
    _hold(front_desk, patient_ann, service, "a2")
    _consume(front_desk, patient_ann, service, "a2")

    with pytest.raises(Conflict):
        _hold(front_desk, patient_ann, service, "a1")
    with pytest.raises(Conflict, match="reverse the use instead"):
        entitlement_release(actor=front_desk, source_type="appointment", source_id="a2")


def test_releasing_an_unknown_booking_is_not_found(setup, front_desk):
    with pytest.raises(NotFound):
        entitlement_release(actor=front_desk, source_type="appointment", source_id="nope")


def test_a_reversal_returns_the_use_to_the_allowance(setup, front_desk, patient_ann):
    membership, service = setup
    use = _consume(front_desk, patient_ann, service, "a1")

    reversal = entitlement_reverse(
        actor=front_desk, source_type="appointment", source_id="a1", reason="No-show waived"
    )

    assert (reversal.kind, reversal.settles_id, reversal.note) == (
        EntryKind.REVERSE,
        use.id,
        "No-show waived",
    )
    found = _balance(membership, patient_ann, service)
    assert (found.used, found.available) == (0, 2)


def test_a_reversed_overage_is_no_longer_charged(setup, front_desk, patient_ann):
    membership, service = setup
    for source in ("a1", "a2", "a3"):
        _consume(front_desk, patient_ann, service, source)

    entitlement_reverse(
        actor=front_desk, source_type="appointment", source_id="a3", reason="Waived"
    )
    entitlement_reverse(actor=front_desk, source_type="appointment", source_id="a3", reason="Again")

    found = _balance(membership, patient_ann, service)
    assert (found.used, found.overage, found.available) == (2, 0, 0)
    assert EntitlementEntry.objects.filter(kind=EntryKind.REVERSE).count() == 1


def test_a_reversal_needs_a_reason_and_changes_nothing_without_one(setup, front_desk, patient_ann):
    _consume(front_desk, patient_ann, setup[1], "a1")
    entries = EntitlementEntry.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        entitlement_reverse(actor=front_desk, source_type="appointment", source_id="a1", reason=" ")

    assert refused.value.errors[0].field == "reason"
    assert EntitlementEntry.objects.count() == entries


def test_a_use_needs_its_source_named(setup, front_desk, patient_ann):
    with pytest.raises(ValidationFailed) as refused:
        entitlement_consume(
            actor=front_desk,
            patient=patient_ann,
            service=setup[1],
            on=DAY,
            source_type="",
            source_id="",
        )

    assert [error.field for error in refused.value.errors] == ["source_type", "source_id"]
    assert not EntitlementEntry.objects.exists()


def test_each_use_is_audited_with_the_patient_and_no_clinical_content(
    setup, front_desk, patient_ann
):
    _membership, service = setup
    _hold(front_desk, patient_ann, service, "a1")
    _consume(front_desk, patient_ann, service, "a1")
    entitlement_reverse(actor=front_desk, source_type="appointment", source_id="a1", reason="x")

    events = AuditEvent.objects.filter(action__startswith="entitlement.").order_by("sequence")
    assert [(e.action, e.patient_id, e.actor_id) for e in events] == [
        ("entitlement.hold", patient_ann.id, front_desk.id),
        ("entitlement.consume", patient_ann.id, front_desk.id),
        ("entitlement.reverse", patient_ann.id, front_desk.id),
    ]
    assert events[0].detail == {"service": service.code, "kind": "hold"}
