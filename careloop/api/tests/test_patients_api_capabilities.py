import pytest

from careloop.accounts.policy import Capability
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("get", "/api/v1/patients"): Capability.PATIENT_VIEW,
    ("post", "/api/v1/patients"): Capability.PATIENT_CREATE,
    ("get", "/api/v1/patients/{patient_id}"): Capability.PATIENT_VIEW,
    ("patch", "/api/v1/patients/{patient_id}"): Capability.PATIENT_EDIT,
    ("get", "/api/v1/households"): Capability.PATIENT_VIEW,
    ("post", "/api/v1/households"): Capability.HOUSEHOLD_MANAGE,
    ("get", "/api/v1/households/{household_id}"): Capability.PATIENT_VIEW,
    ("patch", "/api/v1/households/{household_id}"): Capability.HOUSEHOLD_MANAGE,
}


def test_every_patient_and_household_operation_names_its_capability_in_openapi(admin):
    document = signed_in_client(admin).get("/api/v1/openapi.json").json()
    found = {
        (method, path): operation.get("x-careloop-capability")
        for path, operations in document["paths"].items()
        if path.startswith(("/api/v1/patients", "/api/v1/households"))
        for method, operation in operations.items()
    }
    assert found == {key: capability.value for key, capability in EXPECTED.items()}
