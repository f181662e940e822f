import re

import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import SignInThrottle
from careloop.audit.models import AuditEvent
from careloop.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a fresh and long passphrase 42"


def _request_reset(client: Client, email: str):
    return client.post(reverse("accounts:password_reset"), {"email": email})


def _link_path(message: OutboxMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password-reset/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_a_reset_request_queues_an_email_in_the_outbox(patient_ann):
    response = _request_reset(Client(), patient_ann.user.email.upper())
    assert response["Location"] == reverse("accounts:password_reset_done")
    message = OutboxMessage.objects.get()
    assert (message.channel, message.kind, message.recipient) == (
        "email",
        "password_reset",
        patient_ann.user.email,
    )
    assert "reset the password" in message.body
    assert message.patient_id is None


def test_an_unknown_address_gets_the_same_response_and_no_email(patient_ann):
    known = _request_reset(Client(), patient_ann.user.email)
    unknown = _request_reset(Client(), "nobody@example.invalid")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert OutboxMessage.objects.count() == 1


def test_the_link_in_the_email_sets_a_new_password(patient_ann):
    user = patient_ann.user
    _request_reset(Client(), user.email)
    client = Client()
    response = client.get(_link_path(OutboxMessage.objects.get()))
    assert response.status_code == 302
    form_url = response["Location"]
    assert client.get(form_url).status_code == 200

    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(
        action="auth.password_change", actor_id=user.pk, detail={"via": "reset"}
    ).exists()


def test_the_link_works_only_once(patient_ann):
    _request_reset(Client(), patient_ann.user.email)
    path = _link_path(OutboxMessage.objects.get())
    client = Client()
    form_url = client.get(path)["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    again = Client().get(path)
    assert again.status_code == 200
    assert b"This link no longer works" in again.content


def test_a_reset_lifts_a_sign_in_lock(patient_ann, frozen_clock):
    SignInThrottle.objects.create(username="ann", locked_until=frozen_clock.replace(year=2030))
    _request_reset(Client(), patient_ann.user.email)
    client = Client()
    form_url = client.get(_link_path(OutboxMessage.objects.get()))["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert not SignInThrottle.objects.exists()


def test_the_email_carries_no_clinical_detail(patient_ann):
    _request_reset(Client(), patient_ann.user.email)
    body = OutboxMessage.objects.get().body
    assert patient_ann.legal_family_name not in body
    assert str(patient_ann.date_of_birth.year) not in body
