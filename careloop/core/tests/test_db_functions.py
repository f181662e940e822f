import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.core.db_functions import EpochMicroseconds
from careloop.testing.factories import make_user

pytestmark = pytest.mark.django_db

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def test_epoch_microseconds_are_exact_on_this_database():
    rng = random.Random(2026)
    moments = [
        datetime(2026, 3, 8, 6, 59, 59, 999999, tzinfo=UTC),  # microseconds kept
        datetime(2026, 11, 1, 1, 30, 0, 1, tzinfo=timezone(timedelta(hours=-5))),  # any offset
        datetime(2028, 2, 29, 0, 0, tzinfo=UTC),  # whole seconds, leap day
        datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),  # before the epoch
        # Either side of the years PostgreSQL reads in floating point (1970 to 2060).
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2059, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2060, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    ]
    # Any microsecond in those years, seeded (2059 has the largest roundings), and after them.
    for first, last in ((1970, 2060), (2055, 2060), (2060, 2200)):
        low = datetime(first, 1, 1, tzinfo=UTC)
        count = (datetime(last, 1, 1, tzinfo=UTC) - low) // timedelta(microseconds=1)
        moments += [low + timedelta(microseconds=rng.randrange(count)) for _ in range(150)]
    for moment in moments:
        make_user(role=Role.PROVIDER, last_login=moment)

    read = list(
        User.objects.filter(last_login__isnull=False)
        .order_by("pk")
        .values_list(EpochMicroseconds("last_login"), flat=True)
    )

    assert read == [(moment - EPOCH) // timedelta(microseconds=1) for moment in moments]
