"""Routers, authorization and field naming shared by the membership operations."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.http import HttpRequest
from ninja import Router

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from careloop.memberships.access import access_membership
from careloop.memberships.models import (
    Membership,
)
from careloop.patients.access import access_patient
from careloop.patients.models import Patient

memberships_router = Router(tags=["memberships"])
coverage_router = Router(tags=["memberships"])

MINOR_UNITS = "Minor units (cents)"
EFFECTIVE_ON = (
    "When it takes effect: today when empty; a later date schedules it; an earlier date is "
    "backdating (admins only)"
)
AT_PERIOD_END = "Take effect when the current billing period ends (instead of effective_on)"

# The services name a field as their arguments do ("plan"); the API's body names it "plan_id".
API_FIELD_NAMES = {
    "plan": "plan_id",
    "sponsor": "sponsor_id",
    "patient": "patient_id",
    "reason": "reason_id",
    "price": "price_id",
}


@contextmanager
def api_field_names() -> Iterator[None]:
    try:
        yield
    except ValidationFailed as error:
        renamed = type(error)(
            [
                FieldError(API_FIELD_NAMES.get(item.field, item.field), item.message, item.code)
                for item in error.errors
            ],
            error.message,
        )
        renamed.code = error.code
        raise renamed from error


def request_user(request: HttpRequest) -> User:
    user = getattr(request, "auth", None)
    assert isinstance(user, User)
    return user


def staff_user(request: HttpRequest, capability: Capability) -> User:
    """The signed-in staff member, if their role holds `capability`; patients get 404."""
    user = request_user(request)
    if user.is_patient:
        raise NotFound("Not found.")
    if not has_capability(user, capability):
        raise PermissionDenied(f"Your role does not allow {capability.value}.", code="forbidden")
    return user


def membership_for_staff(
    request: HttpRequest, membership_id: int, capability: Capability, action: str
) -> tuple[User, Membership]:
    """The membership, for staff holding `capability`; a patient is told it does not exist."""
    user = request_user(request)
    if user.is_patient:
        audit_record(
            action=action,
            actor=user,
            outcome=Outcome.DENIED,
            object_type="membership",
            object_id=membership_id,
        )
        raise NotFound("No such membership.")
    return user, access_membership(user, membership_id, capability, action=action)


def staff_patient(user: User, patient_id: int, *, field: str, capability: Capability) -> Patient:
    """A patient named in a body; an unknown one is a field error, not a missing resource."""
    try:
        return access_patient(user, patient_id, capability=capability, action=capability.value)
    except NotFound:
        raise ValidationFailed.single(
            field, f"There is no patient with id {patient_id}.", "not_found"
        ) from None
