"""Writes to the entitlement ledger: grants, holds, uses, releases, reversals, rollover, expiry.

The ledger is append-only; balances are derived (selectors/balances.py). One lock: every write
that reads a balance first locks the Membership row (select_for_update) inside its
transaction, so two bookings racing for the last use of an allowance queue on that row and
the second one sees the first one's entry. Unique constraints stand behind every "only once":
one hold and one use per source, one grant per member, service and period, and each entry
settled (used, released, reversed, rolled over or expired) at most once.

A hold beyond the allowance is refused (AllowanceExhausted); a use beyond it is recorded as
an overage at the member price, for billing to charge.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from careloop.memberships.errors import AllowanceExhausted, NotCovered
from careloop.memberships.lifecycle import COVERING
from careloop.memberships.models import (
    Benefit,
    EntitlementEntry,
    EntryKind,
    Membership,
    MembershipMember,
    Rollover,
    Service,
)
from careloop.memberships.periods import Period
from careloop.memberships.selectors.balances import Balance, allowance_period, benefit_balance
from careloop.memberships.selectors.coverage import (
    CoverageOption,
    coverage_options,
    member_price_answer,
    option_balance,
)
from careloop.patients.models import Patient

SOURCE_TYPE_LIMIT = 40
SOURCE_ID_LIMIT = 64
USES = (EntryKind.CONSUME, EntryKind.OVERAGE)


def _lock(membership_ids: list[int]) -> None:
    """The ledger's one lock: the Membership rows, in id order so two writers never deadlock."""
    list(
        Membership.objects.select_for_update()
        .filter(id__in=sorted(set(membership_ids)))
        .order_by("id")
        .values_list("id", flat=True)
    )


def _entry(
    *,
    membership: Membership,
    patient_id: int,
    benefit: Benefit,
    kind: EntryKind,
    quantity: int,
    period: Period,
    occurred_on: date,
    actor: User | None = None,
    source_type: str = "",
    source_id: str = "",
    settles: EntitlementEntry | None = None,
    unit_price: int | None = None,
    note: str = "",
) -> EntitlementEntry:
    return EntitlementEntry.objects.create(
        membership=membership,
        patient_id=patient_id,
        service_id=benefit.service_id,
        benefit=benefit,
        kind=kind,
        quantity=quantity,
        period_start=period.start,
        period_end=period.end,
        occurred_on=occurred_on,
        source_type=source_type,
        source_id=source_id,
        settles=settles,
        unit_price=unit_price,
        note=note,
        recorded_at=clock.now(),
        actor=actor,
    )


def _follow_up(
    entry: EntitlementEntry,
    *,
    kind: EntryKind,
    occurred_on: date,
    actor: User | None,
    note: str = "",
) -> EntitlementEntry:
    """An entry that settles `entry` (a release, a use of a hold, a reversal), in its period."""
    return EntitlementEntry.objects.create(
        membership_id=entry.membership_id,
        patient_id=entry.patient_id,
        service_id=entry.service_id,
        benefit_id=entry.benefit_id,
        kind=kind,
        quantity=entry.quantity,
        period_start=entry.period_start,
        period_end=entry.period_end,
        occurred_on=occurred_on,
        source_type=entry.source_type,
        source_id=entry.source_id,
        settles=entry,
        unit_price=entry.unit_price if kind == EntryKind.REVERSE else None,
        note=note[:200],
        recorded_at=clock.now(),
        actor=actor,
    )


def _audit(actor: User | None, entry: EntitlementEntry, service_code: str) -> None:
    audit_record(
        action=f"entitlement.{entry.kind}",
        actor=actor,
        patient_id=entry.patient_id,
        object_type="entitlement_entry",
        object_id=entry.pk,
        detail={"service": service_code, "kind": str(entry.kind)},
    )


# Grants, rollover and expiry


def entitlement_grant_period(*, membership: Membership, on: date) -> list[EntitlementEntry]:
    """Grant each member's allowances for the allowance period containing `on`; idempotent.

    Also carries unused uses of the previous period in, per the benefit's rollover rule, once
    that period has ended (the new one has begun by the clinic's today): rolled-over uses enter
    as ROLLOVER entries, and rolled-over uses whose time has run out leave as EXPIRE entries.
    Grants nothing while the membership is paused, pending or ended; a past-due membership
    keeps its grants whatever the clinic's past-due policy (the policy decides whether they
    can be used). Unlimited benefits need no grants.
    """
    with transaction.atomic():
        _lock([membership.pk])
        locked = Membership.objects.select_related("plan").get(pk=membership.pk)
        if locked.status not in COVERING:
            return []
        patient_ids = list(
            MembershipMember.objects.filter(membership=locked, joined_on__lte=on)
            .filter(Q(left_on__isnull=True) | Q(left_on__gt=on))
            .order_by("joined_on", "id")
            .values_list("patient_id", flat=True)
        )
        written: list[EntitlementEntry] = []
        for benefit in Benefit.objects.filter(plan_id=locked.plan_id).select_related("service"):
            for patient_id in patient_ids:
                written.extend(
                    _grant(membership=locked, benefit=benefit, patient_id=patient_id, on=on)
                )
        return written


def _grant(
    *, membership: Membership, benefit: Benefit, patient_id: int, on: date
) -> list[EntitlementEntry]:
    """The grant (and rollover) of one benefit for one member; the caller holds the lock."""
    if benefit.allowance is None:
        return []
    period = allowance_period(membership=membership, benefit=benefit, day=on)
    written: list[EntitlementEntry] = []
    if benefit.allowance > 0:
        exists = EntitlementEntry.objects.filter(
            membership=membership,
            patient_id=patient_id,
            service_id=benefit.service_id,
            period_start=period.start,
            kind=EntryKind.GRANT,
        ).exists()
        if not exists:
            written.append(
                _entry(
                    membership=membership,
                    patient_id=patient_id,
                    benefit=benefit,
                    kind=EntryKind.GRANT,
                    quantity=benefit.allowance,
                    period=period,
                    occurred_on=max(on, period.start),
                )
            )
    if benefit.rollover != Rollover.NONE and period.start <= clock.today():
        written.extend(
            _carry_over(membership=membership, benefit=benefit, patient_id=patient_id, into=period)
        )
    return written


@dataclass
class _Lot:
    """Uses that entered a period together: its grant, or one rollover entry."""

    entry: EntitlementEntry
    age: int  # periods since the uses were granted
    remaining: int = 0


def _carry_over(
    *, membership: Membership, benefit: Benefit, patient_id: int, into: Period
) -> list[EntitlementEntry]:
    """Roll the previous period's unused uses into `into`, and expire those past their time.

    Uses are spent oldest first. Each grant or rollover entry is carried or expired at most
    once (the database refuses a second entry settling it), so running this again writes
    nothing twice; under "up to a cap" one ROLLOVER entry settles the previous grant, so what
    rolls over never exceeds the cap.
    """
    if into.start <= membership.start_date:
        return []
    previous = allowance_period(
        membership=membership, benefit=benefit, day=into.start - timedelta(days=1)
    )
    if previous.end != into.start:
        return []
    entries = EntitlementEntry.objects.filter(
        membership=membership,
        patient_id=patient_id,
        service_id=benefit.service_id,
        kind__in=[EntryKind.GRANT, EntryKind.ROLLOVER],
    ).order_by("id")
    by_id = {entry.id: entry for entry in entries}
    lots = [
        entry
        for entry in by_id.values()
        if entry.period_start == previous.start and not entry.settled_by.exists()
    ]
    grant = next((entry for entry in lots if entry.kind == EntryKind.GRANT), None)
    spent = benefit_balance(
        membership=membership, patient_id=patient_id, benefit=benefit, period=previous
    )
    if benefit.rollover in (Rollover.ALL, Rollover.UP_TO):
        if grant is None or spent.available is None or spent.available <= 0:
            return []
        amount = spent.available
        if benefit.rollover == Rollover.UP_TO:
            amount = min(amount, benefit.rollover_cap or 0)
        if amount <= 0:
            return []
        return [
            _entry(
                membership=membership,
                patient_id=patient_id,
                benefit=benefit,
                kind=EntryKind.ROLLOVER,
                quantity=amount,
                period=into,
                occurred_on=into.start,
                settles=grant,
                note=f"Unused in the period from {previous.start.isoformat()}",
            )
        ]
    return _carry_expiring(
        membership=membership,
        benefit=benefit,
        patient_id=patient_id,
        previous=previous,
        into=into,
        lots=_aged(lots, by_id),
        spent=spent,
    )


def _aged(lots: list[EntitlementEntry], by_id: dict[int, EntitlementEntry]) -> list[_Lot]:
    def age(entry: EntitlementEntry) -> int:
        steps = 0
        while entry.kind == EntryKind.ROLLOVER and entry.settles_id in by_id:
            entry = by_id[entry.settles_id]
            steps += 1
        return steps

    return sorted((_Lot(entry=lot, age=age(lot)) for lot in lots), key=lambda lot: -lot.age)


def _carry_expiring(
    *,
    membership: Membership,
    benefit: Benefit,
    patient_id: int,
    previous: Period,
    into: Period,
    lots: list[_Lot],
    spent: Balance,
) -> list[EntitlementEntry]:
    """Expiring rollover: each lot rolls on until it is `rollover_expires_after_periods` old."""
    if not lots or spent.available is None:
        return []
    # What is still available belongs to the newest lots: uses are spent oldest first.
    unspent = max(spent.available, 0)
    for lot in reversed(lots):
        lot.remaining = min(lot.entry.quantity, unspent)
        unspent -= lot.remaining
    limit = benefit.rollover_expires_after_periods or 0
    written = []
    for lot in lots:
        if lot.remaining <= 0:
            continue
        if lot.age + 1 > limit:
            written.append(
                _entry(
                    membership=membership,
                    patient_id=patient_id,
                    benefit=benefit,
                    kind=EntryKind.EXPIRE,
                    quantity=lot.remaining,
                    period=previous,
                    occurred_on=into.start,
                    settles=lot.entry,
                    note=f"Rolled over {limit} times",
                )
            )
        else:
            written.append(
                _entry(
                    membership=membership,
                    patient_id=patient_id,
                    benefit=benefit,
                    kind=EntryKind.ROLLOVER,
                    quantity=lot.remaining,
                    period=into,
                    occurred_on=into.start,
                    settles=lot.entry,
                    note=f"Unused in the period from {previous.start.isoformat()}",
                )
            )
    return written


# Holds and uses


def _clean_source(source_type: str, source_id: str) -> tuple[str, str]:
    errors = []
    cleaned_type, cleaned_id = source_type.strip(), str(source_id).strip()
    if not cleaned_type:
        errors.append(FieldError("source_type", "Name what the use is for.", "required"))
    elif len(cleaned_type) > SOURCE_TYPE_LIMIT:
        errors.append(
            FieldError("source_type", f"Use at most {SOURCE_TYPE_LIMIT} characters.", "too_long")
        )
    if not cleaned_id:
        errors.append(FieldError("source_id", "Name the booking or order.", "required"))
    elif len(cleaned_id) > SOURCE_ID_LIMIT:
        errors.append(
            FieldError("source_id", f"Use at most {SOURCE_ID_LIMIT} characters.", "too_long")
        )
    if errors:
        raise ValidationFailed(errors)
    return cleaned_type, cleaned_id


def _locked_options(*, patient: Patient, service: Service, on: date) -> list[CoverageOption]:
    """The memberships that may cover this use, locked, read again after the lock."""
    options, refusal = coverage_options(patient=patient, service=service, on=on)
    if refusal is not None:
        raise NotCovered(refusal.reason)
    _lock([option.membership.pk for option in options])
    options, refusal = coverage_options(patient=patient, service=service, on=on)
    if refusal is not None:
        raise NotCovered(refusal.reason)
    return options


def _choose(
    options: list[CoverageOption], *, patient: Patient, on: date
) -> tuple[CoverageOption, Balance, bool]:
    """The option that covers this use (first with uses left), its balance, and whether it can."""
    first: tuple[CoverageOption, Balance] | None = None
    for option in options:
        _grant(membership=option.membership, benefit=option.benefit, patient_id=patient.id, on=on)
        found = option_balance(option, patient_id=patient.id, on=on)
        if found.available is None or found.available >= 1:
            return option, found, True
        if first is None:
            first = (option, found)
    assert first is not None
    return first[0], first[1], False


def _same_use(entry: EntitlementEntry, patient: Patient, service: Service) -> EntitlementEntry:
    if entry.patient_id != patient.id or entry.service_id != service.id:
        raise Conflict(
            f"{entry.source_type} {entry.source_id} is already recorded for another patient "
            "or service."
        )
    return entry


def entitlement_hold(
    *,
    actor: User | None,
    patient: Patient,
    service: Service,
    on: date,
    source_type: str,
    source_id: str,
) -> EntitlementEntry:
    """Reserve one use of the allowance for a booking on `on`.

    Refused with AllowanceExhausted when nothing is left (the booking can go ahead at the
    member price without a hold), and with NotCovered when no membership covers it. Holding
    again for the same source returns the open hold.
    """
    source_type, source_id = _clean_source(source_type, source_id)
    with transaction.atomic():
        options = _locked_options(patient=patient, service=service, on=on)
        existing = EntitlementEntry.objects.filter(
            kind=EntryKind.HOLD, source_type=source_type, source_id=source_id
        ).first()
        if existing is not None:
            if existing.settled_by.exists():
                raise Conflict(
                    f"{source_type} {source_id} already held a use, which was settled; "
                    "a booking holds once."
                )
            return _same_use(existing, patient, service)
        option, found, can = _choose(options, patient=patient, on=on)
        if not can:
            answer = member_price_answer(option, found, service, on)
            raise AllowanceExhausted(
                f"{answer.reason} A booking cannot hold a use beyond the allowance."
            )
        hold = _entry(
            membership=option.membership,
            patient_id=patient.id,
            benefit=option.benefit,
            kind=EntryKind.HOLD,
            quantity=1,
            period=found.period,
            occurred_on=on,
            actor=actor,
            source_type=source_type,
            source_id=source_id,
        )
        _audit(actor, hold, service.code)
        return hold


def entitlement_consume(
    *,
    actor: User | None,
    patient: Patient,
    service: Service,
    on: date,
    source_type: str,
    source_id: str,
) -> EntitlementEntry:
    """Record that the use happened on `on`.

    Settles the open hold for the same source when there is one (the use counts in the hold's
    period). Otherwise it uses the allowance, or, beyond it, records an OVERAGE at the member
    price (Benefit.beyond_allowance_price). Unlimited benefits always use without grants.
    Recording the same source again returns the use already recorded.
    """
    source_type, source_id = _clean_source(source_type, source_id)
    with transaction.atomic():
        options = _locked_options(patient=patient, service=service, on=on)
        recorded = EntitlementEntry.objects.filter(
            kind__in=USES, source_type=source_type, source_id=source_id
        ).first()
        if recorded is not None:
            return _same_use(recorded, patient, service)
        hold = (
            EntitlementEntry.objects.filter(
                kind=EntryKind.HOLD,
                source_type=source_type,
                source_id=source_id,
                settled_by__isnull=True,
            )
            .select_related("membership")
            .first()
        )
        if hold is not None and hold.membership_id in {o.membership.pk for o in options}:
            use = _follow_up(
                _same_use(hold, patient, service),
                kind=EntryKind.CONSUME,
                occurred_on=on,
                actor=actor,
            )
            _audit(actor, use, service.code)
            return use
        option, found, can = _choose(options, patient=patient, on=on)
        use = _entry(
            membership=option.membership,
            patient_id=patient.id,
            benefit=option.benefit,
            kind=EntryKind.CONSUME if can else EntryKind.OVERAGE,
            quantity=1,
            period=found.period,
            occurred_on=on,
            actor=actor,
            source_type=source_type,
            source_id=source_id,
            unit_price=None if can else option.benefit.beyond_allowance_price(),
        )
        _audit(actor, use, service.code)
        return use


def _settle_target(
    kinds: tuple[EntryKind, ...], source_type: str, source_id: str
) -> EntitlementEntry:
    source_type, source_id = _clean_source(source_type, source_id)
    found = (
        EntitlementEntry.objects.filter(
            kind__in=kinds, source_type=source_type, source_id=source_id
        )
        .select_related("service")
        .first()
    )
    if found is None:
        raise NotFound(f"Nothing is recorded for {source_type} {source_id}.")
    _lock([found.membership_id])
    return found


def entitlement_release(
    *, actor: User | None, source_type: str, source_id: str
) -> EntitlementEntry:
    """Free the hold of a cancelled booking. Releasing again returns the release."""
    with transaction.atomic():
        hold = _settle_target((EntryKind.HOLD,), source_type, source_id)
        settled = hold.settled_by.first()
        if settled is not None:
            if settled.kind == EntryKind.RELEASE:
                return settled
            raise Conflict(
                f"The hold for {hold.source_type} {hold.source_id} was already used; "
                "reverse the use instead."
            )
        release = _follow_up(hold, kind=EntryKind.RELEASE, occurred_on=clock.today(), actor=actor)
        _audit(actor, release, hold.service.code)
        return release


def entitlement_reverse(
    *, actor: User | None, source_type: str, source_id: str, reason: str
) -> EntitlementEntry:
    """Undo a use or an overage (e.g. a no-show the policy does not charge), with the reason.

    The use returns to the allowance of its own period; a reversed overage is no longer charged.
    Reversing again returns the reversal.
    """
    cleaned = reason.strip()
    if not cleaned:
        raise ValidationFailed.single("reason", "Say why the use is reversed.", "required")
    with transaction.atomic():
        use = _settle_target(USES, source_type, source_id)
        settled = use.settled_by.first()
        if settled is not None:
            return settled
        reversal = _follow_up(
            use, kind=EntryKind.REVERSE, occurred_on=clock.today(), actor=actor, note=cleaned
        )
        _audit(actor, reversal, use.service.code)
        return reversal


def entitlement_close_membership(*, membership: Membership, on: date) -> None:
    """Release the holds of bookings on or after `on`, the day coverage ends.

    Holds for earlier days stay open: those visits happened while covered, and their use is
    still to be recorded.
    """
    with transaction.atomic():
        _lock([membership.pk])
        open_holds = EntitlementEntry.objects.filter(
            membership=membership,
            kind=EntryKind.HOLD,
            settled_by__isnull=True,
            occurred_on__gte=on,
        ).select_related("service")
        for hold in open_holds:
            release = _follow_up(
                hold,
                kind=EntryKind.RELEASE,
                occurred_on=on,
                actor=None,
                note="Coverage ended",
            )
            _audit(None, release, hold.service.code)
