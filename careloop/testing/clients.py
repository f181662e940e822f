from django.test import Client

from careloop.accounts.models import User
from careloop.accounts.sessions import mark_signed_in


def signed_in_client(user: User) -> Client:
    """A test client signed in as `user`, past the second factor for staff.

    Staff sessions end after 15 idle minutes measured with the clock: a test that moves the
    clock further than that after signing in must sign in again afterwards.
    """
    client = Client()
    client.force_login(user)
    session = client.session
    mark_signed_in(session, second_factor_verified=True)
    session.save()
    return client
