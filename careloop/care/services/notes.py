"""Structured notes: templates, drafts, signing and addenda, with the role rules.

- Providers write progress notes; providers and coaches (care coordinators) write coaching
  notes. The front desk and billing neither write nor read note contents.
- Only the author edits or signs a draft: signing someone else's draft is refused.
- A signed note never changes; an addendum is added to it instead.
- Signing records the note's numeric fields as measurements (the progress chart) and closes
  the progress-note task the note was written for.
"""

from datetime import datetime
from typing import Any

from django.db import transaction

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, require_capability
from careloop.accounts.roles import Role
from careloop.audit.services import audit_record
from careloop.care import note_fields
from careloop.care.errors import NoteNotSigned, NoteSigned
from careloop.care.models import UNFINISHED_TASK_STATUSES, ActivityKind, CareTask
from careloop.care.models.notes import (
    ClinicalNote,
    Measurement,
    NoteAddendum,
    NoteKind,
    NoteStatus,
    NoteTemplate,
)
from careloop.care.services.tasks import care_task_complete
from careloop.core import clock
from careloop.core.errors import FieldError, PermissionDenied, ValidationFailed
from careloop.patients.models import Patient
from careloop.scheduling.models import Appointment

# Who may write (and so sign) each kind of note.
WRITERS = {
    NoteKind.PROGRESS: frozenset({Role.PROVIDER}),
    NoteKind.COACHING: frozenset({Role.PROVIDER, Role.COORDINATOR}),
}
ADDENDUM_MAX_CHARS = 20_000


def note_template_create(
    *, actor: User, name: str, kind: str, sections: Any, fields: Any = None
) -> NoteTemplate:
    """A note template; refused whole, naming each field, when any part breaks a rule."""
    require_capability(actor, Capability.PROTOCOL_MANAGE)
    errors: list[FieldError] = []
    name = (name or "").strip()
    if not name:
        errors.append(FieldError("name", "Give the template a name.", "required"))
    elif NoteTemplate.objects.filter(name=name).exists():
        errors.append(FieldError("name", f"A template named {name!r} exists.", "duplicate"))
    if kind not in NoteKind.values:
        errors.append(FieldError("kind", "A note is a progress or a coaching note.", "unknown"))
    cleaned_sections: list[str] = []
    cleaned_fields: list[dict[str, Any]] = []
    try:
        cleaned_sections = note_fields.clean_sections(sections)
    except ValidationFailed as failed:
        errors.extend(failed.errors)
    try:
        cleaned_fields = note_fields.clean_field_definitions([] if fields is None else fields)
    except ValidationFailed as failed:
        errors.extend(failed.errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        template = NoteTemplate.objects.create(
            name=name, kind=kind, sections=cleaned_sections, fields=cleaned_fields
        )
        audit_record(
            action="care.note_template_create",
            actor=actor,
            object_type="note_template",
            object_id=template.pk,
        )
    return template


def note_start(
    *,
    actor: User,
    patient: Patient,
    template: NoteTemplate,
    visit: Appointment | None = None,
    care_task: CareTask | None = None,
) -> ClinicalNote:
    """A draft note from `template`, by `actor`, for an optional visit and care task of the
    same patient."""
    _require_writer(actor, NoteKind(template.kind))
    errors: list[FieldError] = []
    if not template.active:
        errors.append(FieldError("template", "This template is no longer used.", "inactive"))
    if visit is not None and visit.patient_id != patient.pk:
        errors.append(FieldError("visit", "The visit is another patient's.", "other_patient"))
    if care_task is not None and care_task.care_plan.patient_id != patient.pk:
        errors.append(FieldError("care_task", "The task is another patient's.", "other_patient"))
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    with transaction.atomic():
        note = ClinicalNote.objects.create(
            patient=patient,
            template=template,
            kind=template.kind,
            author=actor,
            visit=visit,
            care_task=care_task,
            created_at=now,
            updated_at=now,
        )
        _audit("care.note_start", actor, note)
    return note


def note_save(
    *, actor: User, note: ClinicalNote, sections: Any = None, values: Any = None
) -> ClinicalNote:
    """Replace a draft's section texts and structured values (each as given when given)."""
    with transaction.atomic():
        locked = _locked_draft(actor, note, verb="edit")
        errors: list[FieldError] = []
        changed: list[str] = []
        if sections is not None:
            try:
                locked.sections = note_fields.clean_section_texts(
                    locked.template.sections, sections
                )
                changed.append("sections")
            except ValidationFailed as failed:
                errors.extend(failed.errors)
        if values is not None:
            try:
                locked.values = note_fields.clean_values(locked.template.fields, values)
                changed.append("values")
            except ValidationFailed as failed:
                errors.extend(failed.errors)
        if errors:
            raise ValidationFailed(errors)
        locked.updated_at = clock.now()
        locked.save(update_fields=[*changed, "updated_at"])
        # Field names only: the audit log never holds clinical content.
        _audit("care.note_save", actor, locked, {"changed": changed})
    return locked


def note_sign(*, actor: User, note: ClinicalNote) -> ClinicalNote:
    """Sign a draft: every section the template asks for must be written. Records the
    numeric fields as measurements and closes the progress-note task it was written for."""
    with transaction.atomic():
        locked = _locked_draft(actor, note, verb="sign")
        empty = [key for key in locked.template.sections if not locked.sections.get(key)]
        if empty:
            raise ValidationFailed(
                [
                    FieldError(f"sections.{key}", "Write this section before signing.", "required")
                    for key in empty
                ]
            )
        now = clock.now()
        locked.status = NoteStatus.SIGNED
        locked.signed_at = now
        locked.signed_by = actor
        locked.updated_at = now
        locked.save(update_fields=["status", "signed_at", "signed_by", "updated_at"])
        _record_measurements(locked, signed_at=now)
        _audit("care.note_sign", actor, locked)
        task = locked.care_task
        if (
            task is not None
            and task.status in UNFINISHED_TASK_STATUSES
            and task.care_activity.kind == ActivityKind.PROGRESS_NOTE
        ):
            care_task_complete(actor=actor, task=task)
    return locked


def note_addendum_add(*, actor: User, note: ClinicalNote, text: str) -> NoteAddendum:
    """Add text to a signed note, by anyone who may write that kind of note."""
    _require_writer(actor, NoteKind(note.kind))
    text = (text or "").strip()
    if not text:
        raise ValidationFailed.single("text", "Write the addendum.", "required")
    if len(text) > ADDENDUM_MAX_CHARS:
        raise ValidationFailed.single(
            "text", f"Keep an addendum under {ADDENDUM_MAX_CHARS:,} characters.", "too_long"
        )
    with transaction.atomic():
        locked = ClinicalNote.objects.select_for_update().get(pk=note.pk)
        if locked.status != NoteStatus.SIGNED:
            raise NoteNotSigned("A draft is edited, not amended: add to it before signing.")
        addendum = NoteAddendum.objects.create(
            note=locked, author=actor, text=text, created_at=clock.now()
        )
        _audit("care.note_addendum", actor, locked, {"addendum": addendum.pk})
    return addendum


def note_read(*, actor: User, note: ClinicalNote) -> ClinicalNote:
    """A note with its contents, for those who may read them; the read is audited."""
    require_capability(actor, Capability.NOTE_READ)
    _audit("care.note_read", actor, note)
    return note


def _require_writer(actor: User, kind: NoteKind) -> None:
    require_capability(actor, Capability.NOTE_WRITE)
    if actor.role not in WRITERS[kind]:
        raise PermissionDenied(
            f"Only providers write {kind.label.lower()}s; coaches write coaching notes.",
            code="forbidden",
        )


def _locked_draft(actor: User, note: ClinicalNote, *, verb: str) -> ClinicalNote:
    _require_writer(actor, NoteKind(note.kind))
    locked = ClinicalNote.objects.select_for_update().select_related("template").get(pk=note.pk)
    if locked.status == NoteStatus.SIGNED:
        raise NoteSigned("This note is signed and cannot change: add an addendum instead.")
    if locked.author_id != actor.pk:
        raise PermissionDenied(
            f"Only the author may {verb} this draft: it is someone else's.", code="not_author"
        )
    return locked


def _record_measurements(note: ClinicalNote, *, signed_at: datetime) -> None:
    measured_at = note.visit.start_at if note.visit is not None else signed_at
    Measurement.objects.bulk_create(
        Measurement(
            patient_id=note.patient_id,
            key=field["key"],
            label=field["label"],
            value=note.values[field["key"]],
            unit=field.get("unit", ""),
            measured_at=measured_at,
            note=note,
        )
        for field in note.template.fields
        if field["kind"] == "number" and field["key"] in note.values
    )


def _audit(
    action: str, actor: User, note: ClinicalNote, detail: dict[str, Any] | None = None
) -> None:
    audit_record(
        action=action,
        actor=actor,
        patient_id=note.patient_id,
        object_type="clinical_note",
        object_id=note.pk,
        detail=detail,
    )
