"""What memberships do to care plans: the listener registered with careloop.memberships.events.

Runs inside the membership's transaction. The care plans a membership should have are one per
open member and active protocol of its plan (`_reconcile` makes it so, closing the others);
each action then moves the plans' status:

- enroll, add or remove a member, change plan, reactivate: reconcile (a tier change closes the
  old plan's care plans with their unfinished tasks and applies the new plan's protocols; a
  protocol both plans carry keeps its care plan), then generate the first work;
- pause: suspend (nothing is generated); resume: reactivate and generate;
- cancel, end: end every open care plan and cancel its unfinished tasks. Cancelling at the
  period's end is a scheduled change, so this happens on the day the membership ends.
"""

from datetime import date

from careloop.care.lifecycle import PlanAction
from careloop.care.models import OPEN_PLAN_STATUSES, CarePlan, CarePlanStatus, Protocol
from careloop.care.services.care_plans import care_plan_create, care_plan_transition
from careloop.care.services.generation import care_plan_generate
from careloop.core import clock
from careloop.memberships.events import MembershipChanged
from careloop.memberships.lifecycle import Action
from careloop.memberships.models import Membership, MembershipStatus
from careloop.patients.models import Patient

ENDING = {Action.CANCEL.value, Action.END.value}
RECONCILING = {
    "enroll",
    Action.CHANGE_PLAN.value,
    Action.ADD_MEMBER.value,
    Action.REMOVE_MEMBER.value,
    Action.REACTIVATE.value,
}


def _open_plans(membership: Membership) -> list[CarePlan]:
    return list(
        CarePlan.objects.filter(membership=membership, status__in=OPEN_PLAN_STATUSES).order_by("id")
    )


def _reconcile(event: MembershipChanged, membership: Membership) -> list[CarePlan]:
    """Close care plans the membership no longer carries; apply the missing ones."""
    day = event.effective_on
    protocols = list(Protocol.objects.filter(plans=membership.plan, active=True).order_by("id"))
    members = {
        row.patient_id: row.joined_on
        for row in membership.members.filter(left_on__isnull=True).order_by("id")
    }
    wanted = {(patient_id, protocol.pk) for patient_id in members for protocol in protocols}
    reason = {
        Action.CHANGE_PLAN.value: f"Membership changed to {membership.plan.name}.",
        Action.REMOVE_MEMBER.value: "Left the membership.",
    }.get(event.action, "No longer carried by the membership.")
    for plan in _open_plans(membership):
        if (plan.patient_id, plan.protocol_id) not in wanted:
            care_plan_transition(
                actor=event.actor,
                care_plan=plan,
                action=PlanAction.CLOSE,
                effective_on=day,
                reason=reason,
            )
    # Every open care plan of the members, this membership's included.
    following = set(
        CarePlan.objects.filter(
            patient_id__in=list(members), status__in=OPEN_PLAN_STATUSES
        ).values_list("patient_id", "protocol_id")
    )
    status = (
        CarePlanStatus.SUSPENDED
        if membership.status == MembershipStatus.PAUSED
        else CarePlanStatus.ACTIVE
    )
    patients = Patient.objects.in_bulk(list(members))
    created = []
    for patient_id, joined_on in members.items():
        for protocol in protocols:
            key = (patient_id, protocol.pk)
            # A protocol the patient already follows (through this membership, by hand, or
            # through another program) is not applied twice.
            if key in following:
                continue
            created.append(
                care_plan_create(
                    actor=event.actor,
                    patient=patients[patient_id],
                    protocol=protocol,
                    started_on=max(day, joined_on),
                    membership=membership,
                    status=status,
                    reason=f"Membership {event.action.replace('_', ' ')}: {membership.plan.name}.",
                )
            )
    return created


def _move_all(
    event: MembershipChanged, membership: Membership, action: PlanAction, reason: str
) -> None:
    wanted_from = {
        PlanAction.SUSPEND: CarePlanStatus.ACTIVE,
        PlanAction.RESUME: CarePlanStatus.SUSPENDED,
    }
    for plan in _open_plans(membership):
        source = wanted_from.get(action)
        if source is not None and plan.status != source:
            continue
        care_plan_transition(
            actor=event.actor,
            care_plan=plan,
            action=action,
            effective_on=event.effective_on,
            reason=reason,
        )


def _generate(membership: Membership, today: date) -> None:
    for plan in _open_plans(membership):
        care_plan_generate(care_plan=plan, as_of=today)


HANDLED = RECONCILING | ENDING | {Action.PAUSE.value, Action.RESUME.value}


def on_membership_changed(event: MembershipChanged) -> None:
    if event.action not in HANDLED:
        return  # a price change, past due, recovery: care plans stay as they are
    membership = Membership.objects.select_related("plan").get(pk=event.membership.pk)
    today = clock.today()
    if event.action in RECONCILING:
        _reconcile(event, membership)
        _generate(membership, today)
    elif event.action == Action.PAUSE.value:
        _move_all(event, membership, PlanAction.SUSPEND, "Membership paused.")
    elif event.action == Action.RESUME.value:
        _move_all(event, membership, PlanAction.RESUME, "Membership resumed.")
        _generate(membership, today)
    elif event.action in ENDING:
        reason = (
            "Membership cancelled." if event.action == Action.CANCEL.value else "Membership ended."
        )
        _move_all(event, membership, PlanAction.END, reason)
