"""Lifecycle actions on a membership: each effective now, on a chosen date, or at period end.

`membership_transition` is the one function that checks the lifecycle table
(careloop.memberships.lifecycle), records the StatusChange and cascades a status change to
coverage and the ledger. Every action service checks the table first, validates its input,
then either applies now (today, or an earlier date: backdating, admins only, audited) or
writes a ScheduledChange that the periodic job applies on its date (careloop.memberships.tasks).
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import CareloopError, FieldError, PermissionDenied, ValidationFailed
from careloop.memberships.changes import (
    Cancel,
    ChangeDetails,
    IntervalChange,
    MemberAdd,
    MemberRemove,
    Pause,
    PlanChange,
    PriceChange,
    Resume,
    details_for,
    details_to_json,
    kind_of,
)
from careloop.memberships.events import MembershipChanged, publish
from careloop.memberships.lifecycle import COVERING, Action, target_status
from careloop.memberships.models import (
    CancellationReason,
    ChangeKind,
    ChangeStatus,
    MemberRole,
    Membership,
    MembershipMember,
    MembershipStatus,
    Plan,
    PlanPrice,
    PlanStatus,
    ScheduledChange,
    StatusChange,
)
from careloop.memberships.models.entitlements import EntitlementEntry, EntryKind
from careloop.memberships.periods import Interval, Period, billing_period, month_boundary
from careloop.memberships.services.enrollment import (
    already_covered,
    already_covered_error,
    covering_elsewhere,
    current_price,
    member_add_row,
    member_problems,
)
from careloop.memberships.services.entitlements import (
    entitlement_close_membership,
    entitlement_grant_period,
)
from careloop.patients.models import Patient

S = MembershipStatus

ACTION_OF: dict[type[Any], Action] = {
    PlanChange: Action.CHANGE_PLAN,
    IntervalChange: Action.CHANGE_INTERVAL,
    MemberAdd: Action.ADD_MEMBER,
    MemberRemove: Action.REMOVE_MEMBER,
    Pause: Action.PAUSE,
    Resume: Action.RESUME,
    Cancel: Action.CANCEL,
    PriceChange: Action.CHANGE_PRICE,
}


@dataclass(frozen=True)
class ChangeOutcome:
    """What an action did: applied (scheduled is None) or waiting for its date."""

    membership: Membership
    scheduled: ScheduledChange | None

    @property
    def applied(self) -> bool:
        return self.scheduled is None


def current_period(membership: Membership, day: date) -> Period:
    return billing_period(
        start_date=membership.start_date,
        anchor=membership.anchor_date,
        anchor_day=membership.anchor_day,
        interval=Interval(membership.interval),
        day=max(day, membership.start_date),
    )


def _lock(membership: Membership) -> Membership:
    """The membership, locked, with its plan and price read but not locked: every invoice
    line a billing worker writes refers to a price row, and holding those rows made two
    workers applying scheduled changes in their batches deadlock."""
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("plan", "price")
        .get(pk=membership.pk)
    )


def _open_members(membership: Membership) -> list[MembershipMember]:
    return list(
        membership.members.filter(left_on__isnull=True).select_related("patient").order_by("id")
    )


def _audit_members(
    *,
    actor: User | None,
    action: str,
    membership: Membership,
    detail: dict[str, Any],
    patient_ids: list[int] | None = None,
) -> None:
    ids = (
        patient_ids
        if patient_ids is not None
        else audited_patients(list(membership.members.values_list("patient_id", "left_on")))
    )
    for patient_id in sorted(set(ids)):
        audit_record(
            action=action,
            actor=actor,
            patient_id=patient_id,
            object_type="membership",
            object_id=membership.pk,
            detail=detail,
        )


def transition_detail(current: S, target: S, effective_on: date) -> dict[str, Any]:
    """What a status change's audit events say about it."""
    return {"from": str(current), "to": str(target), "effective_on": effective_on.isoformat()}


def audited_patients(members: list[tuple[int, date | None]]) -> list[int]:
    """Whose records a membership's change is audited on, from its coverage rows (patient,
    left on): the members covered now, or everyone it ever covered when none is."""
    covered = [patient_id for patient_id, left_on in members if left_on is None]
    return sorted(set(covered or [patient_id for patient_id, _ in members]))


def _close_coverage(membership: Membership, on: date) -> list[int]:
    """End every open coverage row on `on` (rows that start later end the day they start)."""
    closed = []
    for member in membership.members.filter(left_on__isnull=True):
        member.left_on = max(on, member.joined_on)
        member.save(update_fields=["left_on"])
        closed.append(member.patient_id)
    return closed


def _revoke_pending(membership: Membership, actor: User | None, keep: set[ChangeKind]) -> None:
    now = clock.now()
    membership.scheduled_changes.filter(status=ChangeStatus.SCHEDULED).exclude(
        kind__in=keep
    ).update(status=ChangeStatus.REVOKED, revoked_at=now, revoked_by=actor)


def _reopen_coverage(membership: Membership, on: date) -> None:
    """Cover again the members whose coverage the cancellation closed, from `on`."""
    closed_on = membership.cancelled_on
    rows = membership.members.filter(left_on__isnull=False)
    if closed_on is not None:
        rows = rows.filter(left_on__gte=closed_on)
    errors = []
    seen: set[int] = set()
    for row in rows.select_related("patient"):
        if row.patient_id in seen:
            continue
        seen.add(row.patient_id)
        blocking = covering_elsewhere(row.patient, membership.plan, on)
        if blocking is not None:
            errors.append(already_covered_error(row.patient, blocking))
    if errors:
        raise already_covered(errors)
    for row in rows.select_related("patient"):
        if row.patient_id in seen:
            seen.discard(row.patient_id)
            member_add_row(
                membership=membership, patient=row.patient, role=MemberRole(row.role), on=on
            )


def membership_transition(
    *,
    actor: User | None,
    membership: Membership,
    action: Action,
    effective_on: date,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> StatusChange:
    """Apply `action` to the membership's status as of `effective_on`, record it, cascade.

    Refuses (IllegalTransition, nothing changed) what the lifecycle table does not allow.
    Leaving coverage releases open holds; cancelling and ending close coverage rows and
    revoke what is still scheduled; pausing keeps the rows (a paused member keeps the tier
    but is covered for nothing); reactivating covers the members again unless another tier
    took them meanwhile. Actions that keep the status (plan, interval, members, price) are
    recorded too, so the history lists every lifecycle action.
    """
    with transaction.atomic():
        locked = _lock(membership)
        current = S(locked.status)
        target = target_status(current, action)
        closed_patients: list[int] = []
        if action == Action.REACTIVATE:
            if locked.plan.status != PlanStatus.ACTIVE:
                raise ValidationFailed.single(
                    "plan",
                    f"{locked.plan.name} sells no more; enroll in an active plan instead.",
                    "plan_not_for_sale",
                )
            _reopen_coverage(locked, effective_on)
            locked.cancelled_on = None
            locked.cancellation_reason = None
            locked.cancellation_note = ""
        if target == S.PAUSED:
            locked.paused_on = effective_on
        if action == Action.RESUME:
            locked.paused_on = None
            locked.resumes_on = None
            _revoke_pending(locked, actor, keep=set(ChangeKind) - {ChangeKind.RESUME})
        if action == Action.CANCEL:
            locked.cancelled_on = effective_on
            closed_patients = _close_coverage(locked, effective_on)
            _revoke_pending(locked, actor, keep=set())
        if action == Action.END:
            locked.ended_on = effective_on
            closed_patients = _close_coverage(locked, effective_on)
            _revoke_pending(locked, actor, keep=set())
        locked.status = target
        locked.updated_at = clock.now()
        locked.save()
        if current in COVERING and target not in COVERING:
            entitlement_close_membership(membership=locked, on=effective_on)
        if target in COVERING and current not in COVERING and effective_on <= clock.today():
            entitlement_grant_period(membership=locked, on=clock.today())
        change = StatusChange.objects.create(
            membership=locked,
            action=action.value,
            from_status=current,
            to_status=target,
            effective_on=effective_on,
            recorded_at=clock.now(),
            actor=actor,
            reason=reason,
        )
        _audit_members(
            actor=actor,
            action=f"membership.{action.value}",
            membership=locked,
            detail={**transition_detail(current, target, effective_on), **(detail or {})},
            patient_ids=closed_patients or None,
        )
        publish(
            MembershipChanged(
                membership=locked,
                action=action.value,
                effective_on=effective_on,
                key=f"status_change:{change.pk}",
                actor=actor,
            )
        )
    membership.refresh_from_db()
    return change


# Checks and resolution shared by every action.


def _resolve_date(membership: Membership, effective_on: date | None, at_period_end: bool) -> date:
    today = clock.today()
    if at_period_end:
        if effective_on is not None:
            raise ValidationFailed.single(
                "effective_on",
                "Choose a date or the end of the period, not both.",
                "date_and_period_end",
            )
        return current_period(membership, today).end
    return today if effective_on is None else effective_on


def _check_date(actor: User | None, membership: Membership, day: date, action: Action) -> bool:
    """Refuse a date before the membership or its last change; True when it is backdating."""
    last = membership.status_changes.order_by("-effective_on").first()
    refuse_before_last_change(membership, None if last is None else last.effective_on, day)
    backdated = day < clock.today()
    if backdated and (actor is None or not has_capability(actor, Capability.MEMBERSHIP_BACKDATE)):
        raise PermissionDenied(
            f"{day.isoformat()} is in the past; only an admin may backdate "
            f"“{action.value.replace('_', ' ')}”.",
            code="backdating_not_allowed",
        )
    return backdated


def refuse_before_last_change(membership: Membership, last: date | None, day: date) -> None:
    """Refuse a change on `day` before the membership starts or before its last change took
    effect (`last`, None when it has none)."""
    if day < membership.start_date:
        raise ValidationFailed.single(
            "effective_on",
            f"The membership starts on {membership.start_date.isoformat()}; a change cannot "
            "take effect before that.",
            "before_start",
        )
    if last is not None and day < last:
        raise ValidationFailed.single(
            "effective_on",
            f"The last change took effect on {last.isoformat()}; a change cannot "
            "take effect before that.",
            "before_last_change",
        )


def _check_reduction_timing(
    actor: User | None, membership: Membership, details: ChangeDetails, day: date
) -> None:
    """A downgrade or a member's removal takes effect at the start of a period; only an admin
    may apply one in the middle of a period."""
    reduces = isinstance(details, MemberRemove) or (
        isinstance(details, PlanChange) and not details.upgrade
    )
    if not reduces or actor is None:
        return
    period = current_period(membership, day)
    if day == period.start or has_capability(actor, Capability.MEMBERSHIP_REDUCE_MID_PERIOD):
        return
    what = "removing a member" if isinstance(details, MemberRemove) else "a downgrade"
    raise PermissionDenied(
        f"{what.capitalize()} takes effect at the end of the period, on "
        f"{period.end.isoformat()}; only an admin may apply {what} on {day.isoformat()}.",
        code="mid_period_reduction_not_allowed",
    )


def _refuse_second_schedule(
    actor: User | None, membership: Membership, details: ChangeDetails, day: date
) -> None:
    kind = kind_of(details)
    pending = membership.scheduled_changes.filter(status=ChangeStatus.SCHEDULED, kind=kind)
    if isinstance(details, MemberAdd | MemberRemove):
        pending = pending.filter(details__patient_id=details.patient_id)
    existing = pending.first()
    if existing is not None and isinstance(details, Resume) and day < existing.effective_on:
        # Bringing a scheduled resume forward replaces it.
        existing.status = ChangeStatus.REVOKED
        existing.revoked_at = clock.now()
        existing.revoked_by = actor
        existing.save(update_fields=["status", "revoked_at", "revoked_by"])
        return
    if existing is not None:
        raise ValidationFailed.single(
            "effective_on",
            f"“{ChangeKind(kind).label}” is already scheduled for "
            f"{existing.effective_on.isoformat()}; revoke it first to change it.",
            "already_scheduled",
        )


def _act(
    *,
    actor: User | None,
    membership: Membership,
    details: ChangeDetails,
    effective_on: date | None,
    at_period_end: bool,
    notice_on: date | None = None,
) -> ChangeOutcome:
    action = ACTION_OF[type(details)]
    with transaction.atomic():
        locked = _lock(membership)
        target_status(S(locked.status), action)
        day = _resolve_date(locked, effective_on, at_period_end)
        if isinstance(details, PriceChange):
            day = _price_change_day(locked, day)
        details = _validate(locked, details, day)
        backdated = _check_date(actor, locked, day, action)
        _check_reduction_timing(actor, locked, details, day)
        if day > clock.today():
            _refuse_second_schedule(actor, locked, details, day)
            change = ScheduledChange.objects.create(
                membership=locked,
                kind=kind_of(details),
                effective_on=day,
                details=details_to_json(details),
                notice_on=notice_on,
                created_at=clock.now(),
                created_by=actor,
            )
            _audit_members(
                actor=actor,
                action="membership.change_scheduled",
                membership=locked,
                detail={"kind": change.kind, "effective_on": day.isoformat(), "change": change.pk},
            )
            membership.refresh_from_db()
            return ChangeOutcome(membership=membership, scheduled=change)
        apply_details(actor=actor, membership=locked, details=details, effective_on=day)
        if backdated:
            _audit_members(
                actor=actor,
                action="membership.backdate",
                membership=locked,
                detail={"action": action.value, "effective_on": day.isoformat()},
            )
    membership.refresh_from_db()
    return ChangeOutcome(membership=membership, scheduled=None)


def _price_change_day(membership: Membership, day: date) -> date:
    """A new price takes effect at the start of the first billing period on or after `day`."""
    period = current_period(membership, day)
    return period.start if period.start == day else period.end


# Validation per kind of change: at scheduling time and again when it applies.


def _validate(membership: Membership, details: ChangeDetails, day: date) -> ChangeDetails:
    if isinstance(details, PlanChange):
        return _validate_plan_change(membership, details, day)
    if isinstance(details, IntervalChange):
        return _validate_interval_change(membership, details)
    if isinstance(details, MemberAdd):
        _validate_member_add(membership, details, day)
    if isinstance(details, MemberRemove):
        _validate_member_remove(membership, details)
    if isinstance(details, Pause):
        return _validate_pause(membership, details, day)
    if isinstance(details, Cancel):
        _validate_cancel(details)
    if isinstance(details, PriceChange):
        _validate_price_change(membership, details)
    return details


def _validate_plan_change(membership: Membership, details: PlanChange, day: date) -> PlanChange:
    plan = Plan.objects.filter(pk=details.plan_id).first()
    if plan is None:
        raise ValidationFailed.single("plan", "No such plan.", "unknown_plan")
    current = membership.plan
    if plan.pk == current.pk:
        raise ValidationFailed.single(
            "plan", f"The membership is already on {plan.name}.", "same_plan"
        )
    if plan.status != PlanStatus.ACTIVE:
        raise ValidationFailed.single(
            "plan", f"{plan.name} is not for sale; choose an active plan.", "plan_not_for_sale"
        )
    if plan.kind != current.kind:
        raise ValidationFailed.single(
            "plan",
            f"{plan.name} is a {plan.get_kind_display().lower()}, not a "
            f"{current.get_kind_display().lower()}.",
            "other_plan_kind",
        )
    if details.upgrade and plan.rank <= current.rank:
        raise ValidationFailed.single(
            "plan",
            f"{plan.name} is not a richer tier than {current.name}; that is a downgrade.",
            "not_an_upgrade",
        )
    if not details.upgrade and plan.rank >= current.rank:
        raise ValidationFailed.single(
            "plan",
            f"{plan.name} is not a smaller tier than {current.name}; that is an upgrade.",
            "not_a_downgrade",
        )
    price = current_price(plan, membership.interval)
    if price is None:
        raise ValidationFailed.single(
            "plan",
            f"{plan.name} has no current {Interval(membership.interval).label.lower()} price.",
            "no_price",
        )
    if (
        membership.sponsor_id is not None
        and not plan.sponsors.filter(pk=membership.sponsor_id).exists()
    ):
        raise ValidationFailed.single(
            "plan", f"The sponsor does not pay for {plan.name}.", "plan_not_sponsored"
        )
    errors = [
        FieldError(
            "plan",
            f"{member.patient.full_name} is {member.patient.age_on(day)}: a child over the age "
            f"limit of {price.child_age_limit} for {plan.name}.",
            "child_over_age_limit",
        )
        for member in _open_members(membership)
        if member.role == MemberRole.CHILD and member.patient.age_on(day) >= price.child_age_limit
    ]
    if errors:
        raise ValidationFailed(errors)
    return PlanChange(plan_id=plan.pk, price_id=price.pk, upgrade=details.upgrade)


def _validate_interval_change(membership: Membership, details: IntervalChange) -> IntervalChange:
    if details.interval == membership.interval:
        raise ValidationFailed.single(
            "interval",
            f"The membership is already billed {details.interval.label.lower()}.",
            "same_interval",
        )
    price = current_price(membership.plan, details.interval)
    if price is None:
        raise ValidationFailed.single(
            "interval",
            f"{membership.plan.name} has no current {details.interval.label.lower()} price.",
            "no_price",
        )
    return IntervalChange(interval=details.interval, price_id=price.pk)


def _validate_member_add(membership: Membership, details: MemberAdd, day: date) -> None:
    patient = Patient.objects.filter(pk=details.patient_id).first()
    if patient is None:
        raise ValidationFailed.single("patient", "No such patient.", "unknown_patient")
    if details.role == MemberRole.PRIMARY:
        raise ValidationFailed.single(
            "role", "A membership has one primary member; add an adult or a child.", "one_primary"
        )
    if membership.members.filter(patient=patient, left_on__isnull=True).exists():
        raise ValidationFailed.single(
            "patient", f"{patient.full_name} is already a member.", "already_member"
        )
    problems = member_problems(
        patient=patient,
        role=details.role,
        plan=membership.plan,
        price=membership.price,
        on=day,
        payer_patient=membership.payer_patient,
        sponsor=membership.sponsor,
    )
    if problems:
        if all(problem.code == "already_covered" for problem in problems):
            raise already_covered(problems)
        raise ValidationFailed(problems)


def _validate_member_remove(membership: Membership, details: MemberRemove) -> None:
    open_members = _open_members(membership)
    member = next((m for m in open_members if m.patient_id == details.patient_id), None)
    if member is None:
        raise ValidationFailed.single(
            "patient", "That patient is not a member of this membership.", "not_member"
        )
    if len(open_members) == 1:
        raise ValidationFailed.single(
            "patient",
            f"{member.patient.full_name} is the only member; cancel the membership instead.",
            "last_member",
        )
    if member.role == MemberRole.PRIMARY:
        raise ValidationFailed.single(
            "patient",
            f"{member.patient.full_name} is the primary member and cannot be removed while "
            "others remain.",
            "primary_member",
        )


def _validate_pause(membership: Membership, details: Pause, day: date) -> Pause:
    plan = membership.plan
    if not plan.pause_allowed:
        raise ValidationFailed.single(
            "plan", f"{plan.name} does not allow pausing.", "pause_not_allowed"
        )
    longest = plan.pause_longest_months
    limit = month_boundary(day, day.day, longest) if longest else None
    resumes_on = details.resumes_on or limit
    if resumes_on is not None and resumes_on <= day:
        raise ValidationFailed.single(
            "resumes_on", "The resume date must be after the pause starts.", "resume_before_pause"
        )
    if limit is not None and resumes_on is not None and resumes_on > limit:
        raise ValidationFailed.single(
            "resumes_on",
            f"{plan.name} allows a pause of at most {longest} month"
            f"{'s' if longest != 1 else ''}: resume on {limit.isoformat()} or earlier.",
            "pause_too_long",
        )
    return Pause(resumes_on=resumes_on)


def _validate_cancel(details: Cancel) -> None:
    reason = CancellationReason.objects.filter(pk=details.reason_id, active=True).first()
    if reason is None:
        raise ValidationFailed.single(
            "reason", "Choose a cancellation reason from the list.", "unknown_reason"
        )


def _validate_price_change(membership: Membership, details: PriceChange) -> None:
    price = PlanPrice.objects.filter(pk=details.price_id).first()
    if (
        price is None
        or price.plan_id != membership.plan_id
        or price.interval != membership.interval
    ):
        raise ValidationFailed.single(
            "price",
            f"Choose a {Interval(membership.interval).label.lower()} price of "
            f"{membership.plan.name}.",
            "price_of_another_plan",
        )
    if price.pk == membership.price_id:
        raise ValidationFailed.single(
            "price", "The membership already pays this price.", "same_price"
        )


# Applying a change: the action's term change plus the recorded transition.


def apply_details(
    *, actor: User | None, membership: Membership, details: ChangeDetails, effective_on: date
) -> None:
    """Apply a validated change to a locked membership as of `effective_on`."""
    action = ACTION_OF[type(details)]
    reason = ""
    detail: dict[str, Any] = {}
    if isinstance(details, PlanChange):
        plan = Plan.objects.get(pk=details.plan_id)
        reason = f"{membership.plan.name} to {plan.name}"
        detail = {"from_plan": membership.plan.code, "to_plan": plan.code}
        membership.plan = plan
        membership.price_id = details.price_id
        membership.updated_at = clock.now()
        membership.save(update_fields=["plan", "price", "updated_at"])
        membership.members.filter(left_on__isnull=True).update(plan=plan)
    if isinstance(details, IntervalChange):
        reason = f"{Interval(membership.interval).label} to {details.interval.label.lower()}"
        membership.interval = details.interval
        membership.price_id = details.price_id
        membership.anchor_date = effective_on
        membership.anchor_day = effective_on.day
        membership.updated_at = clock.now()
        membership.save(
            update_fields=["interval", "price", "anchor_date", "anchor_day", "updated_at"]
        )
    if isinstance(details, MemberAdd):
        patient = Patient.objects.get(pk=details.patient_id)
        member_add_row(membership=membership, patient=patient, role=details.role, on=effective_on)
        reason = f"{patient.full_name} joins as {details.role.label.lower()}"
        detail = {"patient": patient.pk}
    if isinstance(details, MemberRemove):
        member = membership.members.select_related("patient").get(
            patient_id=details.patient_id, left_on__isnull=True
        )
        member.left_on = max(effective_on, member.joined_on)
        member.save(update_fields=["left_on"])
        _release_member_holds(actor, membership, details.patient_id, effective_on)
        reason = f"{member.patient.full_name} leaves"
        detail = {"patient": details.patient_id}
    if isinstance(details, Pause):
        membership.resumes_on = details.resumes_on
        membership.save(update_fields=["resumes_on"])
    if isinstance(details, Cancel):
        cancellation = CancellationReason.objects.get(pk=details.reason_id)
        reason = cancellation.label + (f": {details.note}" if details.note else "")
    if isinstance(details, PriceChange):
        price = PlanPrice.objects.get(pk=details.price_id)
        reason = f"Price version {membership.price.version} to {price.version}"
        membership.price = price
        membership.updated_at = clock.now()
        membership.save(update_fields=["price", "updated_at"])
    membership_transition(
        actor=actor,
        membership=membership,
        action=action,
        effective_on=effective_on,
        reason=reason,
        detail=detail,
    )
    membership.refresh_from_db()
    if isinstance(details, Cancel):
        membership.cancellation_reason_id = details.reason_id
        membership.cancellation_note = details.note
        membership.save(update_fields=["cancellation_reason", "cancellation_note"])
    if isinstance(details, PlanChange | MemberAdd) and S(membership.status) in COVERING:
        entitlement_grant_period(membership=membership, on=max(effective_on, clock.today()))
    if isinstance(details, Pause) and details.resumes_on is not None:
        if details.resumes_on <= clock.today():
            apply_details(
                actor=actor,
                membership=membership,
                details=Resume(),
                effective_on=details.resumes_on,
            )
        else:
            ScheduledChange.objects.create(
                membership=membership,
                kind=ChangeKind.RESUME,
                effective_on=details.resumes_on,
                details=details_to_json(Resume()),
                created_at=clock.now(),
                created_by=actor,
            )


def _release_member_holds(
    actor: User | None, membership: Membership, patient_id: int, on: date
) -> None:
    holds = EntitlementEntry.objects.filter(
        membership=membership, patient_id=patient_id, kind=EntryKind.HOLD, settled_by__isnull=True
    )
    for hold in holds:
        EntitlementEntry.objects.create(
            membership=membership,
            patient_id=patient_id,
            service_id=hold.service_id,
            benefit_id=hold.benefit_id,
            kind=EntryKind.RELEASE,
            quantity=hold.quantity,
            period_start=hold.period_start,
            period_end=hold.period_end,
            occurred_on=on,
            source_type=hold.source_type,
            source_id=hold.source_id,
            settles=hold,
            note="Member left the membership",
            recorded_at=clock.now(),
            actor=actor,
        )


# One service per action.


def _status_only(
    *, actor: User | None, membership: Membership, action: Action, effective_on: date | None
) -> ChangeOutcome:
    """Actions billing or staff record as they happen: now, or backdated by an admin."""
    with transaction.atomic():
        locked = _lock(membership)
        target_status(S(locked.status), action)
        day = clock.today() if effective_on is None else effective_on
        if day > clock.today():
            raise ValidationFailed.single(
                "effective_on",
                f"“{action.value.replace('_', ' ').capitalize()}” takes effect when it happens; "
                "it cannot be scheduled for a later date.",
                "cannot_schedule",
            )
        backdated = _check_date(actor, locked, day, action)
        membership_transition(actor=actor, membership=locked, action=action, effective_on=day)
        if backdated:
            _audit_members(
                actor=actor,
                action="membership.backdate",
                membership=locked,
                detail={"action": action.value, "effective_on": day.isoformat()},
            )
    membership.refresh_from_db()
    return ChangeOutcome(membership=membership, scheduled=None)


def membership_activate(
    *, actor: User | None, membership: Membership, effective_on: date | None = None
) -> ChangeOutcome:
    """Pending to active: a payment method is now on file."""
    return _status_only(
        actor=actor, membership=membership, action=Action.ACTIVATE, effective_on=effective_on
    )


def membership_mark_past_due(
    *, actor: User | None, membership: Membership, effective_on: date | None = None
) -> ChangeOutcome:
    """Active to past due: a payment failed (billing calls this)."""
    return _status_only(
        actor=actor, membership=membership, action=Action.MARK_PAST_DUE, effective_on=effective_on
    )


def membership_recover(
    *, actor: User | None, membership: Membership, effective_on: date | None = None
) -> ChangeOutcome:
    """Past due to active: the overdue payment came in (billing calls this)."""
    return _status_only(
        actor=actor, membership=membership, action=Action.RECOVER, effective_on=effective_on
    )


def membership_reactivate(
    *, actor: User, membership: Membership, effective_on: date | None = None
) -> ChangeOutcome:
    """Cancelled to active, covering the same members again unless another tier has them."""
    return _status_only(
        actor=actor, membership=membership, action=Action.REACTIVATE, effective_on=effective_on
    )


def membership_end(
    *, actor: User, membership: Membership, effective_on: date | None = None
) -> ChangeOutcome:
    """Cancelled to ended: closed for good, no reactivation."""
    return _status_only(
        actor=actor, membership=membership, action=Action.END, effective_on=effective_on
    )


def membership_upgrade(
    *,
    actor: User,
    membership: Membership,
    plan: Plan | int,
    effective_on: date | None = None,
    at_period_end: bool = False,
) -> ChangeOutcome:
    """Move to a richer tier (a higher rank) at its current price for the same interval."""
    plan_id = plan.pk if isinstance(plan, Plan) else plan
    return _act(
        actor=actor,
        membership=membership,
        details=PlanChange(plan_id=plan_id, price_id=0, upgrade=True),
        effective_on=effective_on,
        at_period_end=at_period_end,
    )


def membership_downgrade(
    *,
    actor: User,
    membership: Membership,
    plan: Plan | int,
    effective_on: date | None = None,
    at_period_end: bool = False,
) -> ChangeOutcome:
    """Move to a smaller tier (a lower rank) at its current price for the same interval."""
    plan_id = plan.pk if isinstance(plan, Plan) else plan
    return _act(
        actor=actor,
        membership=membership,
        details=PlanChange(plan_id=plan_id, price_id=0, upgrade=False),
        effective_on=effective_on,
        at_period_end=at_period_end,
    )


def membership_change_interval(
    *,
    actor: User,
    membership: Membership,
    interval: Interval | str,
    effective_on: date | None = None,
    at_period_end: bool = False,
) -> ChangeOutcome:
    """Bill by another interval at the plan's current price for it; the anchor moves to the
    day the change takes effect."""
    if interval not in Interval.values:
        raise ValidationFailed.single(
            "interval", "Choose monthly, quarterly or annual.", "unknown_interval"
        )
    return _act(
        actor=actor,
        membership=membership,
        details=IntervalChange(interval=Interval(interval), price_id=0),
        effective_on=effective_on,
        at_period_end=at_period_end,
    )


def membership_add_member(
    *,
    actor: User,
    membership: Membership,
    patient: Patient,
    role: MemberRole | str,
    effective_on: date | None = None,
    at_period_end: bool = False,
) -> ChangeOutcome:
    """Cover one more household member (an adult or a child) from the effective date."""
    if role not in MemberRole.values:
        raise ValidationFailed.single("role", "Choose adult or child.", "unknown_role")
    return _act(
        actor=actor,
        membership=membership,
        details=MemberAdd(patient_id=patient.pk, role=MemberRole(role)),
        effective_on=effective_on,
        at_period_end=at_period_end,
    )


def membership_remove_member(
    *,
    actor: User,
    membership: Membership,
    patient: Patient,
    effective_on: date | None = None,
    at_period_end: bool = False,
) -> ChangeOutcome:
    """Stop covering one member (not the primary, not the last) from the effective date."""
    return _act(
        actor=actor,
        membership=membership,
        details=MemberRemove(patient_id=patient.pk),
        effective_on=effective_on,
        at_period_end=at_period_end,
    )


def membership_pause(
    *,
    actor: User,
    membership: Membership,
    resumes_on: date | None = None,
    effective_on: date | None = None,
    at_period_end: bool = False,
) -> ChangeOutcome:
    """Pause an active membership, if the plan allows it, for at most its longest pause.

    Without a resume date the pause lasts the plan's longest pause (or until resumed, when
    the plan sets no limit); the resume is scheduled and can be revoked or brought forward.
    """
    return _act(
        actor=actor,
        membership=membership,
        details=Pause(resumes_on=resumes_on),
        effective_on=effective_on,
        at_period_end=at_period_end,
    )


def membership_resume(
    *,
    actor: User,
    membership: Membership,
    effective_on: date | None = None,
    at_period_end: bool = False,
) -> ChangeOutcome:
    """Resume a paused membership; a scheduled resume is revoked when this one comes first."""
    return _act(
        actor=actor,
        membership=membership,
        details=Resume(),
        effective_on=effective_on,
        at_period_end=at_period_end,
    )


def membership_cancel(
    *,
    actor: User | None,
    membership: Membership,
    reason: CancellationReason | int | None,
    note: str = "",
    effective_on: date | None = None,
    at_period_end: bool = False,
) -> ChangeOutcome:
    """Cancel now, on a date, or at the end of the current period (covering until then).

    A reason from the clinic's list is required.
    """
    if reason is None:
        raise ValidationFailed.single(
            "reason", "Choose a cancellation reason from the list.", "required"
        )
    reason_id = reason.pk if isinstance(reason, CancellationReason) else reason
    return _act(
        actor=actor,
        membership=membership,
        details=Cancel(reason_id=reason_id, note=note.strip()),
        effective_on=effective_on,
        at_period_end=at_period_end,
    )


def membership_change_price(
    *,
    actor: User,
    membership: Membership,
    price: PlanPrice,
    effective_on: date,
    notice_on: date,
) -> ChangeOutcome:
    """Move an existing member to another price version of the plan (admins only).

    The new price takes effect at the start of the first billing period on or after
    `effective_on`; `notice_on` records when the payer was told and cannot be later than that.
    """
    if not has_capability(actor, Capability.MEMBERSHIP_PRICE_CHANGE):
        raise PermissionDenied(
            "Only an admin may change the price of an existing membership.", code="forbidden"
        )
    with transaction.atomic():
        day = _price_change_day(_lock(membership), effective_on)
        if notice_on > day:
            raise ValidationFailed.single(
                "notice_on",
                f"The payer must be told by the day the price changes ({day.isoformat()}).",
                "notice_after_change",
            )
        return _act(
            actor=actor,
            membership=membership,
            details=PriceChange(price_id=price.pk),
            effective_on=effective_on,
            at_period_end=False,
            notice_on=notice_on,
        )


def scheduled_change_apply(*, change: ScheduledChange) -> bool:
    """Apply one due scheduled change on its own date; False when it no longer can.

    A change that the membership's status or data no longer allows is revoked (by nobody:
    the system) with an audit row saying why, so a sweep never retries it forever.
    """
    with transaction.atomic():
        locked_change = ScheduledChange.objects.select_for_update().filter(pk=change.pk).first()
        if locked_change is None or locked_change.status != ChangeStatus.SCHEDULED:
            return False
        membership = _lock(locked_change.membership)
        details = details_for(locked_change)
        locked_change.status = ChangeStatus.APPLIED
        locked_change.applied_at = clock.now()
        locked_change.save(update_fields=["status", "applied_at"])
        try:
            with transaction.atomic():
                target_status(S(membership.status), ACTION_OF[type(details)])
                validated = _validate(membership, details, locked_change.effective_on)
                apply_details(
                    actor=None,
                    membership=membership,
                    details=validated,
                    effective_on=locked_change.effective_on,
                )
        except CareloopError as error:
            locked_change.status = ChangeStatus.REVOKED
            locked_change.applied_at = None
            locked_change.revoked_at = clock.now()
            locked_change.save(update_fields=["status", "applied_at", "revoked_at"])
            _audit_members(
                actor=None,
                action="membership.change_skipped",
                membership=membership,
                detail={"change": locked_change.pk, "kind": locked_change.kind, "code": error.code},
            )
            return False
    return True


def open_scheduled_changes(membership: Membership) -> list[ScheduledChange]:
    return list(
        membership.scheduled_changes.filter(status=ChangeStatus.SCHEDULED).order_by(
            "effective_on", "id"
        )
    )
