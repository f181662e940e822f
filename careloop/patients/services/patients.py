from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any, TypedDict, Unpack

from django.db import models, transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import FieldError, ValidationFailed
from careloop.patients import rules
from careloop.patients.errors import PossibleDuplicate
from careloop.patients.models import Patient
from careloop.patients.search import fold, fold_search_columns


class PatientFields(TypedDict, total=False):
    """The demographic fields staff enter; every one is optional on update."""

    legal_given_name: str
    legal_family_name: str
    preferred_name: str
    date_of_birth: date | None
    sex_at_birth: str
    gender_identity: str
    pronouns: str
    email: str
    mobile_phone: str
    home_phone: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str
    preferred_language: str
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str


FIELD_NAMES: tuple[str, ...] = tuple(PatientFields.__annotations__)
PHONE_FIELDS = ("mobile_phone", "home_phone", "emergency_contact_phone")
_DEFAULTS: dict[str, Any] = {
    name: "" for name in FIELD_NAMES if name not in ("date_of_birth", "country")
} | {"date_of_birth": None, "country": "US", "preferred_language": "en"}

_LENGTH_LIMITS: dict[str, int] = {
    field.name: field.max_length or 0
    for field in Patient._meta.concrete_fields
    if isinstance(field, models.CharField)
}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Check every field at once, so one submission reports every problem."""
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}

    def run(field: str, check: Callable[[], Any]) -> None:
        try:
            cleaned[field] = check()
        except ValidationFailed as error:
            errors.extend(error.errors)

    def text(field: str, *, label: str | None = None) -> str:
        value = str(values.get(field) or "").strip()
        if label is not None:
            value = rules.required_text(field, value, label=label)
        return rules.max_length(field, value, _LENGTH_LIMITS[field])

    run("legal_given_name", lambda: text("legal_given_name", label="Legal given name"))
    run("legal_family_name", lambda: text("legal_family_name", label="Legal family name"))
    run("date_of_birth", lambda: rules.date_of_birth(values["date_of_birth"], today=clock.today()))
    run("sex_at_birth", lambda: rules.sex_at_birth(values["sex_at_birth"] or ""))
    run("email", lambda: rules.max_length("email", rules.email(values["email"] or ""), 254))
    run("country", lambda: rules.country(values["country"] or ""))
    run("preferred_language", lambda: rules.language(values["preferred_language"] or ""))
    region = cleaned.get("country", "US")
    for field in PHONE_FIELDS:
        run(field, partial(rules.phone, field, values[field] or "", region=region))
    for field in (
        "preferred_name",
        "gender_identity",
        "pronouns",
        "address_line1",
        "address_line2",
        "city",
        "region",
        "postal_code",
        "emergency_contact_name",
        "emergency_contact_relationship",
    ):
        run(field, partial(text, field))
    has_contact_detail = cleaned.get("emergency_contact_phone") or cleaned.get(
        "emergency_contact_relationship"
    )
    if has_contact_detail and not cleaned.get("emergency_contact_name"):
        errors.append(
            FieldError(
                "emergency_contact_name",
                "Add the emergency contact's name, or clear their phone and relationship.",
                "required",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _unknown_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(FIELD_NAMES))
    if unknown:
        raise ValidationFailed(
            [FieldError(name, "Patients have no such field.", "unknown_field") for name in unknown]
        )


def patient_create(
    *,
    actor: User,
    confirm_duplicate: bool = False,
    user: User | None = None,
    **fields: Unpack[PatientFields],
) -> Patient:
    """Register a patient.

    Someone with the same folded given and family name and date of birth is probably the same
    person registered twice: that raises PossibleDuplicate with the candidates unless the caller
    confirms. Phones are stored in E.164; the search columns are folded from the names.
    """
    _unknown_fields(dict(fields))
    cleaned = _clean(_DEFAULTS | dict(fields))
    if user is not None and (not user.is_patient or Patient.objects.filter(user=user).exists()):
        raise ValidationFailed.single(
            "user", "That sign-in is not a patient's, or already belongs to a patient."
        )
    with transaction.atomic():
        if not confirm_duplicate:
            candidates = list(
                Patient.objects.filter(
                    search_given=fold(cleaned["legal_given_name"])[:100],
                    search_family=fold(cleaned["legal_family_name"])[:100],
                    date_of_birth=cleaned["date_of_birth"],
                ).order_by("id")[:10]
            )
            if candidates:
                raise PossibleDuplicate(candidates)
        now = clock.now()
        patient = Patient(**cleaned, user=user, created_at=now, updated_at=now)
        fold_search_columns(patient)
        patient.save()
        audit_record(
            action="patient.create",
            actor=actor,
            patient_id=patient.id,
            object_type="patient",
            object_id=patient.id,
            detail={
                "fields": sorted(name for name, value in cleaned.items() if value),
                "confirmed_duplicate": confirm_duplicate,
            },
        )
    return patient


def patient_update(*, actor: User, patient: Patient, **changes: Unpack[PatientFields]) -> Patient:
    """Change some of a patient's demographics; the audit row names the changed fields."""
    _unknown_fields(dict(changes))
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(id=patient.id)
        current = {name: getattr(locked, name) for name in FIELD_NAMES}
        cleaned = _clean(current | dict(changes))
        changed = sorted(name for name in FIELD_NAMES if cleaned[name] != current[name])
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, cleaned[name])
        locked.updated_at = clock.now()
        fold_search_columns(locked)
        locked.save()
        audit_record(
            action="patient.update",
            actor=actor,
            patient_id=locked.id,
            object_type="patient",
            object_id=locked.id,
            detail={"fields": changed},
        )
    for name in (*changed, "updated_at"):
        setattr(patient, name, getattr(locked, name))
    fold_search_columns(patient)
    return locked
