"""The only way a view, API operation or task fetches a thread on someone's behalf.

A patient reaches only their own threads; anything else is "not found" (404), so they cannot
learn that another thread exists. The one exception is the head of a household, who may read
(never write in) a member's thread that the member shared with the household. Staff need the
capability (403 otherwise) and see a thread when it is routed to their team (its role is
theirs) or assigned to them, or any thread with `message.view_all` (clinical staff and
admins). Every attempt is an audit event.
"""

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.core.errors import CareloopError, NotFound, PermissionDenied
from careloop.messaging.models import Thread
from careloop.patients.models import Household

# What a patient may do on their own thread: read it and write to it.
PATIENT_CAPABILITIES = frozenset({Capability.MESSAGE_VIEW, Capability.MESSAGE_REPLY})
STAFF_CAPABILITIES = frozenset(
    {Capability.MESSAGE_VIEW, Capability.MESSAGE_REPLY, Capability.MESSAGE_ASSIGN}
)


def staff_sees_thread(user: User, thread: Thread) -> bool:
    """Whether a staff member's role policy lets them read this thread."""
    if has_capability(user, Capability.MESSAGE_VIEW_ALL):
        return True
    if not has_capability(user, Capability.MESSAGE_VIEW):
        return False
    return thread.assignee_id == user.pk or thread.team.role == user.role


def household_head_reads(user: User, thread: Thread) -> bool:
    """Whether `user` reads this thread as the head of the household its patient shared it
    with. Membership of the household counts as it is now: a member who left it no longer
    shares anything with its head."""
    patient = thread.patient
    if not thread.shared_with_household or patient.household_id is None:
        return False
    if patient.user_id == user.pk:
        return False
    return Household.objects.filter(pk=patient.household_id, head__user_id=user.pk).exists()


def thread_refusal(user: User, thread: Thread, capability: Capability) -> CareloopError | None:
    """Why `user` may not do `capability` on this thread, or None when they may."""
    if not user.is_authenticated or not user.is_active:
        return NotFound("No such thread.")
    if user.is_patient:
        if thread.patient.user_id != user.pk:
            if not household_head_reads(user, thread):
                return NotFound("No such thread.")
            if capability != Capability.MESSAGE_VIEW:
                return PermissionDenied(
                    "This conversation was shared with you to read; only "
                    f"{thread.patient.full_name} can write in it.",
                    code="forbidden",
                )
        if capability not in PATIENT_CAPABILITIES:
            return PermissionDenied("Patients cannot do that to a thread.", code="forbidden")
        return None
    if capability not in STAFF_CAPABILITIES or not has_capability(user, capability):
        return PermissionDenied(f"Your role does not allow {capability.value}.", code="forbidden")
    if not staff_sees_thread(user, thread):
        return PermissionDenied(
            "This thread belongs to another team and is not assigned to you.", code="forbidden"
        )
    return None


def access_thread(
    user: User,
    thread_id: int,
    capability: Capability = Capability.MESSAGE_VIEW,
    *,
    action: str = "message.thread_view",
) -> Thread:
    thread = (
        Thread.objects.select_related("patient", "team", "assignee").filter(pk=thread_id).first()
    )
    refusal: CareloopError | None
    if thread is None:
        refusal = NotFound("No such thread.")
    else:
        refusal = thread_refusal(user, thread, capability)
    audit_record(
        action=action,
        actor=user,
        outcome=Outcome.DENIED if refusal is not None else Outcome.SUCCESS,
        patient_id=thread.patient_id if thread is not None and refusal is None else None,
        object_type="message_thread",
        object_id=thread_id,
    )
    if refusal is not None:
        raise refusal
    assert thread is not None
    return thread
