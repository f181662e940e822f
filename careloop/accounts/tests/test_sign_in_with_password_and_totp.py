import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.sessions import is_second_factor_verified
from careloop.accounts.tests.conftest import current_code, enroll, post_code, post_password

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_after_password(provider, frozen_clock):
    enroll(provider)
    client = Client()
    response = post_password(client, provider.username)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:mfa_verify")
    return client


def test_the_password_step_leads_an_enrolled_staff_member_to_the_code_step(
    client_after_password, provider
):
    assert client_after_password.session["_auth_user_id"] == str(provider.pk)
    assert not is_second_factor_verified(client_after_password.session)


def test_the_code_step_shows_a_form_for_the_code(client_after_password):
    response = client_after_password.get(reverse("accounts:mfa_verify"))
    assert response.status_code == 200
    assert b'name="code"' in response.content
    assert b'autocomplete="one-time-code"' in response.content


def test_a_current_code_completes_sign_in_and_goes_home(client_after_password):
    session_key_before = client_after_password.session.session_key
    response = post_code(client_after_password, current_code())
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert is_second_factor_verified(client_after_password.session)
    assert client_after_password.session.session_key != session_key_before


def test_a_wrong_code_keeps_the_person_on_the_code_step(client_after_password):
    code = current_code()
    wrong = "000000" if code != "000000" else "111111"
    response = post_code(client_after_password, wrong)
    assert response.status_code == 200
    assert b"That code did not work" in response.content
    assert not is_second_factor_verified(client_after_password.session)


def test_the_username_matches_whatever_its_case(provider, frozen_clock):
    enroll(provider)
    client = Client()
    response = post_password(client, provider.username.upper())
    assert response["Location"] == reverse("accounts:mfa_verify")


def test_a_wrong_password_stays_on_the_sign_in_page_with_a_message(provider, frozen_clock):
    client = Client()
    response = post_password(client, provider.username, "not the password")
    assert response.status_code == 200
    assert b"That username and password do not match" in response.content
    assert "_auth_user_id" not in client.session


def test_sign_in_returns_to_the_page_asked_for(provider, frozen_clock):
    enroll(provider)
    client = Client()
    post_password(client, provider.username, next="/accounts/security/")
    response = post_code(client, current_code())
    assert response["Location"] == "/accounts/security/"


def test_sign_in_ignores_a_next_address_on_another_site(provider, frozen_clock):
    enroll(provider)
    client = Client()
    post_password(client, provider.username, next="https://evil.invalid/")
    response = post_code(client, current_code())
    assert response["Location"] == reverse("web:home")


def test_sign_out_needs_a_post_and_ends_the_session(client_after_password):
    post_code(client_after_password, current_code())
    assert client_after_password.get(reverse("accounts:logout")).status_code == 405
    response = client_after_password.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client_after_password.session
