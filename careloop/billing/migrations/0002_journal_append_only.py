"""On PostgreSQL, refuse UPDATE and DELETE on the journal, as the audit log does.

Balances are derived from the journal; a correction is a new entry, never an edit. TRUNCATE is
let through only when careloop.allow_audit_truncate is on (the test settings, which empty
tables between transactional tests). SQLite has no equivalent; there this does nothing.
"""

from django.db import migrations

TABLES = ["billing_journalentry", "billing_journalline"]

FUNCTION = """
CREATE OR REPLACE FUNCTION billing_journal_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND coalesce(current_setting('careloop.allow_audit_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'The billing journal is append-only: % on % is refused.', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Post a correcting entry instead.';
END;
$$;
"""

FORWARD = FUNCTION + "".join(
    f"""
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION billing_journal_refuse_change();
CREATE TRIGGER {table}_no_truncate
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION billing_journal_refuse_change();
"""
    for table in TABLES
)

BACKWARD = "".join(
    f"""
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
"""
    for table in TABLES
) + "DROP FUNCTION IF EXISTS billing_journal_refuse_change();"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD), elidable=False),
    ]
