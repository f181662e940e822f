"""A patient shares a thread with the head of their household, or stops sharing it.

Only the thread's own patient decides, and only while they belong to a household someone
else heads. The head then reads the thread in their portal (`household_head_reads`); they
never write in it, and their reading leaves no read mark. Each change is recorded in the
thread's history and the audit log.
"""

from django.db import transaction

from careloop.accounts.models import User
from careloop.core import clock
from careloop.core.errors import NotFound, PermissionDenied, ValidationFailed
from careloop.messaging.models import Thread
from careloop.messaging.services.assignment import record_thread_change
from careloop.patients.models import Household
from careloop.patients.selectors import household_of

SHARE = "share"
UNSHARE = "unshare"


def _household_head(thread: Thread) -> Household:
    """The household the thread's patient can share with, or a clear refusal."""
    patient = thread.patient
    household = household_of(patient)
    if household is None:
        raise ValidationFailed.single(
            "shared_with_household",
            "You are not part of a household, so there is no one to share this thread with.",
            "no_household",
        )
    if household.head_id == patient.pk:
        raise ValidationFailed.single(
            "shared_with_household",
            "You lead your household; members share their threads with you, not the other way.",
            "household_head",
        )
    return household


def thread_share(*, actor: User, thread: Thread, shared: bool) -> Thread:
    """Share the thread with the household's head (`shared=True`) or stop sharing it."""
    if not actor.is_authenticated or not actor.is_patient:
        raise PermissionDenied(
            "Only the patient decides who else reads their thread.", code="forbidden"
        )
    with transaction.atomic():
        locked = (
            Thread.objects.select_for_update(of=("self",))
            .select_related("patient", "assignee")
            .get(pk=thread.pk)
        )
        if locked.patient.user_id != actor.pk:
            raise NotFound("No such thread.")
        household = _household_head(locked) if shared else None
        if locked.shared_with_household == shared:
            raise ValidationFailed.single(
                "shared_with_household",
                "This thread is already shared with your household."
                if shared
                else "This thread is not shared with anyone.",
                "unchanged",
            )
        now = clock.now()
        locked.shared_with_household = shared
        locked.updated_at = now
        locked.save(update_fields=["shared_with_household", "updated_at"])
        record_thread_change(
            locked,
            SHARE if shared else UNSHARE,
            actor=actor,
            now=now,
            from_status=locked.status,
            from_assignee=locked.assignee,
            reason=f"Shared with {household.head.full_name}" if household is not None else "",
            detail={"household": locked.patient.household_id},
        )
    thread.refresh_from_db()
    return thread
