"""The only way a view, API operation or task fetches a patient on someone's behalf.

Staff need the capability for what they are about to do (403 otherwise); a patient reaches
only their own record, and anything else is "not found" (404), so a patient cannot even learn
that another record exists. Every attempt, allowed or not, is an audit event.
"""

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.core.errors import NotFound, PermissionDenied
from careloop.patients.models import Patient


def access_patient(
    user: User,
    patient_id: int,
    *,
    capability: Capability = Capability.PATIENT_VIEW,
    action: str = "patient.view",
) -> Patient:
    if user.is_authenticated and user.is_patient:
        own_id = Patient.objects.filter(user=user).values_list("id", flat=True).first()
        if own_id != patient_id:
            audit_record(
                action=action,
                actor=user,
                outcome=Outcome.DENIED,
                patient_id=patient_id,
                object_type="patient",
                object_id=patient_id,
            )
            raise NotFound("No such patient.")
        if capability != Capability.PATIENT_VIEW:
            audit_record(
                action=action,
                actor=user,
                outcome=Outcome.DENIED,
                patient_id=patient_id,
                object_type="patient",
                object_id=patient_id,
            )
            raise PermissionDenied("Patients can read their record but not change it here.")
    elif not has_capability(user, capability):
        audit_record(
            action=action,
            actor=user,
            outcome=Outcome.DENIED,
            patient_id=patient_id,
            object_type="patient",
            object_id=patient_id,
        )
        raise PermissionDenied(f"Your role does not allow {capability.value}.", code="forbidden")
    patient = Patient.objects.filter(id=patient_id).select_related("household").first()
    if patient is None:
        raise NotFound("No such patient.")
    audit_record(
        action=action,
        actor=user,
        patient_id=patient.id,
        object_type="patient",
        object_id=patient.id,
    )
    return patient
