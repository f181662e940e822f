"""Results imported from CSV or FHIR Observation JSON: one transaction, all or nothing; each
refusal names the row or entry, the field and the rule."""

import copy
from typing import Any

import pytest

from careloop.care.models import LabOrder, LabOrderStatus, LabResult
from careloop.care.services.lab_imports import lab_results_import_csv, lab_results_import_fhir
from careloop.care.tests.lab_builders import lab_order
from careloop.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

CSV = (
    "loinc,value,unit,observed_at\n"
    "2093-3,212,mg/dL,2026-03-01T08:30:00-06:00\n"
    "2085-9,55,mg/dL,2026-03-01T08:30:00\n"
    "4548-4,5.4,%,\n"
)


@pytest.fixture
def order(provider, patient_ann) -> LabOrder:
    return lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)


def _codes(refused: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[str, str]]:
    return [(error.field, error.code) for error in refused.value.errors]


def _unchanged(order: LabOrder) -> bool:
    order.refresh_from_db()
    return order.status == LabOrderStatus.COLLECTED and not LabResult.objects.exists()


def test_a_csv_import_saves_every_row_flagged(provider, order):
    lab_results_import_csv(actor=provider, order=order, text=CSV)
    rows = {r.component.loinc: r for r in LabResult.objects.select_related("component")}
    assert {loinc: row.flag for loinc, row in rows.items()} == {
        "2093-3": "high",
        "2085-9": "normal",
        "4548-4": "normal",
    }
    assert rows["2093-3"].observed_at.isoformat() == "2026-03-01T14:30:00+00:00"
    # No offset: the clinic's time (America/Chicago, UTC-6 in March before the change).
    assert rows["2085-9"].observed_at.isoformat() == "2026-03-01T14:30:00+00:00"
    assert {row.source for row in rows.values()} == {"csv"}
    order.refresh_from_db()
    assert order.status == LabOrderStatus.RESULTED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("code,value,unit\n2093-3,1,mg/dL\n", [("file", "missing_columns")]),
        (CSV + "2571-8,abc,mg/dL,\n", [("row 5.value", "not_numeric")]),
        (CSV + "2571-8,100,mmol/L,\n", [("row 5.unit", "unit_mismatch")]),
        (CSV + "3016-3,2,m[IU]/L,\n", [("row 5.loinc", "not_ordered")]),
        (CSV + "0000-0,2,mg/dL,\n", [("row 5.loinc", "unknown_loinc")]),
        (CSV + "2571-8,100,mg/dL,yesterday\n", [("row 5.observed_at", "invalid_datetime")]),
        ("loinc,value,unit\n", [("results", "required")]),
    ],
)
def test_a_bad_csv_is_refused_and_saves_nothing(provider, order, text, expected):
    with pytest.raises(ValidationFailed) as refused:
        lab_results_import_csv(actor=provider, order=order, text=text)
    assert _codes(refused) == expected
    assert _unchanged(order)


def _observation(loinc: str, value: Any, unit: str, patient_id: int) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": "2026-03-01T09:00:00Z",
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


def _bundle(patient_id: int) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": _observation("2093-3", 185, "mg/dL", patient_id)},
            {"resource": _observation("4548-4", 6.1, "%", patient_id)},
        ],
    }


def test_a_single_fhir_observation_is_imported(provider, order, patient_ann):
    document = _observation("4548-4", 5.0, "%", patient_ann.id)
    lab_results_import_fhir(actor=provider, order=order, document=document)
    saved = LabResult.objects.get()
    assert (saved.component.loinc, str(saved.value), saved.flag, saved.source) == (
        "4548-4",
        "5.0000",
        "normal",
        "fhir",
    )
    assert saved.observed_at.isoformat() == "2026-03-01T09:00:00+00:00"


def test_a_fhir_bundle_is_imported(provider, order, patient_ann):
    lab_results_import_fhir(actor=provider, order=order, document=_bundle(patient_ann.id))
    flags = dict(LabResult.objects.values_list("component__loinc", "flag"))
    assert flags == {"2093-3": "normal", "4548-4": "high"}


def _broken(patient_id: int, path: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(_bundle(patient_id))
    target: Any = document["entry"][1]["resource"]
    *parents, last = path.split(".")
    for key in parents:
        target = target[key]
    target[last] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("subject.reference", "Patient/999999", ("entry[1].resource.subject", "other_patient")),
        (
            "code.coding",
            [{"system": "http://snomed.info/sct", "code": "1"}],
            ("entry[1].resource.code", "no_loinc"),
        ),
        (
            "valueQuantity.code",
            "mmol/mol",
            ("entry[1].resource.valueQuantity.code", "unit_mismatch"),
        ),
        ("valueQuantity.value", "six", ("entry[1].resource.valueQuantity.value", "not_numeric")),
        (
            "code.coding",
            [{"system": "http://loinc.org", "code": "12345-6"}],
            ("entry[1].resource.code.coding", "unknown_loinc"),
        ),
        (
            "code.coding",
            [{"system": "http://loinc.org", "code": "3016-3"}],
            ("entry[1].resource.code.coding", "not_ordered"),
        ),
        ("resourceType", "Patient", ("entry[1].resource", "not_observation")),
        ("effectiveDateTime", "soon", ("entry[1].resource.effectiveDateTime", "invalid_datetime")),
    ],
)
def test_a_bad_fhir_entry_refuses_the_whole_bundle(
    provider, order, patient_ann, path, value, expected
):
    document = _broken(patient_ann.id, path, value)
    with pytest.raises(ValidationFailed) as refused:
        lab_results_import_fhir(actor=provider, order=order, document=document)
    assert _codes(refused) == [expected]
    assert _unchanged(order)


@pytest.mark.parametrize("document", [[], {"resourceType": "Patient"}, "text"])
def test_a_document_that_is_not_an_observation_or_bundle_is_refused(provider, order, document):
    with pytest.raises(ValidationFailed) as refused:
        lab_results_import_fhir(actor=provider, order=order, document=document)
    assert refused.value.errors[0].code == "not_fhir"
    assert _unchanged(order)
