"""On PostgreSQL, the database refuses two time-holding appointments of one provider that overlap.

An exclusion constraint over (provider, [start, end)) for every status but cancelled; it needs
btree_gist for the equality on the provider. SQLite has no such constraint: there the booking
service checks for overlap inside a transaction that holds the database's write lock
(careloop/scheduling/services/booking.py). The constraint lives here rather than in the model's
Meta so that the SQLite schema, which cannot express it, stays the same as the model state.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINT = "appointment_provider_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (provider_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
        "WHERE (status <> 'cancelled')"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraint, drop_constraint),
    ]
