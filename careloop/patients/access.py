"""The only way a view, API operation or task fetches a patient on someone's behalf.

Staff need the capability for what they are about to do (403 otherwise); a patient reaches
only their own record, and anything else is "not found" (404), so a patient cannot even learn
that another record exists. Every attempt, allowed or not, is an audit event.
"""

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.core.errors import CareloopError, NotFound, PermissionDenied
from careloop.patients.models import Patient


def access_patient(
    user: User,
    patient_id: int,
    *,
    capability: Capability = Capability.PATIENT_VIEW,
    action: str = "patient.view",
) -> Patient:
    refusal = _refusal(user, patient_id, capability)
    outcome = Outcome.DENIED if refusal is not None else Outcome.SUCCESS
    patient = None
    if refusal is None:
        patient = Patient.objects.filter(id=patient_id).select_related("household").first()
        if patient is None:
            raise NotFound("No such patient.")
    audit_record(
        action=action,
        actor=user,
        outcome=outcome,
        patient_id=patient_id,
        object_type="patient",
        object_id=patient_id,
    )
    if refusal is not None:
        raise refusal
    assert patient is not None
    return patient


def _refusal(user: User, patient_id: int, capability: Capability) -> CareloopError | None:
    """Why `user` may not reach this patient for `capability`, or None when they may."""
    if user.is_authenticated and user.is_patient:
        own_id = Patient.objects.filter(user=user).values_list("id", flat=True).first()
        if own_id != patient_id:
            return NotFound("No such patient.")
        if capability != Capability.PATIENT_VIEW:
            return PermissionDenied("Patients can read their record but not change it here.")
        return None
    if not has_capability(user, capability):
        return PermissionDenied(f"Your role does not allow {capability.value}.", code="forbidden")
    return None
