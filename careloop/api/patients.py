"""REST resources for patients and households (/api/v1/patients, /api/v1/households).

Each operation names the capability it needs in its OpenAPI entry ("x-careloop-capability"),
which the authorization matrix test reads. Patients reach only GET /patients/<their own id>;
every other operation answers them "not found".
"""

from datetime import date, datetime
from typing import Annotated, Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Router, Schema, Status

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, require_capability
from careloop.api.problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE
from careloop.audit.services import audit_record
from careloop.core.errors import NotFound, ValidationFailed
from careloop.patients import services
from careloop.patients.access import access_patient
from careloop.patients.errors import PossibleDuplicate
from careloop.patients.models import Household, Patient
from careloop.patients.selectors import household_members, patient_search_queryset

patients_router = Router(tags=["patients"])
households_router = Router(tags=["households"])

CAPABILITY_KEY = "x-careloop-capability"


def needs(capability: Capability) -> dict[str, Any]:
    return {CAPABILITY_KEY: capability.value}


def _user(request: HttpRequest) -> User:
    user = getattr(request, "auth", None)
    assert isinstance(user, User)
    return user


def _staff(request: HttpRequest, capability: Capability) -> User:
    """The signed-in staff member, if their role holds `capability`; patients get 404."""
    user = _user(request)
    if user.is_patient:
        raise NotFound("Not found.")
    require_capability(user, capability)
    return user


class PatientOut(Schema):
    id: int
    legal_given_name: str
    legal_family_name: str
    preferred_name: str
    date_of_birth: date
    sex_at_birth: str
    gender_identity: str
    pronouns: str
    email: str
    mobile_phone: str = Field(description="E.164")
    home_phone: str = Field(description="E.164")
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str = Field(description="ISO 3166-1 alpha-2")
    preferred_language: str = Field(description="BCP 47 tag")
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str = Field(description="E.164")
    household_id: int | None
    created_at: datetime
    updated_at: datetime


class PatientCreateIn(Schema):
    legal_given_name: str
    legal_family_name: str
    date_of_birth: date
    sex_at_birth: str = Field(description="female, male, intersex, unknown or declined")
    preferred_name: str = ""
    gender_identity: str = ""
    pronouns: str = ""
    email: str = ""
    mobile_phone: str = Field("", description="Any common form; stored in E.164")
    home_phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = "US"
    preferred_language: str = "en"
    emergency_contact_name: str = ""
    emergency_contact_relationship: str = ""
    emergency_contact_phone: str = ""
    confirm_duplicate: bool = Field(
        False, description="Create even if a patient with the same name and birth date exists"
    )


class PatientUpdateIn(Schema):
    legal_given_name: str | None = None
    legal_family_name: str | None = None
    date_of_birth: date | None = None
    sex_at_birth: str | None = None
    preferred_name: str | None = None
    gender_identity: str | None = None
    pronouns: str | None = None
    email: str | None = None
    mobile_phone: str | None = None
    home_phone: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    preferred_language: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_relationship: str | None = None
    emergency_contact_phone: str | None = None


class PatientPage(Schema):
    items: list[PatientOut]
    count: int = Field(description="Matches in all, across every page")
    limit: int
    offset: int


class DuplicateCandidate(Schema):
    id: int
    legal_given_name: str
    legal_family_name: str
    date_of_birth: date


class DuplicateProblem(Schema):
    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str
    candidates: list[DuplicateCandidate]


def _duplicate_response(request: HttpRequest, user: User, error: PossibleDuplicate) -> HttpResponse:
    candidates = [
        access_patient(user, candidate.id, action="patient.duplicate_check")
        for candidate in error.candidates
    ]
    body = DuplicateProblem(
        type=PROBLEM_TYPE_BASE + error.code,
        title="Conflict",
        status=409,
        detail=error.message + " Send confirm_duplicate: true to create anyway.",
        code=error.code,
        instance=request.path,
        candidates=[DuplicateCandidate.model_validate(candidate) for candidate in candidates],
    )
    return JsonResponse(body.model_dump(mode="json"), status=409, content_type=PROBLEM_CONTENT_TYPE)


@patients_router.get(
    "",
    response=PatientPage,
    summary="List or search patients",
    description=(
        "With `q`, patients whose names start with each word, born on a date "
        "(1980-05-17 or 5/17/1980), whose mobile phone starts with the digits, or whose email "
        "starts with the text; ordered by family then given name."
    ),
    openapi_extra=needs(Capability.PATIENT_VIEW),
)
def patient_list(
    request: HttpRequest,
    q: str = "",
    limit: Annotated[int, Field(ge=1, le=100)] = 25,
    offset: Annotated[int, Field(ge=0)] = 0,
) -> PatientPage:
    user = _staff(request, Capability.PATIENT_VIEW)
    matches = (
        patient_search_queryset(q)
        if q.strip()
        else Patient.objects.order_by("search_family", "search_given", "id")
    )
    found = list(matches[offset : offset + limit])
    audit_record(
        action="patient.search" if q.strip() else "patient.list",
        actor=user,
        object_type="patient",
        detail={"patient_ids": [patient.id for patient in found]},
    )
    return PatientPage(
        items=[PatientOut.model_validate(patient) for patient in found],
        count=matches.count(),
        limit=limit,
        offset=offset,
    )


@patients_router.get(
    "/{patient_id}",
    response=PatientOut,
    summary="One patient",
    openapi_extra=needs(Capability.PATIENT_VIEW),
)
def patient_get(request: HttpRequest, patient_id: int) -> Patient:
    return access_patient(_user(request), patient_id)


@patients_router.post(
    "",
    response={201: PatientOut, 409: DuplicateProblem},
    summary="Register a patient",
    description=(
        "409 possible_duplicate lists patients with the same name and date of birth; "
        "repeat with confirm_duplicate true to create anyway."
    ),
    openapi_extra=needs(Capability.PATIENT_CREATE),
)
def patient_create(
    request: HttpRequest, payload: PatientCreateIn
) -> Status[PatientOut] | HttpResponse:
    user = _staff(request, Capability.PATIENT_CREATE)
    fields = payload.model_dump(exclude={"confirm_duplicate"})
    try:
        patient = services.patient_create(
            actor=user, confirm_duplicate=payload.confirm_duplicate, **fields
        )
    except PossibleDuplicate as error:
        return _duplicate_response(request, user, error)
    return Status(201, PatientOut.model_validate(patient))


@patients_router.patch(
    "/{patient_id}",
    response=PatientOut,
    summary="Change some of a patient's demographics",
    openapi_extra=needs(Capability.PATIENT_EDIT),
)
def patient_update(request: HttpRequest, patient_id: int, payload: PatientUpdateIn) -> Patient:
    user = _user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.PATIENT_EDIT, action="patient.edit"
    )
    changes: dict[str, Any] = {
        name: "" if value is None and name != "date_of_birth" else value
        for name, value in payload.model_dump(exclude_unset=True).items()
    }
    return services.patient_update(actor=user, patient=patient, **changes)


class HouseholdMemberOut(Schema):
    id: int
    legal_given_name: str
    legal_family_name: str
    is_head: bool


class HouseholdOut(Schema):
    id: int
    name: str
    head_id: int
    members: list[HouseholdMemberOut]


class HouseholdPage(Schema):
    items: list[HouseholdOut]
    count: int
    limit: int
    offset: int


class HouseholdCreateIn(Schema):
    name: str
    head_id: int
    member_ids: list[int] = Field(default_factory=list, description="Members besides the head")


class HouseholdUpdateIn(Schema):
    name: str | None = None
    head_id: int | None = None
    member_ids: list[int] | None = Field(
        None, description="The complete new membership, including the head"
    )


def _household_out(household: Household, members: list[Patient]) -> HouseholdOut:
    return HouseholdOut(
        id=household.id,
        name=household.name,
        head_id=household.head_id,
        members=[
            HouseholdMemberOut(
                id=member.id,
                legal_given_name=member.legal_given_name,
                legal_family_name=member.legal_family_name,
                is_head=member.id == household.head_id,
            )
            for member in members
        ],
    )


def _household_read(user: User, household: Household) -> HouseholdOut:
    # Each member listed is a read of that patient, so each goes through access_patient.
    members = [
        access_patient(user, member.id, action="household.view")
        for member in household_members(household)
    ]
    return _household_out(household, members)


def _patient_for(user: User, patient_id: int, *, field: str) -> Patient:
    try:
        return access_patient(
            user, patient_id, capability=Capability.HOUSEHOLD_MANAGE, action="household.manage"
        )
    except NotFound:
        raise ValidationFailed.single(
            field, f"There is no patient with id {patient_id}.", "not_found"
        ) from None


def _household(household_id: int) -> Household:
    household = Household.objects.filter(id=household_id).first()
    if household is None:
        raise NotFound("No such household.")
    return household


@households_router.get(
    "",
    response=HouseholdPage,
    summary="List households",
    openapi_extra=needs(Capability.PATIENT_VIEW),
)
def household_list(
    request: HttpRequest,
    limit: Annotated[int, Field(ge=1, le=100)] = 25,
    offset: Annotated[int, Field(ge=0)] = 0,
) -> HouseholdPage:
    user = _staff(request, Capability.PATIENT_VIEW)
    households = Household.objects.order_by("name", "id")
    page = list(households[offset : offset + limit])
    members: dict[int, list[Patient]] = {household.id: [] for household in page}
    for patient in Patient.objects.filter(household__in=page).order_by(
        "search_family", "search_given", "id"
    ):
        assert patient.household_id is not None
        members[patient.household_id].append(patient)
    audit_record(
        action="household.list",
        actor=user,
        object_type="household",
        detail={"patient_ids": [p.id for group in members.values() for p in group]},
    )
    return HouseholdPage(
        items=[_household_out(household, members[household.id]) for household in page],
        count=households.count(),
        limit=limit,
        offset=offset,
    )


@households_router.get(
    "/{household_id}",
    response=HouseholdOut,
    summary="One household and its members",
    openapi_extra=needs(Capability.PATIENT_VIEW),
)
def household_get(request: HttpRequest, household_id: int) -> HouseholdOut:
    user = _staff(request, Capability.PATIENT_VIEW)
    return _household_read(user, _household(household_id))


@households_router.post(
    "",
    response={201: HouseholdOut},
    summary="Start a household",
    openapi_extra=needs(Capability.HOUSEHOLD_MANAGE),
)
def household_create(request: HttpRequest, payload: HouseholdCreateIn) -> Status[HouseholdOut]:
    user = _staff(request, Capability.HOUSEHOLD_MANAGE)
    with transaction.atomic():
        head = _patient_for(user, payload.head_id, field="head_id")
        members = [
            _patient_for(user, member_id, field="member_ids")
            for member_id in payload.member_ids
            if member_id != payload.head_id
        ]
        household = services.household_create(
            actor=user, name=payload.name, head=head, members=members
        )
    return Status(201, _household_out(household, household_members(household)))


@households_router.patch(
    "/{household_id}",
    response=HouseholdOut,
    summary="Rename a household, change its head or set its members",
    openapi_extra=needs(Capability.HOUSEHOLD_MANAGE),
)
def household_update(
    request: HttpRequest, household_id: int, payload: HouseholdUpdateIn
) -> HouseholdOut:
    user = _staff(request, Capability.HOUSEHOLD_MANAGE)
    with transaction.atomic():
        household = _household(household_id)
        head = (
            _patient_for(user, payload.head_id, field="head_id")
            if payload.head_id is not None
            else None
        )
        members = (
            [_patient_for(user, member_id, field="member_ids") for member_id in payload.member_ids]
            if payload.member_ids is not None
            else None
        )
        updated = services.household_update(
            actor=user, household=household, name=payload.name, head=head, members=members
        )
    return _household_out(updated, household_members(updated))
