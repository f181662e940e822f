import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.tests.conftest import enroll, post_password
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/accounts/security/", "/staff/patients/", "/"]


@pytest.fixture
def unenrolled_client(front_desk, frozen_clock):
    client = Client()
    post_password(client, front_desk.username)
    return client


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_without_an_authenticator_app_are_sent_to_set_one_up(unenrolled_client, path):
    response = unenrolled_client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:mfa_enroll"))


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_enrolled_staff_who_skipped_the_code_are_sent_to_the_code_step(
    provider, frozen_clock, path
):
    enroll(provider)
    client = Client()
    post_password(client, provider.username)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:mfa_verify"))


def test_the_api_refuses_a_session_without_the_second_factor(unenrolled_client):
    response = unenrolled_client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "second_factor_required"


def test_a_token_create_post_is_refused_before_the_second_factor(unenrolled_client):
    from careloop.accounts.models import ApiToken

    response = unenrolled_client.post(reverse("accounts:token_create"), {"name": "Sneaky"})
    assert response.status_code == 302
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("name", ["mfa_enroll", "password_reset", "login"])
def test_the_sign_in_pages_stay_reachable(unenrolled_client, name):
    assert unenrolled_client.get(reverse(f"accounts:{name}")).status_code == 200


def test_sign_out_stays_reachable(unenrolled_client):
    response = unenrolled_client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in unenrolled_client.session


def test_a_verified_staff_session_reaches_staff_pages(provider):
    assert signed_in_client(provider).get("/accounts/security/").status_code == 200
