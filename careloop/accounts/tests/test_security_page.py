import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import RecoveryCode
from careloop.accounts.services import recovery_codes_replace
from careloop.accounts.tests.conftest import current_code, enroll, post_password
from careloop.core import clock
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another long passphrase 7"


def test_it_shows_the_authenticator_status_and_codes_left(provider, frozen_clock):
    enroll(provider)
    recovery_codes_replace(user=provider)
    RecoveryCode.objects.filter(pk__in=RecoveryCode.objects.values("pk")[:1]).update(
        used_at=clock.now()
    )
    content = signed_in_client(provider).get(reverse("accounts:security")).content.decode()
    assert "Set up Dec 1, 2026" in content
    assert "9 unused recovery codes left." in content


def test_it_warns_when_few_recovery_codes_are_left(provider, frozen_clock):
    enroll(provider)
    recovery_codes_replace(user=provider)
    RecoveryCode.objects.filter(pk__in=RecoveryCode.objects.values("pk")[:8]).update(
        used_at=clock.now()
    )
    content = signed_in_client(provider).get(reverse("accounts:security")).content.decode()
    assert "Make new ones before you run out." in content


def test_new_recovery_codes_need_a_current_code_and_replace_the_old_ones(provider, frozen_clock):
    enroll(provider)
    old = recovery_codes_replace(user=provider)
    client = signed_in_client(provider)

    response = client.post(reverse("accounts:recovery_codes"), {"code": current_code()})

    assert response.status_code == 200
    new = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.content.decode())
    assert len(new) == 10
    assert not set(new) & set(old)
    assert RecoveryCode.objects.filter(user=provider).count() == 10
    # An old code no longer signs in; a new one does.
    clock.advance(timedelta(minutes=1))
    visit = Client()
    post_password(visit, provider.username)
    assert visit.post(reverse("accounts:mfa_verify"), {"code": old[0]}).status_code == 200
    assert visit.post(reverse("accounts:mfa_verify"), {"code": new[0]}).status_code == 302


def test_the_code_used_to_make_new_recovery_codes_cannot_be_used_again(provider, frozen_clock):
    enroll(provider)
    client = signed_in_client(provider)
    code = current_code()
    assert client.post(reverse("accounts:recovery_codes"), {"code": code}).status_code == 200
    response = client.post(reverse("accounts:recovery_codes"), {"code": code})
    assert response.status_code == 422
    assert "That code did not match" in response.content.decode()


def test_a_person_can_change_their_password(provider):
    client = signed_in_client(provider)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "correct horse battery staple",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response["Location"] == reverse("accounts:security")
    provider.refresh_from_db()
    assert provider.check_password(NEW_PASSWORD)
    # The session that changed it stays signed in.
    assert client.get(reverse("accounts:security")).status_code == 200


def test_the_security_page_needs_sign_in(db):
    response = Client().get(reverse("accounts:security"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
