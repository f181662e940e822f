"""Care teams: who looks after a patient, in which role; at most one primary provider."""

from django.db import transaction

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.patients.models import CareTeamMember, CareTeamRole, Patient

# Which staff role may fill which care team role.
FITTING_STAFF_ROLE: dict[CareTeamRole, Role] = {
    CareTeamRole.PRIMARY_PROVIDER: Role.PROVIDER,
    CareTeamRole.PROVIDER: Role.PROVIDER,
    CareTeamRole.COACH: Role.COORDINATOR,
    CareTeamRole.COORDINATOR: Role.COORDINATOR,
}


def eligible_staff(role: CareTeamRole | None = None) -> list[User]:
    """Active staff who may fill `role` (any care team role when None)."""
    roles = {FITTING_STAFF_ROLE[role]} if role is not None else set(FITTING_STAFF_ROLE.values())
    return list(
        User.objects.filter(is_active=True, role__in=roles).order_by("last_name", "first_name")
    )


def _audit(actor: User, action: str, member: CareTeamMember, detail: dict[str, object]) -> None:
    audit_record(
        action=action,
        actor=actor,
        patient_id=member.patient_id,
        object_type="care_team_member",
        object_id=member.id,
        detail=detail,
    )


def care_team_assign(*, actor: User, patient: Patient, staff: User, role: str) -> CareTeamMember:
    """Put `staff` on the patient's care team in `role`, or change their role there.

    Providers fill the provider roles, care coordinators the coach and coordinator roles.
    Assigning a primary provider replaces the current one, who leaves the care team.
    """
    if role not in CareTeamRole.values:
        choices = ", ".join(CareTeamRole.values)
        raise ValidationFailed.single("role", f"Choose one of: {choices}.", "invalid_choice")
    team_role = CareTeamRole(role)
    fitting = FITTING_STAFF_ROLE[team_role]
    if not staff.is_active or staff.role != fitting:
        raise ValidationFailed.single(
            "staff",
            f"{staff.display_name} cannot be a {team_role.label.lower()}: "
            f"that takes an active {fitting.label.lower()}.",
            "unfit_staff",
        )
    with transaction.atomic():
        Patient.objects.select_for_update().filter(id=patient.id).first()
        existing = CareTeamMember.objects.filter(patient=patient, staff=staff).first()
        if existing is not None and existing.role == team_role:
            return existing
        replaced = False
        if team_role == CareTeamRole.PRIMARY_PROVIDER:
            previous = (
                CareTeamMember.objects.filter(patient=patient, role=CareTeamRole.PRIMARY_PROVIDER)
                .exclude(staff=staff)
                .first()
            )
            if previous is not None:
                _audit(actor, "care_team.remove", previous, {"fields": ["staff", "role"]})
                previous.delete()
                replaced = True
        if existing is not None:
            existing.role = team_role
            existing.save(update_fields=["role"])
            _audit(actor, "care_team.update", existing, {"fields": ["role"]})
            return existing
        member = CareTeamMember.objects.create(
            patient=patient, staff=staff, role=team_role, assigned_at=clock.now()
        )
        _audit(
            actor,
            "care_team.assign",
            member,
            {"fields": ["role", "staff"], "replaced_primary_provider": replaced},
        )
    return member


def care_team_remove(*, actor: User, member: CareTeamMember) -> None:
    """Take a staff member off a patient's care team."""
    with transaction.atomic():
        locked = CareTeamMember.objects.select_for_update().filter(id=member.id).first()
        if locked is None:
            return
        _audit(actor, "care_team.remove", locked, {"fields": ["role", "staff"]})
        locked.delete()
