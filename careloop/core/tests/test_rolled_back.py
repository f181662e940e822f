"""`rolled_back` (careloop/testing/transactions.py): a block of test work leaves nothing behind,
whether it ends or raises, and the transaction around it stays usable."""

import pytest
from django.db import connection

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.testing.factories import make_user
from careloop.testing.transactions import rolled_back

pytestmark = pytest.mark.django_db


def test_rows_written_in_the_block_are_gone_after_it() -> None:
    make_user(role=Role.FRONT_DESK, username="kept")
    with rolled_back():
        make_user(role=Role.FRONT_DESK, username="undone")
        assert User.objects.filter(username="undone").exists()

    assert set(
        User.objects.filter(username__in=["kept", "undone"]).values_list("username", flat=True)
    ) == {"kept"}


def test_a_block_that_raises_is_rolled_back_and_the_error_reaches_the_caller() -> None:
    def undone_then_stop() -> None:
        with rolled_back():
            make_user(role=Role.FRONT_DESK, username="undone")
            raise ValueError("stop")

    with pytest.raises(ValueError, match="stop"):
        undone_then_stop()

    assert not User.objects.filter(username="undone").exists()
    assert connection.in_atomic_block
    make_user(role=Role.FRONT_DESK, username="after")
    assert User.objects.filter(username="after").exists()
