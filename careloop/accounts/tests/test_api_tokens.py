import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import ApiToken
from careloop.accounts.secrets import api_token_hash
from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def _create(client: Client, name: str = "Lab import") -> str:
    response = client.post(reverse("accounts:token_create"), {"name": name})
    assert response.status_code == 200
    match = re.search(r'value="(clt_[A-Za-z0-9_\-]+)"', response.content.decode())
    assert match
    return match.group(1)


def _me(token: str):
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_a_new_token_is_shown_once_and_stored_only_as_a_hash(provider, frozen_clock):
    client = signed_in_client(provider)
    raw = _create(client)
    stored = ApiToken.objects.get()
    assert (stored.user, stored.name, stored.prefix) == (provider, "Lab import", raw[:12])
    assert stored.token_hash == api_token_hash(raw)
    assert raw not in str(ApiToken.objects.values().get())
    security = client.get(reverse("accounts:security"))
    assert raw[:12].encode() in security.content
    assert raw.encode() not in security.content
    event = AuditEvent.objects.get(action="auth.api_token_create")
    assert raw not in str(event.detail)


def test_a_token_signs_api_requests_in_as_its_owner(provider, frozen_clock):
    raw = _create(signed_in_client(provider))
    response = _me(raw)
    assert response.status_code == 200
    assert response.json()["username"] == provider.username
    assert ApiToken.objects.get().last_used_at == frozen_clock


def test_last_used_is_written_at_most_once_a_minute(provider, frozen_clock):
    raw = _create(signed_in_client(provider))
    _me(raw)
    clock.advance(timedelta(seconds=30))
    _me(raw)
    assert ApiToken.objects.get().last_used_at == frozen_clock
    clock.advance(timedelta(seconds=30))
    _me(raw)
    assert ApiToken.objects.get().last_used_at == clock.now()


def test_a_revoked_token_gets_401(provider, frozen_clock):
    client = signed_in_client(provider)
    raw = _create(client)
    token = ApiToken.objects.get()
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response["Location"] == reverse("accounts:security")
    token.refresh_from_db()
    assert token.revoked_at == frozen_clock

    response = _me(raw)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert AuditEvent.objects.filter(action="auth.api_token_revoke", actor_id=provider.pk).exists()


def test_a_token_of_a_deactivated_user_gets_401(provider, frozen_clock):
    raw = _create(signed_in_client(provider))
    provider.is_active = False
    provider.save()
    assert _me(raw).status_code == 401


@pytest.mark.parametrize("header", ["Bearer clt_made_up", "Bearer ", "Token abc"])
def test_an_unknown_token_gets_401(header, db):
    assert Client().get("/api/v1/me", headers={"Authorization": header}).status_code == 401


def test_nobody_can_revoke_someone_elses_token(provider, coach, frozen_clock):
    _create(signed_in_client(provider))
    token = ApiToken.objects.get()
    response = signed_in_client(coach).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
