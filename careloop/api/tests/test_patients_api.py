import json
from datetime import date

import pytest

from careloop.audit.models import AuditEvent
from careloop.patients.models import Patient
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db
BASE = "/api/v1/patients"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def new_patient(**overrides):
    return {
        "legal_given_name": "Zoë",
        "legal_family_name": "Ito",
        "date_of_birth": "1990-04-02",
        "sex_at_birth": "female",
        "mobile_phone": "(512) 555-0177",
    } | overrides


def test_the_list_searches_and_paginates_with_a_total_count(provider):
    for given in ("Ann", "Anna", "Annie"):
        make_patient(given=given, family="Avery")
    make_patient(given="Bob", family="Baker")
    client = signed_in_client(provider)
    first = client.get(BASE, {"q": "ann", "limit": "2"}).json()
    second = client.get(BASE, {"q": "ann", "limit": "2", "offset": "2"}).json()
    assert (first["count"], first["limit"], first["offset"]) == (3, 2, 0)
    assert [p["legal_given_name"] for p in first["items"]] == ["Ann", "Anna"]
    assert [p["legal_given_name"] for p in second["items"]] == ["Annie"]
    assert client.get(BASE).json()["count"] == 4


def test_a_limit_above_one_hundred_is_a_problem_naming_the_parameter(provider):
    response = signed_in_client(provider).get(BASE, {"limit": 500})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_getting_a_patient_is_audited_with_its_id(provider):
    patient = make_patient(given="Ann", family="Avery", mobile_phone="+15125550101")
    response = signed_in_client(provider).get(f"{BASE}/{patient.id}")
    assert response.status_code == 200
    assert response.json()["mobile_phone"] == "+15125550101"
    event = AuditEvent.objects.get(action="patient.view")
    assert (event.patient_id, event.actor_id) == (patient.id, provider.id)


def test_creating_a_patient_stores_e164_and_answers_201(front_desk):
    response = post(signed_in_client(front_desk), BASE, new_patient())
    assert response.status_code == 201
    body = response.json()
    assert body["mobile_phone"] == "+15125550177"
    assert Patient.objects.get(id=body["id"]).search_given == "zoe"


def test_a_bad_field_is_a_422_problem_naming_it_and_creates_nothing(front_desk):
    response = post(signed_in_client(front_desk), BASE, new_patient(country="USA", email="nope"))
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert {error["field"] for error in response.json()["errors"]} == {"country", "email"}
    assert not Patient.objects.exists()


def test_a_missing_required_field_is_a_422_naming_it(front_desk):
    body = new_patient()
    del body["legal_family_name"]
    response = post(signed_in_client(front_desk), BASE, body)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["legal_family_name"]


def test_a_possible_duplicate_is_a_409_listing_the_candidates(front_desk):
    existing = make_patient(given="Zoe", family="Ito", date_of_birth=date(1990, 4, 2))
    client = signed_in_client(front_desk)
    response = post(client, BASE, new_patient())
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "possible_duplicate"
    assert [candidate["id"] for candidate in problem["candidates"]] == [existing.id]
    assert Patient.objects.count() == 1

    confirmed = post(client, BASE, new_patient(confirm_duplicate=True))
    assert confirmed.status_code == 201
    assert Patient.objects.count() == 2


def test_patch_changes_only_the_fields_sent(provider):
    patient = make_patient(given="Ann", family="Avery", pronouns="she/her")
    response = patch(
        signed_in_client(provider), f"{BASE}/{patient.id}", {"legal_family_name": "Ng"}
    )
    assert response.status_code == 200
    stored = Patient.objects.get(id=patient.id)
    assert (stored.legal_family_name, stored.pronouns, stored.search_family) == (
        "Ng",
        "she/her",
        "ng",
    )


def test_a_bad_patch_is_a_422_and_changes_nothing(provider):
    patient = make_patient(given="Ann", family="Avery")
    before = Patient.objects.values().get(id=patient.id)
    response = patch(
        signed_in_client(provider),
        f"{BASE}/{patient.id}",
        {"legal_family_name": "Ng", "mobile_phone": "12"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "mobile_phone"
    assert Patient.objects.values().get(id=patient.id) == before


def test_clearing_a_required_field_with_null_is_refused(provider):
    patient = make_patient(given="Ann", family="Avery")
    response = patch(signed_in_client(provider), f"{BASE}/{patient.id}", {"legal_given_name": None})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "legal_given_name"


def test_a_patient_reads_their_own_record_only(patient_ann, patient_bob):
    client = signed_in_client(patient_ann.user)
    assert client.get(f"{BASE}/{patient_ann.id}").status_code == 200
    assert client.get(f"{BASE}/{patient_bob.id}").status_code == 404
    assert client.get(BASE).status_code == 404


def test_a_patient_cannot_create_or_change_records(patient_ann, patient_bob):
    client = signed_in_client(patient_ann.user)
    assert post(client, BASE, new_patient()).status_code == 404
    assert patch(client, f"{BASE}/{patient_bob.id}", {"pronouns": "x"}).status_code == 404
    assert patch(client, f"{BASE}/{patient_ann.id}", {"pronouns": "x"}).status_code == 403
    assert Patient.objects.count() == 2
    assert Patient.objects.get(id=patient_ann.id).pronouns == ""


@pytest.mark.parametrize("role", ["provider", "coach", "billing"])
def test_staff_without_the_create_capability_get_403_and_nothing_is_created(request, role):
    user = request.getfixturevalue(role)
    response = post(signed_in_client(user), BASE, new_patient())
    assert response.status_code == 403
    assert not Patient.objects.exists()


def test_billing_cannot_patch_and_nothing_changes(billing):
    patient = make_patient(given="Ann", family="Avery")
    response = patch(signed_in_client(billing), f"{BASE}/{patient.id}", {"legal_family_name": "Ng"})
    assert response.status_code == 403
    assert Patient.objects.get(id=patient.id).legal_family_name == "Avery"


def test_signed_out_requests_are_401():
    from django.test import Client

    assert Client().get(BASE).status_code == 401
