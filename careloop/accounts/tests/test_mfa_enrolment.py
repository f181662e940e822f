import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts import totp
from careloop.accounts.models import RecoveryCode, TotpDevice
from careloop.accounts.sessions import is_second_factor_verified
from careloop.accounts.tests.conftest import post_code, post_password
from careloop.audit.models import AuditEvent
from careloop.core import clock

pytestmark = pytest.mark.django_db


def _secret_shown(response) -> str:
    match = re.search(
        rb'<code class="secret" id="totp-secret">([A-Z2-7 <>/span]+)</code>', response.content
    )
    assert match, "the enrolment page shows the key as text"
    return re.sub(r"</?span>| ", "", match.group(1).decode())


def _codes_shown(response) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.content.decode())


@pytest.fixture
def client_at_enrolment(coach, frozen_clock):
    client = Client()
    response = post_password(client, coach.username)
    assert response["Location"] == reverse("accounts:mfa_enroll")
    return client


def test_the_enrolment_page_shows_an_inline_qr_code_and_the_key(client_at_enrolment):
    response = client_at_enrolment.get(reverse("accounts:mfa_enroll"))
    assert response.status_code == 200
    assert b"<svg" in response.content
    assert b"<img" not in response.content
    assert len(_secret_shown(response)) == 32


def test_reloading_the_enrolment_page_keeps_the_same_key(client_at_enrolment):
    first = _secret_shown(client_at_enrolment.get(reverse("accounts:mfa_enroll")))
    second = _secret_shown(client_at_enrolment.get(reverse("accounts:mfa_enroll")))
    assert first == second
    assert TotpDevice.objects.count() == 1


def test_enrolment_end_to_end(client_at_enrolment, coach):
    secret = _secret_shown(client_at_enrolment.get(reverse("accounts:mfa_enroll")))
    code = totp.code_for_step(secret, totp.time_step(clock.now()))

    response = client_at_enrolment.post(reverse("accounts:mfa_enroll"), {"code": code})

    assert response.status_code == 200
    codes = _codes_shown(response)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert b"only time they are shown" in response.content
    assert TotpDevice.objects.get(user=coach).is_confirmed
    assert is_second_factor_verified(client_at_enrolment.session)
    stored = set(RecoveryCode.objects.filter(user=coach).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not stored & {code.replace("-", "") for code in codes}
    assert AuditEvent.objects.filter(action="auth.mfa_enroll", actor_id=coach.pk).exists()

    # The codes are not shown again: the enrolment page now sends the user on.
    again = client_at_enrolment.get(reverse("accounts:mfa_enroll"))
    assert again.status_code == 302
    security = client_at_enrolment.get(reverse("accounts:security"))
    assert not any(code.encode() in security.content for code in codes)

    # Each recovery code signs in once.
    client_at_enrolment.post(reverse("accounts:logout"))
    clock.advance(timedelta(minutes=1))
    second_visit = Client()
    post_password(second_visit, coach.username)
    response = post_code(second_visit, codes[0].upper())
    assert response.status_code == 302
    assert is_second_factor_verified(second_visit.session)
    assert AuditEvent.objects.filter(action="auth.recovery_code_use", actor_id=coach.pk).exists()

    third_visit = Client()
    post_password(third_visit, coach.username)
    response = post_code(third_visit, codes[0])
    assert response.status_code == 200
    assert b"That code did not work" in response.content
    assert not is_second_factor_verified(third_visit.session)


def test_a_wrong_confirmation_code_leaves_the_device_unconfirmed(client_at_enrolment, coach):
    secret = _secret_shown(client_at_enrolment.get(reverse("accounts:mfa_enroll")))
    wrong = totp.code_for_step(secret, totp.time_step(clock.now()) + 5)
    response = client_at_enrolment.post(reverse("accounts:mfa_enroll"), {"code": wrong})
    assert response.status_code == 200
    assert b"That code did not match" in response.content
    assert not TotpDevice.objects.get(user=coach).is_confirmed
    assert not RecoveryCode.objects.exists()
    assert not is_second_factor_verified(client_at_enrolment.session)


def test_patients_have_no_enrolment_page(patient_ann):
    client = Client()
    client.force_login(patient_ann.user)
    assert client.get(reverse("accounts:mfa_enroll")).status_code == 404
