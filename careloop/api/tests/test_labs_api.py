"""Lab orders through the API: the catalog, ordering through review, results entered and
imported, and the role rules: the front desk sees an order's status but never its values,
only providers review, patients are told nothing exists. Refusals change nothing."""

import pytest

from careloop.api.tests.sending import send
from careloop.audit.models import AuditEvent
from careloop.care.models import LabOrder, LabOrderStatus, LabResult
from careloop.care.tests.lab_builders import lab_order, record, result
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db

BASE = "/api/v1/care/labs"


@pytest.fixture
def collected(provider, patient_ann) -> LabOrder:
    return lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)


@pytest.fixture
def resulted(provider, collected) -> LabOrder:
    record(provider, collected, result("2093-3", "250", "mg/dL"))
    collected.refresh_from_db()
    return collected


def _fields(response) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


def _state(order: LabOrder) -> tuple[object, ...]:
    order.refresh_from_db()
    return (order.status, order.results.count(), order.changes.count())


def test_the_catalog_lists_panels_with_loinc_components(front_desk):
    response = send(signed_in_client(front_desk), "GET", f"{BASE}/catalog")
    assert response.status_code == 200
    panels = {panel["code"]: panel for panel in response.json()}
    assert {"hba1c", "lipid", "cmp", "tsh"} <= set(panels)
    tsh = panels["tsh"]["components"][0]
    assert (tsh["loinc"], tsh["unit"], tsh["low"], tsh["high"]) == (
        "3016-3",
        "m[IU]/L",
        "0.400",
        "4.000",
    )


def test_a_provider_orders_and_carries_an_order_through_review(provider, patient_ann):
    client = signed_in_client(provider)
    created = send(
        client, "POST", f"{BASE}/orders", {"patient_id": patient_ann.id, "panel_codes": ["lipid"]}
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["panel_codes"], body["ordering_provider_id"]) == (
        "draft",
        ["lipid"],
        provider.id,
    )
    assert body["number"] == f"LAB-{body['id']:06d}"
    url = f"{BASE}/orders/{body['id']}"
    assert send(client, "POST", f"{url}/order").json()["status"] == "ordered"
    assert send(client, "POST", f"{url}/collect").json()["status"] == "collected"
    entered = send(
        client,
        "POST",
        f"{url}/results",
        {"results": [{"loinc": "2571-8", "value": "1200", "unit": "mg/dL"}]},
    )
    assert entered.status_code == 200
    assert [(r["loinc"], r["flag"]) for r in entered.json()["results"]] == [("2571-8", "critical")]
    assert entered.json()["follow_up_status"] == "open"
    reviewed = send(client, "POST", f"{url}/review")
    assert (reviewed.json()["status"], reviewed.json()["reviewed_by_id"]) == (
        "reviewed",
        provider.id,
    )


def test_a_coordinator_names_the_ordering_provider(coach, provider, patient_ann):
    client = signed_in_client(coach)
    body = {"patient_id": patient_ann.id, "panel_codes": ["tsh"]}
    response = send(client, "POST", f"{BASE}/orders", body)
    assert response.status_code == 422
    assert _fields(response) == [("ordering_provider_id", "not_provider")]
    response = send(client, "POST", f"{BASE}/orders", body | {"ordering_provider_id": provider.id})
    assert response.status_code == 201
    assert LabOrder.objects.get().ordering_provider_id == provider.id


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"panel_codes": ["vitamin-z"]}, [("panel_codes", "not_found")]),
        ({"panel_codes": []}, [("panel_codes", "required")]),
        ({"panel_codes": ["tsh"], "care_task_id": 999999}, [("care_task_id", "not_found")]),
        ({"panel_codes": ["tsh"], "patient_id": 999999}, [("patient_id", "not_found")]),
    ],
)
def test_a_bad_order_is_refused_and_nothing_is_saved(provider, patient_ann, body, expected):
    payload = {"patient_id": patient_ann.id} | body
    response = send(signed_in_client(provider), "POST", f"{BASE}/orders", payload)
    assert response.status_code == 422
    assert _fields(response) == expected
    assert not LabOrder.objects.exists()


def test_the_front_desk_sees_status_but_never_values(front_desk, resulted, patient_ann):
    client = signed_in_client(front_desk)
    detail = send(client, "GET", f"{BASE}/orders/{resulted.id}")
    assert detail.status_code == 200
    assert (detail.json()["status"], detail.json()["results"]) == ("resulted", None)
    listed = send(client, "GET", f"{BASE}/orders?patient_id={patient_ann.id}")
    assert [(o["id"], o["status"], o["results"]) for o in listed.json()] == [
        (resulted.id, "resulted", None)
    ]
    assert b"250" not in detail.content + listed.content


@pytest.mark.parametrize("role", ["provider", "coach", "admin"])
def test_clinical_staff_see_the_values(request, resulted, role):
    client = signed_in_client(request.getfixturevalue(role))
    detail = send(client, "GET", f"{BASE}/orders/{resulted.id}").json()
    assert [(r["loinc"], r["value"], r["flag"]) for r in detail["results"]] == [
        ("2093-3", "250.0000", "high")
    ]


def test_reading_an_order_is_audited(front_desk, resulted, patient_ann):
    send(signed_in_client(front_desk), "GET", f"{BASE}/orders/{resulted.id}")
    read = AuditEvent.objects.get(action="lab.order_view", actor_id=front_desk.id)
    assert (read.patient_id, read.outcome) == (patient_ann.id, "success")


def test_the_front_desk_cannot_enter_results(front_desk, collected):
    before = _state(collected)
    response = send(
        signed_in_client(front_desk),
        "POST",
        f"{BASE}/orders/{collected.id}/results",
        {"results": [{"loinc": "4548-4", "value": "5", "unit": "%"}]},
    )
    assert response.status_code == 403
    assert _state(collected) == before


@pytest.mark.parametrize("role", ["coach", "admin", "front_desk"])
def test_only_providers_review(request, resulted, role):
    before = _state(resulted)
    client = signed_in_client(request.getfixturevalue(role))
    response = send(client, "POST", f"{BASE}/orders/{resulted.id}/review")
    assert response.status_code == 403
    assert _state(resulted) == before


def test_a_patient_is_told_no_order_exists(patient_ann, resulted):
    client = signed_in_client(patient_ann.user)
    assert send(client, "GET", f"{BASE}/orders/{resulted.id}").status_code == 404


def test_a_move_outside_the_lifecycle_is_a_conflict_naming_the_rule(provider, collected):
    before = _state(collected)
    response = send(
        signed_in_client(provider),
        "POST",
        f"{BASE}/orders/{collected.id}/cancel",
        {"reason": "Changed mind"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_lab_order_transition"
    assert "collected cannot cancel" in response.json()["detail"]
    assert _state(collected) == before


def test_a_csv_import_through_the_api(provider, collected):
    text = "loinc,value,unit\n4548-4,6.8,%\n2085-9,62,mg/dL\n"
    response = send(
        signed_in_client(provider),
        "POST",
        f"{BASE}/orders/{collected.id}/results/csv",
        {"csv": text},
    )
    assert response.status_code == 200
    flags = {r["loinc"]: r["flag"] for r in response.json()["results"]}
    assert flags == {"4548-4": "high", "2085-9": "normal"}


def test_a_bad_csv_through_the_api_names_the_row_and_saves_nothing(provider, collected):
    before = _state(collected)
    text = "loinc,value,unit\n4548-4,6.8,%\n2085-9,62,mmol/L\n"
    response = send(
        signed_in_client(provider),
        "POST",
        f"{BASE}/orders/{collected.id}/results/csv",
        {"csv": text},
    )
    assert response.status_code == 422
    assert _fields(response) == [("row 3.unit", "unit_mismatch")]
    assert _state(collected) == before


def test_a_fhir_observation_through_the_api(provider, collected, patient_ann):
    observation = {
        "resourceType": "Observation",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
        "subject": {"reference": f"Patient/{patient_ann.id}"},
        "effectiveDateTime": "2026-03-01T10:00:00Z",
        "valueQuantity": {"value": 190, "unit": "mg/dL", "code": "mg/dL"},
    }
    url = f"{BASE}/orders/{collected.id}/results/fhir"
    response = send(signed_in_client(provider), "POST", url, observation)
    assert response.status_code == 200
    assert [(r["loinc"], r["source"]) for r in response.json()["results"]] == [("2093-3", "fhir")]
    observation["subject"] = {"reference": "Patient/1"}
    response = send(signed_in_client(provider), "POST", url, observation)
    assert response.status_code == 422
    assert LabResult.objects.count() == 1


def test_a_provider_completes_the_follow_up_and_a_coordinator_cannot(provider, coach, resulted):
    url = f"{BASE}/orders/{resulted.id}/follow-up/complete"
    refused = send(signed_in_client(coach), "POST", url)
    assert refused.status_code == 403
    assert (
        send(signed_in_client(provider), "GET", f"{BASE}/orders/{resulted.id}").json()[
            "follow_up_status"
        ]
        == "open"
    )
    done = send(signed_in_client(provider), "POST", url)
    assert (done.status_code, done.json()["follow_up_status"]) == (200, "done")
    again = send(signed_in_client(provider), "POST", url)
    assert (again.status_code, again.json()["code"]) == (409, "lab_follow_up_done")
