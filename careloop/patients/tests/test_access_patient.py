import pytest

from careloop.accounts.policy import Capability
from careloop.audit.models import AuditEvent
from careloop.core.errors import NotFound, PermissionDenied
from careloop.patients.access import access_patient

pytestmark = pytest.mark.django_db


def test_a_patient_reaches_their_own_record(patient_ann):
    assert access_patient(patient_ann.user, patient_ann.id) == patient_ann


def test_it_rejects_another_patients_record_as_not_found(patient_ann, patient_bob):
    with pytest.raises(NotFound):
        access_patient(patient_ann.user, patient_bob.id)
    denied = AuditEvent.objects.get()
    assert (denied.outcome, denied.patient_id) == ("denied", patient_bob.id)


def test_staff_without_the_capability_are_refused(billing, patient_ann):
    with pytest.raises(PermissionDenied):
        access_patient(billing, patient_ann.id, capability=Capability.PATIENT_EDIT)


def test_every_successful_read_is_an_audit_event(provider, patient_ann):
    access_patient(provider, patient_ann.id)
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.patient_id, event.actor_id) == (
        "patient.view",
        "success",
        patient_ann.id,
        provider.id,
    )
