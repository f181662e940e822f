"""The one place scheduling takes locks: a provider's calendar, for the rest of a transaction.

On PostgreSQL a row lock on the provider's user row makes bookings for one provider queue, so
the overlap check that follows (buffers included) sees every earlier booking; the exclusion
constraint (migration 0002) backs it up. SQLite has no row locks: a write takes the whole
database, and Careloop's connections begin transactions IMMEDIATE (settings.SQLITE_OPTIONS).
The no-op UPDATE (of a column no key depends on) takes that write lock even on a connection
that begins deferred, so the check and the insert are never interleaved with another writer's.
"""

from django.db import connection

from careloop.accounts.models import User


def lock_provider_calendar(provider_id: int) -> None:
    if connection.vendor == "sqlite":
        table = connection.ops.quote_name(User._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_login = last_login WHERE id = %s",  # noqa: S608
                [provider_id],
            )
        return
    list(User.objects.select_for_update().filter(pk=provider_id).values_list("pk", flat=True))
