import pytest
from django.urls import reverse

from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def test_a_missing_page_says_so_in_the_clinic_layout_with_a_way_back(patient_ann, patient_bob):
    response = signed_in_client(patient_ann.user).get(
        reverse("staff:patient_chart", args=[patient_bob.id])
    )
    page = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in page
    assert f'href="{reverse("web:home")}"' in page
    assert "careloop.css" in page
    assert "Baker" not in page


def test_a_refused_page_names_the_reason_in_the_clinic_layout(coach):
    response = signed_in_client(coach).get(reverse("staff:patient_create"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in page
    assert "Your role does not allow this." in page
    assert f'href="{reverse("web:home")}"' in page
