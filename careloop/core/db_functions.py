"""Database functions Careloop needs beyond Django's own."""

from typing import Any

from django.db.models import BigIntegerField, Func


def epoch_microseconds_postgresql(sql: str) -> str:
    """PostgreSQL's SQL for the timestamptz `sql` (a column or an expression of columns, which
    it repeats) as whole microseconds since 1970-01-01 UTC, exact.

    EXTRACT(EPOCH ...) is an exact numeric on PostgreSQL 14 and later, but numeric arithmetic
    costs about three times the floating-point path per value, and a month's availability
    search reads thousands of them. From 1970 to 2060 the instant is taken as seconds from
    2000-01-01 in double precision (under 2^31 seconds: the two roundings inside date_part and
    the one of the product stay below 0.37 microseconds together, so round() lands on the exact
    count); outside those years, the numeric.
    """
    return (
        f"(CASE WHEN {sql} >= '1970-01-01 00:00:00+00' AND {sql} < '2060-01-01 00:00:00+00'"
        f" THEN CAST(round(date_part('epoch', {sql} - TIMESTAMPTZ '2000-01-01 00:00:00+00')"
        f" * 1000000) AS bigint) + 946684800000000"
        f" ELSE CAST(EXTRACT(EPOCH FROM {sql}) * 1000000 AS bigint) END)"
    )


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
        sql, params = compiler.compile(self.get_source_expressions()[0])
        if params:  # the SQL repeats its argument: a column, never a parameter
            raise ValueError("EpochMicroseconds takes a column on PostgreSQL")
        return epoch_microseconds_postgresql(sql), []

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
