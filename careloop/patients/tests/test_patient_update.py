from datetime import date

import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import ValidationFailed
from careloop.patients.models import Patient
from careloop.patients.services import patient_update
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


def test_it_changes_fields_and_refolds_the_search_columns(provider):
    patient = make_patient(given="Ann", family="Avery")
    patient_update(
        actor=provider,
        patient=patient,
        legal_family_name="Ångström",
        preferred_name="Annie",
        mobile_phone="737-555-0110",
    )
    stored = Patient.objects.get(id=patient.id)
    assert stored.legal_family_name == "Ångström"
    assert (stored.search_family, stored.search_preferred) == ("angstrom", "annie")
    assert (stored.mobile_phone, stored.search_phone) == ("+17375550110", "17375550110")
    assert patient.legal_family_name == "Ångström"


def test_it_audits_only_the_names_of_changed_fields(provider):
    patient = make_patient(given="Ann", family="Avery")
    patient_update(actor=provider, patient=patient, legal_given_name="Ann", pronouns="she/her")
    event = AuditEvent.objects.get(action="patient.update")
    assert event.detail == {"fields": ["pronouns"]}
    assert event.patient_id == patient.id


def test_an_update_that_changes_nothing_writes_no_audit_row(provider):
    patient = make_patient(given="Ann", family="Avery")
    patient_update(actor=provider, patient=patient, legal_given_name="Ann")
    assert not AuditEvent.objects.exists()


def test_a_rejected_update_changes_nothing(provider):
    patient = make_patient(given="Ann", family="Avery")
    before = Patient.objects.values().get(id=patient.id)
    with pytest.raises(ValidationFailed) as raised:
        patient_update(
            actor=provider,
            patient=patient,
            legal_family_name="Brown",
            date_of_birth=date(1850, 1, 1),
        )
    assert [error.field for error in raised.value.errors] == ["date_of_birth"]
    assert Patient.objects.values().get(id=patient.id) == before
    assert not AuditEvent.objects.exists()
