"""Households: a patient belongs to at most one, and its head is always one of its members."""

from collections.abc import Sequence

from django.db import transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import FieldError, ValidationFailed
from careloop.patients.models import Household, Patient

NAME_LIMIT = 200


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise ValidationFailed.single("name", "Household name is required.", "required")
    if len(cleaned) > NAME_LIMIT:
        raise ValidationFailed.single("name", f"Use at most {NAME_LIMIT} characters.", "too_long")
    return cleaned


def _lock_patients(patients: Sequence[Patient]) -> dict[int, Patient]:
    ids = sorted({patient.id for patient in patients})
    locked = Patient.objects.select_for_update().filter(id__in=ids).order_by("id")
    return {patient.id: patient for patient in locked}


def _joinable(patient: Patient, household: Household | None, *, field: str) -> FieldError | None:
    if patient.household_id is not None and (
        household is None or patient.household_id != household.id
    ):
        other = Household.objects.filter(id=patient.household_id).first()
        other_name = f"“{other.name}”" if other is not None else "another household"
        return FieldError(
            field,
            f"{patient.full_name} already belongs to {other_name}; remove them there first.",
            "in_another_household",
        )
    return None


def _audit(
    actor: User, action: str, household: Household, patient_id: int, fields: list[str]
) -> None:
    audit_record(
        action=action,
        actor=actor,
        patient_id=patient_id,
        object_type="household",
        object_id=household.id,
        detail={"fields": fields},
    )


def _set_membership(patient: Patient, household: Household | None) -> None:
    patient.household = household
    patient.updated_at = clock.now()
    patient.save(update_fields=["household", "updated_at"])


def household_create(
    *, actor: User, name: str, head: Patient, members: Sequence[Patient] = ()
) -> Household:
    """Start a household with `head` as its head and first member, and any other `members`.

    Nobody may already belong to another household.
    """
    with transaction.atomic():
        errors: list[FieldError] = []
        try:
            cleaned_name = _clean_name(name)
        except ValidationFailed as error:
            errors.extend(error.errors)
        locked = _lock_patients([head, *members])
        problem = _joinable(locked[head.id], None, field="head")
        if problem is not None:
            errors.append(problem)
        others = sorted(set(locked) - {head.id})
        for patient_id in others:
            problem = _joinable(locked[patient_id], None, field="members")
            if problem is not None:
                errors.append(problem)
        if errors:
            raise ValidationFailed(errors)
        household = Household.objects.create(
            name=cleaned_name, head=locked[head.id], created_at=clock.now()
        )
        _set_membership(locked[head.id], household)
        _audit(actor, "household.create", household, head.id, ["head", "name"])
        for patient_id in others:
            _add_member(actor, household, locked[patient_id])
    head.household = household
    return household


def _add_member(actor: User, household: Household, patient: Patient) -> None:
    if patient.household_id == household.id:
        raise ValidationFailed.single(
            "patient", f"{patient.full_name} is already a member.", "already_member"
        )
    problem = _joinable(patient, household, field="patient")
    if problem is not None:
        raise ValidationFailed([problem])
    _set_membership(patient, household)
    _audit(actor, "household.member_add", household, patient.id, ["household"])


def _remove_member(actor: User, household: Household, patient: Patient) -> None:
    if patient.household_id != household.id:
        raise ValidationFailed.single(
            "patient", f"{patient.full_name} is not a member of this household.", "not_member"
        )
    if household.head_id == patient.id:
        raise ValidationFailed.single(
            "patient",
            f"{patient.full_name} is the head of the household; make another member the head "
            "first.",
            "head_cannot_leave",
        )
    _set_membership(patient, None)
    _audit(actor, "household.member_remove", household, patient.id, ["household"])


def _set_head(actor: User, household: Household, patient: Patient) -> None:
    if patient.household_id != household.id:
        raise ValidationFailed.single(
            "head",
            f"{patient.full_name} is not a member; add them to the household first.",
            "not_member",
        )
    if household.head_id == patient.id:
        return
    household.head = patient
    household.save(update_fields=["head"])
    _audit(actor, "household.head_change", household, patient.id, ["head"])


def _lock_household(household: Household) -> Household:
    return Household.objects.select_for_update().get(id=household.id)


def household_add_member(*, actor: User, household: Household, patient: Patient) -> None:
    """Add `patient`, who must not belong to another household."""
    with transaction.atomic():
        locked = _lock_household(household)
        _add_member(actor, locked, _lock_patients([patient])[patient.id])
    patient.household = household


def household_remove_member(*, actor: User, household: Household, patient: Patient) -> None:
    """Remove `patient`; the head cannot leave until another member is made head."""
    with transaction.atomic():
        locked = _lock_household(household)
        _remove_member(actor, locked, _lock_patients([patient])[patient.id])
    patient.household = None


def household_set_head(*, actor: User, household: Household, patient: Patient) -> None:
    """Make the member `patient` the head of the household."""
    with transaction.atomic():
        locked = _lock_household(household)
        _set_head(actor, locked, _lock_patients([patient])[patient.id])
    household.head = patient


def household_update(
    *,
    actor: User,
    household: Household,
    name: str | None = None,
    head: Patient | None = None,
    members: Sequence[Patient] | None = None,
) -> Household:
    """Rename, change the head and set the full list of members in one step.

    `members`, when given, is the complete new membership and must include the head; people
    left out are removed, new people must not belong to another household.
    """
    with transaction.atomic():
        locked = _lock_household(household)
        current = list(Patient.objects.filter(household=locked))
        wanted = list(members) if members is not None else current
        involved = _lock_patients([*current, *wanted, *([head] if head else [])])
        wanted_ids = {patient.id for patient in wanted}
        head_id = head.id if head is not None else locked.head_id
        errors: list[FieldError] = []
        cleaned_name = locked.name
        if name is not None:
            try:
                cleaned_name = _clean_name(name)
            except ValidationFailed as error:
                errors.extend(error.errors)
        if head_id not in wanted_ids:
            field = "head" if head is not None else "members"
            errors.append(
                FieldError(
                    field,
                    "The head must be a member of the household; "
                    "make another member the head before removing the current one.",
                    "head_not_member",
                )
            )
        for patient_id in sorted(wanted_ids):
            problem = _joinable(involved[patient_id], locked, field="members")
            if problem is not None:
                errors.append(problem)
        if errors:
            raise ValidationFailed(errors)
        if cleaned_name != locked.name:
            locked.name = cleaned_name
            locked.save(update_fields=["name"])
            _audit(actor, "household.update", locked, locked.head_id, ["name"])
        for patient_id in sorted(wanted_ids - {p.id for p in current}):
            _add_member(actor, locked, involved[patient_id])
        _set_head(actor, locked, involved[head_id])
        for patient in current:
            if patient.id not in wanted_ids:
                _remove_member(actor, locked, involved[patient.id])
    return locked
