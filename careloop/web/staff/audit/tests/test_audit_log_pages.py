import re

import pytest
from django.urls import reverse

from careloop.audit.services import audit_record
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def _sequences(response):
    return [int(number) for number in re.findall(rb"<td>(\d+)</td>", response.content)]


def _link(response, rel):
    match = re.search(rf'<a href="([^"]+)" rel="{rel}">', response.content.decode())
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.fixture
def many_events(provider):
    for number in range(1, 121):
        audit_record(action="patient.view", actor=provider, patient_id=number % 3 + 1)


def test_pages_hold_fifty_events_and_walk_back_in_time(admin, many_events):
    client = signed_in_client(admin)
    first = client.get(reverse("staff:audit_log"))
    assert _sequences(first) == list(range(120, 70, -1))
    assert _link(first, "prev") is None

    second = client.get(_link(first, "next"))
    # Viewing the first page appended event 121; the second page still starts at 70.
    assert _sequences(second) == list(range(70, 20, -1))

    third = client.get(_link(second, "next"))
    assert _sequences(third) == list(range(20, 0, -1))
    assert _link(third, "next") is None

    back = client.get(_link(third, "prev"))
    assert _sequences(back) == list(range(70, 20, -1))


def test_paging_keeps_the_filters(admin, provider):
    for number in range(1, 181):
        audit_record(action="patient.view", actor=provider, patient_id=number % 3 + 1)
    client = signed_in_client(admin)
    first = client.get(reverse("staff:audit_log"), {"patient": "1", "action": "patient.view"})
    older = _link(first, "next")
    assert "patient=1" in older
    assert "action=patient.view" in older
    second = client.get(older)
    # Patient 1 has the 60 events whose sequence is a multiple of 3: 50, then 10.
    assert _sequences(second) == list(range(30, 0, -3))
    assert _link(second, "next") is None
