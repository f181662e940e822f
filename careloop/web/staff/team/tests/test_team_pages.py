import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import TotpDevice, User
from careloop.accounts.roles import Role
from careloop.accounts.tests.conftest import enroll
from careloop.accounts.tests.invitations import link_path
from careloop.notifications.models import OutboxMessage
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_user

pytestmark = pytest.mark.django_db

NEW_MEMBER = {
    "first_name": "Nia",
    "last_name": "Nguyen",
    "email": "nia@example.invalid",
    "username": "nurse_nia",
    "role": "provider",
    "credentials": "NP",
}


def test_the_team_list_shows_role_authenticator_app_last_sign_in_and_status(admin, provider):
    enroll(provider)
    dormant = make_user(role=Role.BILLING, username="gone_gil", is_active=False)
    html = signed_in_client(admin).get(reverse("staff:staff_list")).content.decode()
    assert "provider_pat" in html
    assert "Provider" in html
    assert "Set up" in html
    assert "Not set up" in html
    assert "Never" in html
    assert dormant.username in html
    assert "Deactivated" in html


def test_the_list_shows_staff_only(admin, patient_ann):
    html = signed_in_client(admin).get(reverse("staff:staff_list")).content.decode()
    assert patient_ann.user.username not in html


def test_adding_a_staff_member_sends_the_invitation(admin):
    client = signed_in_client(admin)
    form = client.get(reverse("staff:staff_create")).content.decode()
    assert '<option value="front_desk">Front desk</option>' in form
    assert 'value="patient"' not in form

    response = client.post(reverse("staff:staff_create"), NEW_MEMBER)

    user = User.objects.get(username="nurse_nia")
    assert response["Location"] == reverse("staff:staff_detail", args=[user.id])
    message = OutboxMessage.objects.get(kind="staff_invitation")
    assert message.recipient == "nia@example.invalid"
    assert link_path(message.body).startswith("/accounts/password-reset/")
    detail = client.get(response["Location"]).content.decode()
    assert "An invitation to choose a password is on its way to nia@example.invalid" in detail
    assert "Not chosen yet" in detail


def test_a_bad_submission_is_explained_and_adds_nobody(admin):
    response = signed_in_client(admin).post(
        reverse("staff:staff_create"), {**NEW_MEMBER, "email": "nope", "role": "patient"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter an email address" in html
    assert "Choose a staff role" in html
    assert not User.objects.filter(username="nurse_nia").exists()
    assert not OutboxMessage.objects.exists()


def test_details_and_role_are_changed_from_the_detail_page(admin, front_desk):
    client = signed_in_client(admin)
    url = reverse("staff:staff_detail", args=[front_desk.id])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "first_name": "Fran",
            "last_name": "Fox",
            "email": "fran@example.invalid",
            "credentials": "",
        },
    )
    assert response["Location"] == url
    response = client.post(reverse("staff:staff_role", args=[front_desk.id]), {"role": "billing"})
    assert response["Location"] == url
    front_desk.refresh_from_db()
    assert (front_desk.first_name, front_desk.email, front_desk.role) == (
        "Fran",
        "fran@example.invalid",
        "billing",
    )


def test_an_admin_sees_why_their_own_role_cannot_change(admin):
    client = signed_in_client(admin)
    html = client.get(reverse("staff:staff_detail", args=[admin.id])).content.decode()
    assert "Another practice admin can change your role." in html
    assert "You cannot deactivate yourself." in html
    response = client.post(reverse("staff:staff_role", args=[admin.id]), {"role": "provider"})
    assert response.status_code == 422
    assert "You cannot change your own role" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == "admin"


def test_deactivation_asks_for_confirmation_then_signs_them_out(admin, provider):
    admin_client = signed_in_client(admin)
    provider_client = signed_in_client(provider)
    url = reverse("staff:staff_deactivate", args=[provider.id])

    confirm = admin_client.get(url)
    assert b"Their API tokens stop working." in confirm.content
    provider.refresh_from_db()
    assert provider.is_active

    response = admin_client.post(url)
    assert response["Location"] == reverse("staff:staff_detail", args=[provider.id])
    provider.refresh_from_db()
    assert not provider.is_active
    assert provider_client.get(reverse("staff:patient_search")).status_code == 302

    admin_client.post(reverse("staff:staff_reactivate", args=[provider.id]))
    provider.refresh_from_db()
    assert provider.is_active


def test_resetting_an_authenticator_app_asks_for_confirmation(admin, provider):
    enroll(provider)
    client = signed_in_client(admin)
    url = reverse("staff:staff_mfa_reset", args=[provider.id])
    assert b"Reset authenticator app</button>" in client.get(url).content
    assert TotpDevice.objects.filter(user=provider).exists()
    client.post(url)
    assert not TotpDevice.objects.filter(user=provider).exists()


def test_a_new_invitation_can_be_sent_from_the_detail_page(admin):
    client = signed_in_client(admin)
    client.post(reverse("staff:staff_create"), NEW_MEMBER)
    user = User.objects.get(username="nurse_nia")
    client.post(reverse("staff:staff_invitation_send", args=[user.id]))
    assert OutboxMessage.objects.filter(kind="staff_invitation").count() == 2


def test_a_patient_account_has_no_staff_page(admin, patient_ann):
    url = reverse("staff:staff_detail", args=[patient_ann.user.id])
    assert signed_in_client(admin).get(url).status_code == 404


@pytest.mark.parametrize("role", ["provider", "coach", "front_desk", "billing"])
def test_other_staff_are_refused(request, role, front_desk):
    client = signed_in_client(request.getfixturevalue(role))
    assert client.get(reverse("staff:staff_list")).status_code == 403
    response = client.post(reverse("staff:staff_create"), NEW_MEMBER)
    assert response.status_code == 403
    response = client.post(reverse("staff:staff_deactivate", args=[front_desk.id]))
    assert response.status_code == 403
    assert not User.objects.filter(username="nurse_nia").exists()
    front_desk.refresh_from_db()
    assert front_desk.is_active


def test_patients_are_told_there_is_nothing_here(patient_ann):
    client = signed_in_client(patient_ann.user)
    assert client.get(reverse("staff:staff_list")).status_code == 404
    assert client.post(reverse("staff:staff_create"), NEW_MEMBER).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(db):
    response = Client().get(reverse("staff:staff_list"))
    assert response["Location"].startswith(reverse("accounts:login"))
