from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from careloop.audit.models import AuditEvent
from careloop.care.errors import NoteNotSigned, NoteSigned
from careloop.care.models import ClinicalNote, Measurement, NoteAddendum, NoteStatus, TaskStatus
from careloop.care.services.activities import ActivitySpec
from careloop.care.services.notes import (
    note_addendum_add,
    note_read,
    note_save,
    note_sign,
    note_start,
)
from careloop.care.tests.care_builders import care_plans, enrolled, essentials, protocol, tasks
from careloop.care.tests.note_builders import FILLED, coaching_template, progress_template
from careloop.core import clock
from careloop.core.errors import PermissionDenied, ValidationFailed
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(admin):
    return progress_template(admin)


@pytest.fixture
def draft(provider, template, patient_ann):
    return note_start(actor=provider, patient=patient_ann, template=template)


def _frozen_row(note: ClinicalNote) -> dict[str, object]:
    return {
        "note": ClinicalNote.objects.filter(pk=note.pk).values().get(),
        "addenda": NoteAddendum.objects.filter(note=note).count(),
        "measurements": Measurement.objects.filter(note=note).count(),
    }


def test_a_provider_writes_saves_and_signs_a_progress_note(provider, draft):
    saved = note_save(
        actor=provider,
        note=draft,
        sections=FILLED,
        values={"weight": "82.4", "systolic": 128, "goal": "Walk 8,000 steps a day"},
    )
    assert saved.status == NoteStatus.DRAFT
    assert saved.values == {"weight": "82.4", "systolic": "128", "goal": "Walk 8,000 steps a day"}

    with clock.frozen_at(datetime(2026, 3, 2, 15, 0, tzinfo=UTC)):
        signed = note_sign(actor=provider, note=draft)

    signed.refresh_from_db()
    assert signed.status == NoteStatus.SIGNED
    assert signed.signed_by == provider
    assert signed.signed_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    measured = {
        row.key: (row.value, row.unit, row.measured_at)
        for row in Measurement.objects.filter(patient=draft.patient)
    }
    assert measured == {
        "weight": (Decimal("82.400"), "kg", datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
        "systolic": (Decimal("128.000"), "mm[Hg]", datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
    }
    actions = list(
        AuditEvent.objects.filter(object_type="clinical_note", object_id=str(draft.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["care.note_start", "care.note_save", "care.note_sign"]
    # The audit row names what changed, never what the note says.
    assert "Walk" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_a_signed_note_cannot_change_and_takes_addenda(provider, draft):
    note_save(actor=provider, note=draft, sections=FILLED)
    note_sign(actor=provider, note=draft)
    before = _frozen_row(draft)

    with pytest.raises(NoteSigned):
        note_save(actor=provider, note=draft, sections={**FILLED, "plan": "Changed"})
    with pytest.raises(NoteSigned):
        note_sign(actor=provider, note=draft)
    assert _frozen_row(draft) == before

    addendum = note_addendum_add(actor=provider, note=draft, text="  Lab results reviewed.  ")

    assert addendum.text == "Lab results reviewed."
    assert list(draft.addenda.values_list("text", flat=True)) == ["Lab results reviewed."]
    draft.refresh_from_db()
    assert draft.sections == FILLED


def test_a_draft_takes_no_addendum_and_an_empty_addendum_is_refused(provider, draft):
    with pytest.raises(NoteNotSigned):
        note_addendum_add(actor=provider, note=draft, text="Too early")
    note_save(actor=provider, note=draft, sections=FILLED)
    note_sign(actor=provider, note=draft)
    with pytest.raises(ValidationFailed) as refused:
        note_addendum_add(actor=provider, note=draft, text="   ")
    assert refused.value.errors[0].field == "text"
    assert NoteAddendum.objects.count() == 0


def test_signing_someone_elses_draft_is_refused_and_changes_nothing(provider, draft):
    from careloop.accounts.roles import Role
    from careloop.testing.factories import make_user

    colleague = make_user(role=Role.PROVIDER)
    note_save(actor=provider, note=draft, sections=FILLED)
    before = _frozen_row(draft)

    with pytest.raises(PermissionDenied) as refused:
        note_sign(actor=colleague, note=draft)
    assert "someone else's" in refused.value.message
    with pytest.raises(PermissionDenied):
        note_save(actor=colleague, note=draft, sections={"plan": "Mine now"})

    assert _frozen_row(draft) == before


def test_a_note_is_signed_only_with_every_section_written(provider, draft):
    note_save(actor=provider, note=draft, sections={"subjective": "Fine", "plan": "  "})

    with pytest.raises(ValidationFailed) as refused:
        note_sign(actor=provider, note=draft)

    assert [error.field for error in refused.value.errors] == [
        "sections.objective",
        "sections.assessment",
        "sections.plan",
    ]
    draft.refresh_from_db()
    assert draft.status == NoteStatus.DRAFT


def test_coaches_write_and_sign_coaching_notes_but_not_progress_notes(
    admin, coach, template, patient_ann
):
    with pytest.raises(PermissionDenied):
        note_start(actor=coach, patient=patient_ann, template=template)

    note = note_start(actor=coach, patient=patient_ann, template=coaching_template(admin))
    note_save(
        actor=coach,
        note=note,
        sections={"subjective": "Slept better.", "plan": "Add a walk after lunch."},
        values={"weight": 90},
    )
    signed = note_sign(actor=coach, note=note)

    assert signed.status == NoteStatus.SIGNED
    assert signed.signed_by == coach


@pytest.mark.parametrize("role_fixture", ["front_desk", "billing", "admin"])
def test_the_front_desk_billing_and_admin_neither_write_nor_read_notes(
    request, role_fixture, draft, template, patient_ann
):
    actor = request.getfixturevalue(role_fixture)
    with pytest.raises(PermissionDenied):
        note_start(actor=actor, patient=patient_ann, template=template)
    with pytest.raises(PermissionDenied):
        note_read(actor=actor, note=draft)
    with pytest.raises(PermissionDenied):
        note_save(actor=actor, note=draft, sections=FILLED)


def test_reading_a_note_is_audited(provider, coach, draft):
    note_read(actor=coach, note=draft)

    event = AuditEvent.objects.filter(action="care.note_read").get()
    assert (event.actor_id, event.patient_id) == (coach.pk, draft.patient_id)


def test_bad_values_name_the_field_and_save_nothing(provider, draft):
    note_save(actor=provider, note=draft, sections=FILLED, values={"weight": "80"})
    before = _frozen_row(draft)

    with pytest.raises(ValidationFailed) as refused:
        note_save(
            actor=provider,
            note=draft,
            sections={**FILLED, "plan": "New plan", "history": "x"},
            values={"weight": "heavy", "systolic": 400, "pulse": 70},
        )

    found = {(error.field, error.code) for error in refused.value.errors}
    assert found == {
        ("sections.history", "unknown_section"),
        ("values.weight", "invalid"),
        ("values.systolic", "out_of_range"),
        ("values.pulse", "unknown_field"),
    }
    assert _frozen_row(draft) == before


def test_a_visit_or_task_of_another_patient_is_refused(provider, template, patient_ann):
    other = make_patient(given="Other")
    plan = essentials()
    protocol(
        None,
        plan,
        ActivitySpec(kind="progress_note", role="provider", repeat="every", every=1, unit="months"),
    )
    (care_plan,) = care_plans(enrolled(provider, plan, date(2026, 1, 1), patient=other))

    with pytest.raises(ValidationFailed) as refused:
        note_start(
            actor=provider, patient=patient_ann, template=template, care_task=tasks(care_plan)[0]
        )

    assert refused.value.errors[0].field == "care_task"
    assert ClinicalNote.objects.count() == 0


def test_signing_closes_the_progress_note_task_it_was_written_for(admin, provider, template):
    plan = essentials()
    protocol(
        admin,
        plan,
        ActivitySpec(kind="progress_note", role="provider", repeat="every", every=1, unit="months"),
    )
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 1)))
    (task,) = tasks(care_plan)
    note = note_start(actor=provider, patient=care_plan.patient, template=template, care_task=task)
    note_save(actor=provider, note=note, sections=FILLED)

    note_sign(actor=provider, note=note)

    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
