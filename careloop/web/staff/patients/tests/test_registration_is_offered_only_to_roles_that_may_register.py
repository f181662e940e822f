import pytest
from django.urls import reverse

from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db
CREATE_URL = reverse("staff:patient_create")


@pytest.mark.parametrize("query", ["", "nobody"])
@pytest.mark.parametrize(
    ("role", "offered"),
    [
        ("admin", True),
        ("front_desk", True),
        ("provider", False),
        ("coach", False),
        ("billing", False),
    ],
)
def test_the_search_page_offers_registration_only_to_roles_that_may_register(
    request, role, offered, query
):
    client = signed_in_client(request.getfixturevalue(role))
    page = client.get("/staff/patients/", {"q": query}).content.decode()
    assert (CREATE_URL in page) is offered
    if offered:
        assert client.get(CREATE_URL).status_code == 200
    else:
        assert client.get(CREATE_URL).status_code == 403
