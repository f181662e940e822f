import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.tests.conftest import post_password
from careloop.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_patient_signs_in_with_a_password_alone(patient_ann, frozen_clock):
    client = Client()
    response = post_password(client, "ann")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert client.session["_auth_user_id"] == str(patient_ann.user.pk)
    event = AuditEvent.objects.get(action="auth.sign_in", actor_id=patient_ann.user.pk)
    assert event.outcome == "success"


def test_a_signed_in_patient_is_not_asked_for_a_code(patient_ann, frozen_clock):
    client = Client()
    post_password(client, "ann")
    assert client.get(reverse("accounts:security")).status_code == 200
    assert client.get(reverse("accounts:mfa_verify")).status_code == 404


def test_a_patient_cannot_manage_api_tokens(patient_ann, frozen_clock):
    client = Client()
    post_password(client, "ann")
    page = client.get(reverse("accounts:security"))
    assert b"API tokens" not in page.content
    assert client.post(reverse("accounts:token_create"), {"name": "x"}).status_code == 404
