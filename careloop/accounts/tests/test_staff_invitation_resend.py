import pytest
from django.test import Client

from careloop.accounts.services import staff_create, staff_deactivate, staff_invitation_send
from careloop.accounts.tests.invitations import example_link, link_path
from careloop.core.errors import Conflict
from careloop.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited(admin):
    return staff_create(
        actor=admin,
        username="desk_dee",
        first_name="Dee",
        last_name="Diaz",
        email="dee@example.invalid",
        role="front_desk",
        credentials="",
        set_password_link=example_link,
    )


def test_a_new_invitation_is_queued_for_someone_without_a_password(admin, invited):
    staff_invitation_send(actor=admin, user_id=invited.id, set_password_link=example_link)
    messages = OutboxMessage.objects.filter(
        kind="staff_invitation", recipient="dee@example.invalid"
    )
    assert messages.count() == 2


def test_no_invitation_for_someone_who_chose_a_password(admin, provider):
    with pytest.raises(Conflict) as raised:
        staff_invitation_send(actor=admin, user_id=provider.id, set_password_link=example_link)
    assert raised.value.code == "password_set"
    assert not OutboxMessage.objects.exists()


def test_no_invitation_for_a_deactivated_account(admin, invited):
    staff_deactivate(actor=admin, user_id=invited.id)
    with pytest.raises(Conflict):
        staff_invitation_send(actor=admin, user_id=invited.id, set_password_link=example_link)
    assert OutboxMessage.objects.filter(kind="staff_invitation").count() == 1


def test_an_invited_member_whose_link_expired_can_ask_for_a_reset_link(invited):
    """An invitation proves control of the mailbox, as a reset does; so "Forgot your
    password?" works before the first password too."""
    Client().post("/accounts/password-reset/", {"email": "dee@example.invalid"})
    reset = OutboxMessage.objects.get(kind="password_reset")
    assert reset.recipient == "dee@example.invalid"
    assert link_path(reset.body).startswith("/accounts/password-reset/")
