from django.test import Client

from careloop.accounts.models import User
from careloop.accounts.sessions import mark_signed_in


def signed_in_client(user: User) -> Client:
    """A test client signed in as `user`, past the second factor for staff."""
    client = Client()
    client.force_login(user)
    session = client.session
    mark_signed_in(session, second_factor_verified=True)
    session.save()
    return client
