from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.tests.conftest import enroll, sign_in_fully
from careloop.audit.models import AuditEvent
from careloop.core import clock

pytestmark = pytest.mark.django_db

SECURITY = "/accounts/security/"


@pytest.fixture
def staff_client(provider, frozen_clock):
    enroll(provider)
    client = Client()
    sign_in_fully(client, provider)
    return client


def test_activity_within_fifteen_minutes_keeps_the_session(staff_client):
    for _ in range(6):
        clock.advance(timedelta(minutes=14))
        assert staff_client.get(SECURITY).status_code == 200


def test_fifteen_idle_minutes_sign_the_person_out_with_a_message(staff_client, provider):
    clock.advance(timedelta(minutes=15))
    response = staff_client.get(SECURITY)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={SECURITY}"
    assert "_auth_user_id" not in staff_client.session

    page = staff_client.get(response["Location"])
    assert b"You were signed out after 15 minutes without activity" in page.content
    event = AuditEvent.objects.get(action="auth.sign_out")
    assert (event.actor_id, event.detail) == (provider.pk, {"reason": "idle_timeout"})


def test_twelve_hours_end_the_session_however_active(staff_client, frozen_clock):
    signed_in_at = frozen_clock
    step = timedelta(minutes=14)
    while clock.now() + step < signed_in_at + timedelta(hours=12):
        clock.advance(step)
        assert staff_client.get(SECURITY).status_code == 200
    clock.freeze(signed_in_at + timedelta(hours=12))
    response = staff_client.get(SECURITY)
    assert response.status_code == 302
    page = staff_client.get(response["Location"])
    assert b"sessions last at most 12 hours" in page.content


def test_an_expired_api_session_gets_a_401_problem(staff_client):
    assert staff_client.get("/api/v1/me").status_code == 200
    clock.advance(timedelta(minutes=16))
    response = staff_client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "session_expired"
    assert body["status"] == 401
    assert "15 minutes without activity" in body["detail"]


def test_an_expired_htmx_request_is_told_to_load_the_sign_in_page(staff_client):
    clock.advance(timedelta(minutes=20))
    response = staff_client.get(SECURITY, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_patient_sessions_are_not_ended_by_the_staff_idle_limit(patient_ann, frozen_clock):
    client = Client()
    client.post(
        reverse("accounts:login"),
        {"username": "ann", "password": "correct horse battery staple"},
    )
    clock.advance(timedelta(minutes=30))
    assert client.get(SECURITY).status_code == 200
