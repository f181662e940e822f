"""Database functions Careloop needs beyond Django's own."""

from typing import Any

from django.db.models import BigIntegerField, Func


class EpochMicroseconds(Func):
    """A DateTimeField as whole microseconds since 1970-01-01 UTC, computed by the database.

    For reads of thousands of instants (a month of a busy clinic's visits for availability):
    an integer comes back from the driver as it is, where a datetime costs a conversion per
    value in Python (on PostgreSQL Django parses each timestamptz in pure Python). Exact to the
    microsecond on both databases.
    """

    output_field = BigIntegerField()
    arity = 1

    @property
    def convert_value(self) -> Any:
        # Both drivers hand back an int already: no per-value converter (Django's default for
        # integer expressions calls int() on every value).
        return self._convert_value_noop  # type: ignore[attr-defined]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # EXTRACT(EPOCH ...) is an exact numeric on PostgreSQL 14 and later.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM %(expressions)s) * 1000000 AS bigint)",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC: the whole seconds from strftime
        # (given the fraction, it rounds), then the six digits after the point (absent for
        # whole seconds: CAST('' AS INTEGER) is 0).
        # '%%%%s' is '%%s' after this template and '%s' after Django's SQLite cursor.
        return self.as_sql(
            compiler,
            connection,
            template=(
                "(CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER) * 1000000"
                " + CAST(substr(%(expressions)s, 21) AS INTEGER))"
            ),
            **extra,
        )
