"""Results entered by hand per component or imported (CSV or FHIR JSON, uploaded or
pasted): saved and flagged, or refused whole with each field and rule named."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careloop.care.models import LabFollowUp, LabOrder, LabOrderStatus, LabResult
from careloop.care.tests.lab_builders import lab_order
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def _collected(provider, patient):
    return lab_order(provider, patient, "hba1c", "lipid", status=LabOrderStatus.COLLECTED)


def _state(order: LabOrder) -> tuple[str, int, int]:
    order.refresh_from_db()
    return order.status, order.results.count(), LabFollowUp.objects.count()


def test_results_entered_per_component_are_saved_and_flagged(coach, provider, patient_ann):
    order = _collected(provider, patient_ann)
    url = reverse("staff:lab_results_enter", kwargs={"order_id": order.id})
    signed_in_client(coach).post(
        url,
        {
            "value-4548-4": "5.4",
            "unit-4548-4": "%",
            "value-2093-3": "240",
            "unit-2093-3": "mg/dL",
            "value-2085-9": "",
            "unit-2085-9": "mg/dL",
        },
    )
    saved = {r.component.loinc: (str(r.value), r.flag) for r in LabResult.objects.all()}
    assert saved == {"4548-4": ("5.4000", "normal"), "2093-3": ("240.0000", "high")}
    assert _state(order) == (LabOrderStatus.RESULTED, 2, 1)
    page = signed_in_client(coach).get(
        reverse("staff:lab_order_detail", kwargs={"order_id": order.id})
    )
    text = page.content.decode()
    assert "240 mg/dL" in text
    assert "5.4 %" in text
    # The entry form now asks only for the components still without a result.
    assert 'name="value-2085-9"' in text
    assert 'name="value-4548-4"' not in text


def test_a_unit_that_does_not_match_names_the_field_and_saves_nothing(coach, provider, patient_ann):
    order = _collected(provider, patient_ann)
    before = _state(order)
    url = reverse("staff:lab_results_enter", kwargs={"order_id": order.id})
    response = signed_in_client(coach).post(
        url,
        {
            "value-4548-4": "5.4",
            "unit-4548-4": "mg/dL",
            "value-2093-3": "180",
            "unit-2093-3": "mg/dL",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "results[4548-4].unit" in page
    assert "(unit_mismatch)" in page
    assert "measured in %" in page
    # The form keeps what was typed, so it can be corrected.
    assert 'value="5.4"' in page
    assert 'value="180"' in page
    assert _state(order) == before


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        ({"value-4548-4": "five", "unit-4548-4": "%"}, "results[4548-4].value", "not_numeric"),
        ({}, "results", "required"),
        (
            {"value-4548-4": "5", "unit-4548-4": "%", "observed_at": "yesterday"},
            "observed_at",
            "invalid_datetime",
        ),
        (
            {"value-4548-4": "5", "unit-4548-4": "%", "observed_at": "2026-03-03T09:00"},
            "results[4548-4].observed_at",
            "in_future",
        ),
    ],
)
def test_bad_results_name_the_field_and_rule_and_save_nothing(
    coach, provider, patient_ann, data, field, rule
):
    order = _collected(provider, patient_ann)
    before = _state(order)
    url = reverse("staff:lab_results_enter", kwargs={"order_id": order.id})
    response = signed_in_client(coach).post(url, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert field in page
    assert f"({rule})" in page
    assert _state(order) == before


def test_results_for_an_order_not_yet_collected_are_refused(coach, provider, patient_ann):
    order = lab_order(provider, patient_ann, "hba1c", status=LabOrderStatus.ORDERED)
    url = reverse("staff:lab_results_enter", kwargs={"order_id": order.id})
    response = signed_in_client(coach).post(
        url, {"value-4548-4": "5", "unit-4548-4": "%"}, follow=True
    )
    assert "cannot result" in response.content.decode()
    assert _state(order) == (LabOrderStatus.ORDERED, 0, 0)


def test_a_pasted_csv_is_imported(coach, provider, patient_ann):
    order = _collected(provider, patient_ann)
    url = reverse("staff:lab_results_import", kwargs={"order_id": order.id})
    text = "loinc,value,unit,observed_at\n4548-4,6.1,%,2026-03-01T08:30:00-06:00\n"
    signed_in_client(coach).post(url, {"format": "csv", "text": text})
    saved = LabResult.objects.get()
    assert (str(saved.value), saved.flag, saved.source) == ("6.1000", "high", "csv")


def test_an_uploaded_fhir_bundle_is_imported(coach, provider, patient_ann):
    order = _collected(provider, patient_ann)
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "resourceType": "Observation",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "2085-9"}]},
                    "subject": {"reference": f"Patient/{patient_ann.id}"},
                    "valueQuantity": {"value": 62, "code": "mg/dL"},
                }
            }
        ],
    }
    upload = SimpleUploadedFile("labs.json", json.dumps(bundle).encode(), "application/json")
    url = reverse("staff:lab_results_import", kwargs={"order_id": order.id})
    signed_in_client(coach).post(url, {"format": "fhir", "file": upload})
    saved = LabResult.objects.get()
    assert (saved.component.loinc, str(saved.value), saved.source) == (
        "2085-9",
        "62.0000",
        "fhir",
    )


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        (
            {"format": "csv", "text": "loinc,value,unit\n4548-4,abc,%\n"},
            "row 2.value",
            "not_numeric",
        ),
        ({"format": "csv", "text": "loinc,value\n4548-4,5\n"}, "file", "missing_columns"),
        (
            {"format": "csv", "text": "loinc,value,unit\n2160-0,1,mg/dL\n"},
            "row 2.loinc",
            "not_ordered",
        ),
        ({"format": "fhir", "text": "{not json"}, "file", "not_json"),
        ({"format": "fhir", "text": '{"resourceType": "Patient"}'}, "resourceType", "not_fhir"),
        ({"format": "csv", "text": ""}, "text", "required"),
        ({"text": "loinc,value,unit\n4548-4,5,%\n"}, "format", "required"),
    ],
)
def test_a_bad_import_names_the_field_and_rule_and_saves_nothing(
    coach, provider, patient_ann, data, field, rule
):
    order = _collected(provider, patient_ann)
    before = _state(order)
    url = reverse("staff:lab_results_import", kwargs={"order_id": order.id})
    response = signed_in_client(coach).post(url, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert f"<strong>{field}</strong>" in page
    assert f"({rule})" in page
    assert _state(order) == before


def test_the_front_desk_can_neither_enter_nor_import_results(front_desk, provider, patient_ann):
    order = _collected(provider, patient_ann)
    client = signed_in_client(front_desk)
    enter = reverse("staff:lab_results_enter", kwargs={"order_id": order.id})
    upload = reverse("staff:lab_results_import", kwargs={"order_id": order.id})
    assert client.post(enter, {"value-4548-4": "5", "unit-4548-4": "%"}).status_code == 403
    text = "loinc,value,unit\n4548-4,5,%\n"
    assert client.post(upload, {"format": "csv", "text": text}).status_code == 403
    assert _state(order) == (LabOrderStatus.COLLECTED, 0, 0)
