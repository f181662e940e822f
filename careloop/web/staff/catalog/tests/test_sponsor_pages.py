from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.memberships.models import RosterEntry, Sponsor
from careloop.memberships.services.sponsors import roster_add, sponsor_create
from careloop.memberships.tests.catalog_builders import a_plan
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db

HEADER = "given_name,family_name,date_of_birth,effective_on,terminated_on\n"


def test_billing_adds_a_sponsor_with_a_fixed_share(billing, admin):
    plan = a_plan(admin, "essentials")
    response = signed_in_client(billing).post(
        reverse("staff:catalog_sponsor_create"),
        {
            "name": "Acme Logistics",
            "share": "fixed",
            "fixed_share_amount": "75.00",
            "plan_ids": [plan.id],
            "active": "on",
        },
    )
    sponsor = Sponsor.objects.get()
    assert response.status_code == 302
    assert (sponsor.fixed_share_amount, list(sponsor.plans.all())) == (7500, [plan])


def test_a_fixed_share_without_an_amount_is_named(billing):
    response = signed_in_client(billing).post(
        reverse("staff:catalog_sponsor_create"), {"name": "Acme", "share": "fixed"}
    )
    assert response.status_code == 422
    assert "A fixed share needs its amount" in response.content.decode()
    assert not Sponsor.objects.exists()


def test_the_roster_is_shown_audited_added_to_and_terminated(billing, patient_ann):
    sponsor = sponsor_create(actor=billing, name="Acme")
    client = signed_in_client(billing)
    client.post(
        reverse("staff:catalog_roster_add", args=[sponsor.id]),
        {"patient": patient_ann.id, "effective_on": "2025-01-01"},
    )
    entry = RosterEntry.objects.get()
    page = client.get(reverse("staff:catalog_sponsor_detail", args=[sponsor.id])).content.decode()
    assert patient_ann.display_name in page
    assert AuditEvent.objects.get(action="sponsor.roster_view").detail == {
        "patient_ids": [patient_ann.id]
    }
    client.post(
        reverse("staff:catalog_roster_terminate", args=[sponsor.id, entry.id]),
        {"terminated_on": "2025-06-01"},
    )
    entry.refresh_from_db()
    assert entry.terminated_on == date(2025, 6, 1)


def test_a_roster_file_is_previewed_then_applied(billing):
    sponsor = sponsor_create(actor=billing, name="Acme")
    zoe = make_patient(given="Zoë", family="Núñez", date_of_birth=date(1985, 3, 2))
    client = signed_in_client(billing)
    url = reverse("staff:catalog_roster_upload", args=[sponsor.id])
    content = HEADER + "Zoe,Nunez,1985-03-02,2025-01-01,\n"
    upload = SimpleUploadedFile("roster.csv", content.encode(), content_type="text/csv")
    preview = client.post(url, {"file": upload}).content.decode()
    assert "Preview: nothing has changed yet" in preview
    assert "1 to add" in preview
    assert not RosterEntry.objects.exists()
    response = client.post(url, {"content": content})
    assert response.status_code == 302
    assert RosterEntry.objects.get().patient == zoe


def test_a_roster_file_with_a_bad_row_offers_no_apply_button(billing):
    sponsor = sponsor_create(actor=billing, name="Acme")
    content = HEADER + "Nobody,Known,1985-03-02,2025-01-01,\n"
    upload = SimpleUploadedFile("roster.csv", content.encode(), content_type="text/csv")
    page = (
        signed_in_client(billing)
        .post(reverse("staff:catalog_roster_upload", args=[sponsor.id]), {"file": upload})
        .content.decode()
    )
    assert "No patient has this name and date of birth" in page
    assert "Apply these changes" not in page


def test_front_desk_sees_sponsors_but_cannot_change_a_roster(front_desk, billing, patient_ann):
    sponsor = sponsor_create(actor=billing, name="Acme")
    roster_add(actor=billing, sponsor=sponsor, patient=patient_ann, effective_on=date(2025, 1, 1))
    client = signed_in_client(front_desk)
    page = client.get(reverse("staff:catalog_sponsor_detail", args=[sponsor.id])).content.decode()
    assert "Terminate</button>" not in page
    entry = RosterEntry.objects.get()
    response = client.post(
        reverse("staff:catalog_roster_terminate", args=[sponsor.id, entry.id]),
        {"terminated_on": "2025-06-01"},
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.terminated_on is None
