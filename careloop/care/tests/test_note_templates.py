import pytest

from careloop.care.models import NoteTemplate
from careloop.care.services.notes import note_template_create
from careloop.care.tests.note_builders import SOAP, VITALS, progress_template
from careloop.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def test_a_template_keeps_soap_order_and_cleans_its_fields(admin):
    template = note_template_create(
        actor=admin,
        name="  Intake  ",
        kind="progress",
        sections=["plan", "subjective"],
        fields=[{"key": "waist", "label": " Waist ", "kind": "number", "unit": "cm"}],
    )

    assert template.name == "Intake"
    assert template.sections == ["subjective", "plan"]
    assert template.fields == [
        {
            "key": "waist",
            "label": "Waist",
            "kind": "number",
            "unit": "cm",
            "low": None,
            "high": None,
        }
    ]


def test_a_bad_template_names_every_problem_and_creates_nothing(admin):
    progress_template(admin, name="Monthly progress")

    with pytest.raises(ValidationFailed) as refused:
        note_template_create(
            actor=admin,
            name="Monthly progress",
            kind="letter",
            sections=["subjective", "history"],
            fields=[
                {"key": "weight", "label": "Weight", "kind": "number", "low": 300, "high": 20},
                {"key": "weight", "label": "", "kind": "colour"},
                {"key": "bad key", "label": "Bad"},
            ],
        )

    found = {(error.field, error.code) for error in refused.value.errors}
    assert found == {
        ("name", "duplicate"),
        ("kind", "unknown"),
        ("sections", "unknown_section"),
        ("fields[0].high", "before_low"),
        ("fields[1].key", "duplicate"),
        ("fields[1].label", "required"),
        ("fields[1].kind", "unknown_kind"),
        ("fields[2].key", "invalid"),
    }
    assert NoteTemplate.objects.count() == 1


def test_a_template_without_sections_is_refused(admin):
    with pytest.raises(ValidationFailed) as refused:
        note_template_create(actor=admin, name="Empty", kind="progress", sections=[])
    assert refused.value.errors[0].field == "sections"


def test_only_an_admin_designs_templates(provider):
    with pytest.raises(PermissionDenied):
        note_template_create(
            actor=provider, name="Mine", kind="progress", sections=SOAP, fields=VITALS
        )
    assert NoteTemplate.objects.count() == 0
