"""The only way a view, API operation or task fetches a membership on someone's behalf.

Same rules as careloop.patients.access: staff need the capability (403 otherwise); a patient
reaches only a membership that covers or covered them, and anything else is "not found" (404).
Every attempt is an audit event; a read writes one per member, so each member's audit trail
shows who looked at the membership that covers them.
"""

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.core.errors import NotFound, PermissionDenied
from careloop.memberships.models import Membership
from careloop.patients.models import Patient


def _refuse(user: User, membership_id: int, action: str) -> None:
    audit_record(
        action=action,
        actor=user,
        outcome=Outcome.DENIED,
        object_type="membership",
        object_id=membership_id,
    )


def access_membership(
    user: User,
    membership_id: int,
    capability: Capability = Capability.MEMBERSHIP_VIEW,
    *,
    action: str = "membership.view",
) -> Membership:
    if user.is_authenticated and user.is_patient:
        own_id = Patient.objects.filter(user=user).values_list("id", flat=True).first()
        covers_them = (
            own_id is not None
            and Membership.objects.filter(pk=membership_id, members__patient_id=own_id).exists()
        )
        if not covers_them:
            _refuse(user, membership_id, action)
            raise NotFound("No such membership.")
        if capability != Capability.MEMBERSHIP_VIEW:
            _refuse(user, membership_id, action)
            raise PermissionDenied(
                "Patients can see their membership but not change it here.", code="forbidden"
            )
    elif not has_capability(user, capability):
        _refuse(user, membership_id, action)
        raise PermissionDenied(f"Your role does not allow {capability.value}.", code="forbidden")
    membership = (
        Membership.objects.select_related("plan", "price", "payer_patient", "sponsor")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise NotFound("No such membership.")
    patient_ids: list[int | None] = [
        *sorted(set(membership.members.values_list("patient_id", flat=True)))
    ]
    for patient_id in patient_ids or [None]:
        audit_record(
            action=action,
            actor=user,
            patient_id=patient_id,
            object_type="membership",
            object_id=membership.pk,
        )
    return membership
