import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.tests.conftest import PASSWORD, SECRET, current_code, enroll, post_password
from careloop.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _actions(after: int = 0):
    events = AuditEvent.objects.filter(sequence__gt=after).order_by("sequence")
    return [(event.action, event.outcome) for event in events]


def test_each_sign_in_step_and_the_sign_out_are_audit_events(provider, frozen_clock):
    enroll(provider)
    # The log is append-only (PostgreSQL refuses DELETE), so look only past this point.
    start = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    client = Client()
    post_password(client, provider.username, "wrong password")
    post_password(client, provider.username)
    client.post(reverse("accounts:mfa_verify"), {"code": current_code()})
    client.post(reverse("accounts:logout"))
    assert _actions(after=start) == [
        ("auth.sign_in", "failed"),
        ("auth.password_verified", "success"),
        ("auth.sign_in", "success"),
        ("auth.sign_out", "success"),
    ]


def test_a_sign_in_while_locked_is_a_denied_event(provider, frozen_clock):
    for _ in range(5):
        post_password(Client(), provider.username, "wrong password")
    post_password(Client(), provider.username)
    assert ("auth.lockout", "denied") in _actions()
    assert _actions()[-1] == ("auth.sign_in", "denied")


def test_no_secret_reaches_the_audit_log(provider, frozen_clock):
    enroll(provider)
    client = Client()
    post_password(client, provider.username, "wrong password")
    post_password(client, provider.username)
    code = current_code()
    client.post(reverse("accounts:mfa_verify"), {"code": code})
    created = client.post(reverse("accounts:token_create"), {"name": "Import"})
    match = re.search(r'value="(clt_[^"]+)"', created.content.decode())
    assert match
    token = match.group(1)
    logged = json.dumps([event.detail for event in AuditEvent.objects.all()])
    assert "auth.api_token_create" in {event.action for event in AuditEvent.objects.all()}
    for secret in (PASSWORD, "wrong password", SECRET, code, token):
        assert secret not in logged
