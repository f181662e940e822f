"""Clinical note pages: a patient's notes, starting one from a template, editing and signing
a draft, reading a signed note and adding an addendum.

Note contents are for the clinicians (note.read, note.write). The services hold the rules
(only the author edits or signs a draft; only providers write progress notes; a signed note
never changes); a refusal is shown as an error on the note's page and changes nothing.
"""

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.care.errors import NoteSigned
from careloop.care.models import ClinicalNote, NoteKind, NoteStatus, NoteTemplate
from careloop.care.services.notes import (
    WRITERS,
    note_addendum_add,
    note_read,
    note_save,
    note_sign,
    note_start,
)
from careloop.core.errors import CareloopError, NotFound, PermissionDenied, ValidationFailed
from careloop.patients.access import access_patient
from careloop.web.decorators import staff_view
from careloop.web.staff.labs.common import Problem, by_field, problems
from careloop.web.staff.patients.views.common import acting_user

SECTION_LABELS = {
    "subjective": "Subjective",
    "objective": "Objective",
    "assessment": "Assessment",
    "plan": "Plan",
}


def writable_templates(user: User) -> list[NoteTemplate]:
    """The active templates of the kinds this person writes."""
    kinds = [kind for kind in NoteKind if user.role in WRITERS[kind]]
    return list(NoteTemplate.objects.filter(active=True, kind__in=kinds).order_by("name"))


def _note(request: HttpRequest, note_id: int, capability: Capability, action: str) -> ClinicalNote:
    """The note, when this person holds `capability` for its patient (audited as `action`)."""
    note = (
        ClinicalNote.objects.select_related("template", "author", "signed_by", "patient")
        .filter(pk=note_id)
        .first()
    )
    if note is None:
        raise NotFound("No such note.")
    access_patient(acting_user(request), note.patient_id, capability=capability, action=action)
    return note


@staff_view(Capability.NOTE_READ)
def note_list(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = acting_user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.NOTE_READ, action="care.note_list"
    )
    notes = (
        ClinicalNote.objects.filter(patient=patient)
        .select_related("template", "author", "signed_by")
        .order_by("-created_at", "-id")
    )
    can_write = has_capability(user, Capability.NOTE_WRITE)
    return render(
        request,
        "staff/notes/list.html",
        {
            "patient": patient,
            "notes": notes,
            "templates": writable_templates(user) if can_write else [],
            "can_write": can_write,
        },
    )


@staff_view(Capability.NOTE_WRITE)
def note_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Start a draft from a template (progress or coaching, as the writer's role allows)."""
    user = acting_user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.NOTE_WRITE, action="care.note_form"
    )
    templates = writable_templates(user)
    found: list[Problem] = []
    chosen = request.POST.get("template", "")
    if request.method == "POST":
        template = NoteTemplate.objects.filter(pk=int(chosen)).first() if chosen.isdigit() else None
        if template is None:
            found = [Problem("template", "Choose a note template.", "required")]
        else:
            try:
                note = note_start(actor=user, patient=patient, template=template)
            except ValidationFailed as error:
                found = problems(error)
            except CareloopError as error:
                found = [Problem("template", error.message, error.code)]
            else:
                messages.success(request, f"{template.name} started as a draft.")
                return redirect("staff:note_edit", note_id=note.pk)
    return render(
        request,
        "staff/notes/new.html",
        {"patient": patient, "templates": templates, "chosen": chosen, "problems": found},
        status=422 if found else 200,
    )


def _fields(note: ClinicalNote, values: dict[str, Any], found: list[Problem]) -> list[Any]:
    keyed = by_field(found)
    return [
        {
            "definition": definition,
            "name": f"values.{definition['key']}",
            "value": values.get(definition["key"], ""),
            "problems": keyed.get(f"values.{definition['key']}", []),
        }
        for definition in note.template.fields
    ]


def _sections(note: ClinicalNote, texts: dict[str, Any], found: list[Problem]) -> list[Any]:
    keyed = by_field(found)
    return [
        {
            "key": key,
            "label": SECTION_LABELS.get(key, key),
            "name": f"sections.{key}",
            "text": texts.get(key, ""),
            "problems": keyed.get(f"sections.{key}", []),
        }
        for key in note.template.sections
    ]


def _note_page(
    request: HttpRequest,
    note: ClinicalNote,
    *,
    found: list[Problem] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = acting_user(request)
    return render(
        request,
        "staff/notes/detail.html",
        {
            "note": note,
            "patient": note.patient,
            "sections": _sections(note, note.sections, []),
            "fields": _fields(note, note.values, []),
            "addenda": note.addenda.select_related("author"),
            "can_edit": note.status == NoteStatus.DRAFT and note.author_id == user.pk,
            "can_amend": note.status == NoteStatus.SIGNED
            and has_capability(user, Capability.NOTE_WRITE)
            and user.role in WRITERS[NoteKind(note.kind)],
            "problems": found or [],
        },
        status=status,
    )


@staff_view(Capability.NOTE_READ)
def note_detail(request: HttpRequest, note_id: int) -> HttpResponse:
    note = _note(request, note_id, Capability.NOTE_READ, "care.note_view")
    return _note_page(request, note_read(actor=acting_user(request), note=note))


def _refused(request: HttpRequest, note: ClinicalNote, error: CareloopError) -> HttpResponse:
    """A refusal by the services' rules, shown on the note's page; nothing changed."""
    audit_record(
        action="care.note_refused",
        actor=acting_user(request),
        outcome=Outcome.DENIED,
        patient_id=note.patient_id,
        object_type="clinical_note",
        object_id=note.pk,
        detail={"code": error.code},
    )
    messages.error(request, error.message)
    return redirect("staff:note_detail", note_id=note.pk)


@staff_view(Capability.NOTE_WRITE)
def note_edit(request: HttpRequest, note_id: int) -> HttpResponse:
    """Edit a draft's SOAP sections and structured fields; "Sign" saves and signs at once
    (both or neither)."""
    user = acting_user(request)
    note = _note(request, note_id, Capability.NOTE_WRITE, "care.note_edit_form")
    if note.status == NoteStatus.SIGNED:
        return _refused(
            request, note, NoteSigned("This note is signed and cannot change: add an addendum.")
        )
    if note.author_id != user.pk:
        return _refused(
            request,
            note,
            PermissionDenied(
                "Only the author may edit or sign this draft: it is someone else's.",
                code="not_author",
            ),
        )
    found: list[Problem] = []
    texts: dict[str, Any] = dict(note.sections)
    values: dict[str, Any] = dict(note.values)
    if request.method == "POST":
        texts = {key: request.POST.get(f"sections.{key}", "") for key in note.template.sections}
        values = {
            field["key"]: request.POST.get(f"values.{field['key']}", "")
            for field in note.template.fields
        }
        signing = request.POST.get("action") == "sign"
        try:
            with transaction.atomic():
                saved = note_save(actor=user, note=note, sections=texts, values=values)
                if signing:
                    note_sign(actor=user, note=saved)
        except ValidationFailed as error:
            found = problems(error)
        except CareloopError as error:
            return _refused(request, note, error)
        else:
            if signing:
                messages.success(request, "Note signed.")
                return redirect("staff:note_detail", note_id=note.pk)
            messages.success(request, "Draft saved.")
            return redirect("staff:note_edit", note_id=note.pk)
    return render(
        request,
        "staff/notes/edit.html",
        {
            "note": note,
            "patient": note.patient,
            "sections": _sections(note, texts, found),
            "fields": _fields(note, values, found),
            "problems": found,
        },
        status=422 if found else 200,
    )


@staff_view(Capability.NOTE_WRITE)
def note_addendum(request: HttpRequest, note_id: int) -> HttpResponse:
    """Add an addendum to a signed note."""
    note = _note(request, note_id, Capability.NOTE_WRITE, "care.note_addendum_form")
    if request.method != "POST":
        return redirect("staff:note_detail", note_id=note.pk)
    try:
        note_addendum_add(actor=acting_user(request), note=note, text=request.POST.get("text", ""))
    except ValidationFailed as error:
        return _note_page(request, note, found=problems(error), status=422)
    except CareloopError as error:
        return _refused(request, note, error)
    messages.success(request, "Addendum added.")
    return redirect("staff:note_detail", note_id=note.pk)
