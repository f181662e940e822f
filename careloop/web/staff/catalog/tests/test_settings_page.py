import pytest
from django.urls import reverse

from careloop.memberships.models import CancellationReason
from careloop.memberships.selectors.catalog import membership_settings
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def test_an_admin_sets_the_past_due_policy_and_billing_day(admin):
    client = signed_in_client(admin)
    assert client.get(reverse("staff:catalog_settings")).status_code == 200
    client.post(
        reverse("staff:catalog_settings"), {"past_due_coverage": "none", "clinic_billing_day": "1"}
    )
    row = membership_settings()
    assert (row.past_due_coverage, row.clinic_billing_day) == ("none", 1)


def test_a_billing_day_beyond_31_is_refused(admin):
    response = signed_in_client(admin).post(
        reverse("staff:catalog_settings"), {"past_due_coverage": "keep", "clinic_billing_day": "32"}
    )
    assert response.status_code == 422
    assert "Clinic billing day can be at most 31." in response.content.decode()
    assert membership_settings().clinic_billing_day is None


def test_reasons_are_added_renamed_and_withdrawn(admin):
    client = signed_in_client(admin)
    client.post(reverse("staff:catalog_reason_create"), {"label": "Moved away"})
    reason = CancellationReason.objects.get()
    client.post(reverse("staff:catalog_reason_update", args=[reason.id]), {"label": "Relocated"})
    client.post(reverse("staff:catalog_reason_update", args=[reason.id]), {"active": "no"})
    reason.refresh_from_db()
    assert (reason.label, reason.active) == ("Relocated", False)


def test_front_desk_cannot_open_the_settings(front_desk):
    assert signed_in_client(front_desk).get(reverse("staff:catalog_settings")).status_code == 403
