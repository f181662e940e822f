"""REST resources for structured notes under /api/v1/care: note templates, notes, signing
and addenda.

Templates are listed for note writers and designed by admins (protocol.manage). Reading a
note's contents needs note.read and writing needs note.write (providers and coaches: the
front desk, billing and admins get 403); which kinds a role writes, and that only the author
edits or signs a draft, are the services' rules. Patients get "not found" for every operation
here. Every read and change leaves an audit row.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from careloop.accounts.policy import Capability
from careloop.api.memberships.common import staff_patient, staff_user
from careloop.api.patients import needs
from careloop.audit.services import audit_record
from careloop.care.models import CareTask, ClinicalNote, NoteTemplate
from careloop.care.services.notes import (
    note_addendum_add,
    note_read,
    note_save,
    note_sign,
    note_start,
    note_template_create,
)
from careloop.core.errors import NotFound, ValidationFailed
from careloop.scheduling.models import Appointment

notes_router = Router(tags=["notes"])


class FieldDefinition(Schema):
    key: str
    label: str
    kind: str = Field("number", description="number or text")
    unit: str = Field("", description="UCUM code, for numbers")
    low: float | None = None
    high: float | None = None


class TemplateIn(Schema):
    name: str
    kind: str = Field(description="progress or coaching")
    sections: list[str] = Field(description="Some of subjective, objective, assessment, plan")
    fields: list[dict[str, Any]] = Field(default_factory=list, description="FieldDefinition")


class TemplateOut(Schema):
    id: int
    name: str
    kind: str
    sections: list[str]
    fields: list[FieldDefinition]
    active: bool


def _template_out(template: NoteTemplate) -> TemplateOut:
    return TemplateOut(
        id=template.pk,
        name=template.name,
        kind=template.kind,
        sections=template.sections,
        fields=[FieldDefinition(**{"unit": "", **field}) for field in template.fields],
        active=template.active,
    )


@notes_router.get(
    "/note-templates",
    response=list[TemplateOut],
    summary="The note templates in use",
    openapi_extra=needs(Capability.NOTE_WRITE),
)
def template_list(request: HttpRequest) -> list[TemplateOut]:
    staff_user(request, Capability.NOTE_WRITE)
    return [_template_out(t) for t in NoteTemplate.objects.filter(active=True).order_by("name")]


@notes_router.post(
    "/note-templates",
    response={201: TemplateOut},
    summary="Design a note template: SOAP sections and structured fields",
    openapi_extra=needs(Capability.PROTOCOL_MANAGE),
)
def template_create(request: HttpRequest, payload: TemplateIn) -> Status[TemplateOut]:
    user = staff_user(request, Capability.PROTOCOL_MANAGE)
    template = note_template_create(
        actor=user,
        name=payload.name,
        kind=payload.kind,
        sections=payload.sections,
        fields=payload.fields,
    )
    return Status(201, _template_out(template))


class AddendumOut(Schema):
    author_id: int
    text: str
    created_at: datetime


class NoteOut(Schema):
    id: int
    patient_id: int
    template_id: int
    kind: str
    author_id: int
    visit_id: int | None
    care_task_id: int | None
    status: str = Field(description="draft or signed")
    sections: dict[str, str]
    values: dict[str, str]
    created_at: datetime
    updated_at: datetime
    signed_at: datetime | None
    signed_by_id: int | None
    addenda: list[AddendumOut]


def _note_out(note: ClinicalNote) -> NoteOut:
    return NoteOut(
        id=note.pk,
        patient_id=note.patient_id,
        template_id=note.template_id,
        kind=note.kind,
        author_id=note.author_id,
        visit_id=note.visit_id,
        care_task_id=note.care_task_id,
        status=note.status,
        sections=note.sections,
        values=note.values,
        created_at=note.created_at,
        updated_at=note.updated_at,
        signed_at=note.signed_at,
        signed_by_id=note.signed_by_id,
        addenda=[
            AddendumOut(author_id=a.author_id, text=a.text, created_at=a.created_at)
            for a in note.addenda.all()
        ],
    )


class NoteIn(Schema):
    patient_id: int
    template_id: int
    visit_id: int | None = None
    care_task_id: int | None = None


def _linked(model: type[Any], key: int | None, field: str) -> Any:
    if key is None:
        return None
    found = model.objects.filter(pk=key).first()
    if found is None:
        raise ValidationFailed.single(field, f"There is nothing with id {key}.", "not_found")
    return found


@notes_router.post(
    "/notes",
    response={201: NoteOut},
    summary="Start a draft note for a patient, optionally for a visit and a care task",
    openapi_extra=needs(Capability.NOTE_WRITE),
)
def note_create(request: HttpRequest, payload: NoteIn) -> Status[NoteOut]:
    user = staff_user(request, Capability.NOTE_WRITE)
    patient = staff_patient(
        user, payload.patient_id, field="patient_id", capability=Capability.NOTE_WRITE
    )
    template = _linked(NoteTemplate, payload.template_id, "template_id")
    note = note_start(
        actor=user,
        patient=patient,
        template=template,
        visit=_linked(Appointment, payload.visit_id, "visit_id"),
        care_task=_linked(CareTask, payload.care_task_id, "care_task_id"),
    )
    return Status(201, _note_out(note))


@notes_router.get(
    "/notes",
    response=list[NoteOut],
    summary="A patient's notes, newest first",
    openapi_extra=needs(Capability.NOTE_READ),
)
def note_list(request: HttpRequest, patient_id: int) -> list[NoteOut]:
    user = staff_user(request, Capability.NOTE_READ)
    patient = staff_patient(user, patient_id, field="patient_id", capability=Capability.NOTE_READ)
    notes = ClinicalNote.objects.filter(patient=patient).order_by("-created_at", "-id")
    audit_record(
        action="care.note_list", actor=user, patient_id=patient.pk, object_type="clinical_note"
    )
    return [_note_out(note) for note in notes.prefetch_related("addenda")]


def _note_for(request: HttpRequest, note_id: int, capability: Capability) -> Any:
    user = staff_user(request, capability)
    note = ClinicalNote.objects.filter(pk=note_id).first()
    if note is None:
        raise NotFound("No such note.")
    # The patient's record must be open to this person (and the look is audited).
    staff_patient(user, note.patient_id, field="note_id", capability=capability)
    return user, note


@notes_router.get(
    "/notes/{note_id}",
    response=NoteOut,
    summary="A note with its addenda",
    openapi_extra=needs(Capability.NOTE_READ),
)
def note_detail(request: HttpRequest, note_id: int) -> NoteOut:
    user, note = _note_for(request, note_id, Capability.NOTE_READ)
    return _note_out(note_read(actor=user, note=note))


class NoteChangeIn(Schema):
    sections: dict[str, Any] | None = Field(None, description="Section texts, replaced whole")
    values: dict[str, Any] | None = Field(None, description="Structured values, replaced whole")


@notes_router.patch(
    "/notes/{note_id}",
    response=NoteOut,
    summary="Save a draft's sections and values (only its author; a signed note is refused)",
    openapi_extra=needs(Capability.NOTE_WRITE),
)
def note_change(request: HttpRequest, note_id: int, payload: NoteChangeIn) -> NoteOut:
    user, note = _note_for(request, note_id, Capability.NOTE_WRITE)
    return _note_out(
        note_save(actor=user, note=note, sections=payload.sections, values=payload.values)
    )


@notes_router.post(
    "/notes/{note_id}/sign",
    response=NoteOut,
    summary="Sign a draft (only its author; every section written)",
    openapi_extra=needs(Capability.NOTE_WRITE),
)
def note_sign_view(request: HttpRequest, note_id: int) -> NoteOut:
    user, note = _note_for(request, note_id, Capability.NOTE_WRITE)
    return _note_out(note_sign(actor=user, note=note))


class AddendumIn(Schema):
    text: str


@notes_router.post(
    "/notes/{note_id}/addenda",
    response={201: NoteOut},
    summary="Add an addendum to a signed note",
    openapi_extra=needs(Capability.NOTE_WRITE),
)
def note_addendum_view(request: HttpRequest, note_id: int, payload: AddendumIn) -> Status[NoteOut]:
    user, note = _note_for(request, note_id, Capability.NOTE_WRITE)
    note_addendum_add(actor=user, note=note, text=payload.text)
    return Status(201, _note_out(ClinicalNote.objects.get(pk=note.pk)))
