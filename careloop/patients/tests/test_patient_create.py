from datetime import UTC, date, datetime

import pytest

from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.patients.errors import PossibleDuplicate
from careloop.patients.models import Patient
from careloop.patients.services import patient_create

pytestmark = pytest.mark.django_db


def valid(**overrides):
    fields = {
        "legal_given_name": "Zoë",
        "legal_family_name": "Álvarez",
        "date_of_birth": date(1985, 3, 9),
        "sex_at_birth": "female",
        "email": "zoe.alvarez@Example.INVALID",
        "mobile_phone": "(512) 555-0142",
    }
    return fields | overrides


def field_codes(error: ValidationFailed) -> dict[str, str]:
    return {item.field: item.code for item in error.errors}


def test_it_creates_a_patient_with_e164_phones_and_folded_search_columns(front_desk):
    patient = patient_create(
        actor=front_desk,
        **valid(
            home_phone="512.555.0143",
            emergency_contact_name="Luis",
            emergency_contact_phone="+1 737 555 0101",
        ),
    )
    patient.refresh_from_db()
    assert patient.mobile_phone == "+15125550142"
    assert patient.home_phone == "+15125550143"
    assert patient.emergency_contact_phone == "+17375550101"
    assert (patient.search_given, patient.search_family) == ("zoe", "alvarez")
    assert patient.search_phone == "15125550142"
    assert patient.email == "zoe.alvarez@example.invalid"
    assert patient.search_email == "zoe.alvarez@example.invalid"


def test_it_audits_the_creation_with_field_names_and_no_values(front_desk):
    patient = patient_create(actor=front_desk, **valid())
    event = AuditEvent.objects.get(action="patient.create")
    assert (event.patient_id, event.actor_id) == (patient.id, front_desk.id)
    assert "legal_given_name" in event.detail["fields"]
    assert "Zoë" not in str(event.detail)
    assert "0142" not in str(event.detail)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"legal_given_name": "  "}, "legal_given_name", "required"),
        ({"legal_family_name": ""}, "legal_family_name", "required"),
        ({"legal_given_name": "x" * 101}, "legal_given_name", "too_long"),
        ({"date_of_birth": None}, "date_of_birth", "required"),
        ({"date_of_birth": date(2031, 1, 1)}, "date_of_birth", "in_future"),
        ({"date_of_birth": date(1899, 12, 31)}, "date_of_birth", "too_early"),
        ({"sex_at_birth": "robot"}, "sex_at_birth", "invalid_choice"),
        ({"sex_at_birth": ""}, "sex_at_birth", "required"),
        ({"email": "not-an-email"}, "email", "invalid"),
        ({"mobile_phone": "555-0123"}, "mobile_phone", "invalid_phone"),
        ({"home_phone": "call me"}, "home_phone", "invalid_phone"),
        ({"country": "USA"}, "country", "invalid_country"),
        ({"country": "XK"}, "country", "invalid_country"),
        ({"preferred_language": "english please"}, "preferred_language", "invalid_language"),
        (
            {"emergency_contact_name": "Luis", "emergency_contact_phone": "12"},
            "emergency_contact_phone",
            "invalid_phone",
        ),
        ({"emergency_contact_phone": "(512) 555-0100"}, "emergency_contact_name", "required"),
    ],
)
def test_it_rejects_a_bad_field_by_name_and_creates_nothing(front_desk, overrides, field, code):
    clock.freeze(datetime(2030, 6, 1, 12, tzinfo=UTC))
    with pytest.raises(ValidationFailed) as raised:
        patient_create(actor=front_desk, **valid(**overrides))
    assert field_codes(raised.value) == {field: code}
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_reports_every_bad_field_at_once(front_desk):
    with pytest.raises(ValidationFailed) as raised:
        patient_create(actor=front_desk, **valid(legal_given_name="", email="nope", country="ZZ"))
    assert set(field_codes(raised.value)) == {"legal_given_name", "email", "country"}


def test_it_accepts_the_first_of_1900_and_today_as_dates_of_birth(front_desk):
    clock.freeze(datetime(2030, 6, 1, 12, tzinfo=UTC))
    patient_create(actor=front_desk, **valid(date_of_birth=date(1900, 1, 1)))
    patient_create(
        actor=front_desk, **valid(legal_given_name="Newborn", date_of_birth=date(2030, 6, 1))
    )
    assert Patient.objects.count() == 2


def test_it_normalizes_country_and_language_tags(front_desk):
    patient = patient_create(
        actor=front_desk,
        **valid(country="ca", preferred_language="pt_br", mobile_phone="416 555 0199"),
    )
    assert (patient.country, patient.preferred_language) == ("CA", "pt-BR")
    assert patient.mobile_phone == "+14165550199"


def test_a_same_name_and_birth_date_is_reported_as_a_possible_duplicate(front_desk):
    first = patient_create(actor=front_desk, **valid())
    with pytest.raises(PossibleDuplicate) as raised:
        patient_create(
            actor=front_desk,
            **valid(legal_given_name="ZOE", legal_family_name="alvarez", email=""),
        )
    assert raised.value.candidates == [first]
    assert raised.value.status == 409
    assert Patient.objects.count() == 1


def test_a_confirmed_duplicate_is_created_and_the_audit_says_so(front_desk):
    patient_create(actor=front_desk, **valid())
    second = patient_create(actor=front_desk, confirm_duplicate=True, **valid())
    assert Patient.objects.count() == 2
    event = AuditEvent.objects.get(action="patient.create", patient_id=second.id)
    assert event.detail["confirmed_duplicate"] is True


def test_a_different_birth_date_is_no_duplicate(front_desk):
    patient_create(actor=front_desk, **valid())
    patient_create(actor=front_desk, **valid(date_of_birth=date(1985, 3, 10)))
    assert Patient.objects.count() == 2


def test_it_rejects_fields_patients_do_not_have(front_desk):
    with pytest.raises(ValidationFailed) as raised:
        patient_create(actor=front_desk, **valid(), shoe_size="9")  # type: ignore[call-arg]
    assert field_codes(raised.value) == {"shoe_size": "unknown_field"}
