"""Sent messages are never edited or deleted; the database refuses it too.

On PostgreSQL triggers refuse UPDATE and DELETE on messages (and TRUNCATE unless
careloop.allow_audit_truncate is on, which the test settings set to empty tables between
transactional tests), as the audit log and the billing journal do. On SQLite a trigger
refuses UPDATE; DELETE stays possible there because the test runner empties tables with it.
"""

from django.db import migrations

POSTGRESQL_FORWARD = """
CREATE OR REPLACE FUNCTION messaging_message_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND coalesce(current_setting('careloop.allow_audit_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'Sent messages are never changed: % on % is refused.', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Send a correcting message instead.';
END;
$$;
CREATE TRIGGER messaging_message_append_only
    BEFORE UPDATE OR DELETE ON messaging_message
    FOR EACH ROW EXECUTE FUNCTION messaging_message_refuse_change();
CREATE TRIGGER messaging_message_no_truncate
    BEFORE TRUNCATE ON messaging_message
    FOR EACH STATEMENT EXECUTE FUNCTION messaging_message_refuse_change();
"""

POSTGRESQL_BACKWARD = """
DROP TRIGGER IF EXISTS messaging_message_no_truncate ON messaging_message;
DROP TRIGGER IF EXISTS messaging_message_append_only ON messaging_message;
DROP FUNCTION IF EXISTS messaging_message_refuse_change();
"""

SQLITE_FORWARD = """
CREATE TRIGGER messaging_message_no_update BEFORE UPDATE ON messaging_message
BEGIN
    SELECT RAISE(ABORT, 'Sent messages are never changed: UPDATE on messaging_message is refused.');
END;
"""

SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS messaging_message_no_update;"


def _forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FORWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD, params=None)


def _backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BACKWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [migrations.RunPython(_forward, _backward, elidable=False)]
