from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.patients.models import Patient
from careloop.patients.selectors import patient_search


@dataclass(frozen=True)
class PatientRow:
    """A patient as a list shows them: with their age on the clinic's today."""

    patient: Patient
    age: int


def acting_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where a form asked to return to, if that is a path on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def search_rows(request: HttpRequest, query: str, *, limit: int) -> tuple[list[PatientRow], bool]:
    """The first `limit` patients matching `query`, and whether there are more.

    Who was shown is audited; the query itself may hold a name, so it is not.
    """
    if not query:
        return [], False
    found = patient_search(query, limit + 1)
    shown = found[:limit]
    audit_record(
        action="patient.search",
        actor=acting_user(request),
        object_type="patient",
        detail={"patient_ids": [patient.id for patient in shown]},
    )
    today = clock.today()
    return [PatientRow(patient, patient.age_on(today)) for patient in shown], len(found) > limit
