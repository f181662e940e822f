"""Every write to patients, households and care teams (one transaction and audit row each)."""

from careloop.patients.services.care_team import care_team_assign, care_team_remove
from careloop.patients.services.households import (
    household_add_member,
    household_create,
    household_remove_member,
    household_set_head,
    household_update,
)
from careloop.patients.services.patients import PatientFields, patient_create, patient_update

__all__ = [
    "PatientFields",
    "care_team_assign",
    "care_team_remove",
    "household_add_member",
    "household_create",
    "household_remove_member",
    "household_set_head",
    "household_update",
    "patient_create",
    "patient_update",
]
