"""Reading and writing many rows at once, as a billing run's batch does.

`ids_among` filters on a list of ids so that the database plans it with the index even
before it has statistics for the table (a table that fills up during a run).

`rows_insert` writes new rows as `QuerySet.bulk_create` does, in fewer Python steps: Django
prepares every value of every row through the field's whole save path and compiles a
parameter marker per value, which cost a billing batch more than the database took to insert.
Here each field's way to a database value is chosen once per insert, and integers, strings
and booleans, which the driver takes as they are, are passed as they are; on PostgreSQL the
values go as one array per column, so the statement's text stays short whatever the number
of rows (the driver parses a long one marker by marker, each time), bound on the server as
binary arrays. `values_insert` does the same for rows given as values, without the model
instances.

`QuerySet.bulk_update` builds a Case/When expression per row and field and resolves each in
Python; for a billing batch of a hundred invoices that compiling cost more than the rest of
the batch's writes. `rows_update` writes the same UPDATE as plain SQL: on PostgreSQL joined to
one array per column, elsewhere setting a field with one value across the rows once and a
field whose values differ by a CASE on the primary key.
"""

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    Field,
    ForeignKey,
    IntegerField,
    Model,
    Q,
    TextField,
)
from psycopg.types.array import ListBinaryDumper

RowModel = TypeVar("RowModel", bound=Model)

# Rows per statement: well under SQLite's oldest bound on parameters (999) for a few fields.
CHUNK = 200


def ids_among(field: str, ids: Sequence[int]) -> Q:
    """`field__in=ids`, bounded by the smallest and largest id as well.

    Without statistics for a table (never analyzed, as on a server whose autovacuum has not
    caught up with a run that fills it), PostgreSQL guesses that a hundred ids match half of
    its rows and scans all of it, each batch. A range it must also hold to is guessed narrow,
    so the index is used; with statistics it is narrow indeed, a batch's ids being close.
    """
    return Q(**{f"{field}__in": ids, f"{field}__gte": min(ids), f"{field}__lte": max(ids)})


def rows_insert(rows: Sequence[RowModel]) -> list[RowModel]:
    """Insert `rows` (new instances of one model) and set their primary keys, as
    `bulk_create(rows)` does on a database that returns them; returns the rows."""
    if not rows:
        return []
    meta = rows[0]._meta
    primary = meta.pk
    assert primary is not None
    fields = [
        field
        for field in meta.concrete_fields
        if not (field is primary and getattr(rows[0], primary.attname) is None)
    ]
    if not _insertable(fields):
        return type(rows[0])._default_manager.bulk_create(rows)
    keys = _insert(meta, fields, [[_value(row, field) for field in fields] for row in rows])
    for row, key in zip(rows, keys, strict=True):
        setattr(row, primary.attname, key)
        row._state.adding = False
        row._state.db = connection.alias
    return list(rows)


def values_insert(
    model: type[Model], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[Any]:
    """Insert rows given as values, one per field named (a foreign key by its attribute,
    `invoice_id`), the model's defaults for its other fields, as `bulk_create` of the
    instances they make would; returns the new primary keys, in order. No model instance is
    made: for a billing batch's journal, two entries and four lines a membership, making
    them cost more Python time than writing the rows."""
    if not rows:
        return []
    meta = model._meta
    primary = meta.pk
    assert primary is not None
    given = [meta.get_field(name) for name in names]
    others = [
        field for field in meta.concrete_fields if field is not primary and field not in given
    ]
    fields: list[Field[Any, Any]] = [field for field in given + others if isinstance(field, Field)]
    if len(fields) != len(given) + len(others) or not _insertable(fields):
        made = [model(**dict(zip(names, row, strict=True))) for row in rows]
        return [row.pk for row in model._default_manager.bulk_create(made)]
    # A default that is a function (dict, now) is called for each row, as for each instance.
    called = [field.has_default() and callable(field.default) for field in others]
    fixed = [
        None if call else field.get_default() for field, call in zip(others, called, strict=True)
    ]
    return _insert(
        meta,
        fields,
        [
            [
                *row,
                *(
                    field.get_default() if call else value
                    for field, call, value in zip(others, called, fixed, strict=True)
                ),
            ]
            for row in rows
        ],
    )


def _insertable(fields: Sequence[Field[Any, Any]]) -> bool:
    """Whether `_insert` writes these fields as Django would: none sets its own value on
    save, each has a column type, and the database returns the new keys."""
    stamped = any(
        getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        for field in fields
    )
    typed = all(_db_type(field) is not None for field in fields)
    return not stamped and typed and connection.features.can_return_rows_from_bulk_insert


def _insert(meta: Any, fields: Sequence[Field[Any, Any]], rows: list[list[Any]]) -> list[Any]:
    """One INSERT per chunk of `rows` (values in the order of `fields`); the new keys."""
    primary = meta.pk
    prepare = [_to_database(field) for field in fields]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    insert = f"INSERT INTO {quote(meta.db_table)} ({names})"
    returning = f"RETURNING {quote(primary.column)}"
    columns = len(fields)
    # On PostgreSQL a column of values per parameter, as Django's bulk_create does there: a
    # statement of the same few parameters whatever the number of rows.
    unnest = ", ".join(_array_of(_db_type(field)) for field in fields)
    one = "(" + ", ".join(["%s"] * columns) + ")"
    size = connection.ops.bulk_batch_size(list(fields), rows) or len(rows)
    keys: list[Any] = []
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        values = [
            to_database(value)
            for row in chunk
            for value, to_database in zip(row, prepare, strict=True)
        ]
        if connection.vendor == "postgresql":
            sql = f"{insert} SELECT * FROM UNNEST({unnest}) {returning}"  # noqa: S608 (names from the model, values bound)
            parameters: list[Any] = [values[column::columns] for column in range(columns)]
        else:
            sql = f"{insert} VALUES {', '.join([one] * len(chunk))} {returning}"
            parameters = values
        with _cursor() as cursor:
            cursor.execute(sql, parameters)
            keys += [key for (key,) in cursor.fetchall()]
    return keys


def _cursor() -> CursorWrapper:
    """Django's cursor, but on PostgreSQL one that sends the parameters apart from the
    statement, lists as binary arrays. Django's own cursor writes every parameter into the
    statement's text, and quotes an array element by element (a regular expression each):
    for a batch's columns of values that cost four times the Python time of sending them
    bound. Django's wrapper stays around it, for its error classes, query log and
    execute wrappers."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    # Prepared statements stay as the connection has them (Django: none, for poolers).
    bound: Any = psycopg.Cursor(connection.connection)  # Django's stubs want its wrapper
    bound.adapters.register_dumper(list, ListBinaryDumper)
    if connection.queries_logged:
        return connection.make_debug_cursor(bound)
    return connection.make_cursor(bound)


_DB_TYPES: dict[tuple[str, Field[Any, Any]], str | None] = {}


def _db_type(field: Field[Any, Any]) -> str | None:
    """The field's column type, worked out once per database vendor: Django formats it from
    the field's attributes on each call, which cost a one-row insert (an audit event) more
    than its statement took."""
    key = (connection.vendor, field)
    if key not in _DB_TYPES:
        _DB_TYPES[key] = field.db_type(connection)
    return _DB_TYPES[key]


def _array_of(db_type: str | None) -> str:
    """A parameter taken as an array of the column's type, its size left out (varchar[],
    not varchar(20)[]), as Django's bulk_create writes it on PostgreSQL."""
    return f"(%s)::{str(db_type).split('(')[0]}[]"


_AS_THEY_ARE = (IntegerField, CharField, TextField, BooleanField)


def _to_database(field: Field[Any, Any]) -> Callable[[Any], Any]:
    """A field's way from a Python value to what the driver is given."""
    target = field.target_field if isinstance(field, ForeignKey) else field
    if isinstance(target, _AS_THEY_ARE):
        return _as_it_is

    def prepared(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    if connection.vendor != "postgresql":
        return prepared
    # psycopg takes dates and aware date-times as they are, as Django gives them to it there;
    # anything else (a naive date-time, a string) takes the field's way, warnings and all.
    if isinstance(target, DateTimeField):
        return lambda value: (
            value if type(value) is datetime and value.tzinfo is not None else prepared(value)
        )
    if isinstance(target, DateField):
        return lambda value: value if type(value) is date else prepared(value)
    return prepared


def _as_it_is(value: Any) -> Any:
    return value


def _value(row: Model, field: Field[Any, Any]) -> Any:
    value = getattr(row, field.attname)
    if value is None and isinstance(field, ForeignKey) and field.is_cached(row):
        # A related row saved after it was assigned: its key, as `save` would take it.
        related = field.get_cached_value(row)
        value = None if related is None else related.pk
    return value


def rows_update(rows: Sequence[Model], fields: Sequence[str]) -> None:
    """Save `fields` of `rows` (all of one model), as `bulk_update(rows, fields)` would."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        _update_from_arrays(rows, fields)
        return
    meta = rows[0]._meta
    quote = connection.ops.quote_name
    assert meta.pk is not None
    primary_key = quote(meta.pk.column)
    key_to_database = _to_database(meta.pk)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        keys = [key_to_database(row.pk) for row in chunk]
        assignments: list[str] = []
        parameters: list[Any] = []
        for name in fields:
            field = meta.get_field(name)
            assert isinstance(field, Field)
            assert field.column is not None
            values = [
                field.get_db_prep_save(getattr(row, field.attname), connection) for row in chunk
            ]
            column = quote(field.column)
            if all(value == values[0] for value in values):
                assignments.append(f"{column} = %s")
                parameters.append(values[0])
                continue
            cases = " ".join(["WHEN %s THEN %s"] * len(chunk))
            assignments.append(f"{column} = CASE {primary_key} {cases} END")
            for key, value in zip(keys, values, strict=True):
                parameters += [key, value]
        markers = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} "  # noqa: S608 (names from the model, values bound)
                f"WHERE {primary_key} IN ({markers})",
                [*parameters, *keys],
            )


def _update_from_arrays(rows: Sequence[Model], fields: Sequence[str]) -> None:
    """`rows_update` on PostgreSQL: the keys and each field's new values go as one array per
    column, joined to the table by key: a statement of the same few parameters whatever
    the number of rows."""
    meta = rows[0]._meta
    quote = connection.ops.quote_name
    primary = meta.pk
    assert primary is not None
    changed = [meta.get_field(name) for name in fields]
    columns: list[Field[Any, Any]] = [primary]
    for field in changed:
        assert isinstance(field, Field)
        columns.append(field)
    names = ["key"] + [f"value_{number}" for number in range(len(changed))]
    arrays = ", ".join(_array_of(_db_type(field)) for field in columns)
    table = quote(meta.db_table)
    assignments = ", ".join(
        f"{quote(str(field.column))} = given.{name}"
        for field, name in zip(columns[1:], names[1:], strict=True)
    )
    parameters = [
        [to_database(getattr(row, field.attname)) for row in rows]
        for field, to_database in zip(
            columns, [_to_database(field) for field in columns], strict=True
        )
    ]
    with _cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM UNNEST({arrays}) "  # noqa: S608 (names from the model, values bound)
            f"AS given({', '.join(names)}) WHERE {table}.{quote(str(primary.column))} = given.key",
            parameters,
        )
