"""On PostgreSQL the audit table refuses UPDATE and DELETE at the database itself."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION tend_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tracker_auditevent_append_only
    BEFORE UPDATE OR DELETE ON tracker_auditevent
    FOR EACH ROW EXECUTE FUNCTION tend_audit_append_only();
CREATE TRIGGER tracker_auditevent_no_truncate
    BEFORE TRUNCATE ON tracker_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION tend_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS tracker_auditevent_append_only ON tracker_auditevent;
DROP TRIGGER IF EXISTS tracker_auditevent_no_truncate ON tracker_auditevent;
DROP FUNCTION IF EXISTS tend_audit_append_only();
"""

SQLITE_CREATE = [
    "CREATE TRIGGER IF NOT EXISTS tracker_auditevent_no_update BEFORE UPDATE ON tracker_auditevent"
    " BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
    "CREATE TRIGGER IF NOT EXISTS tracker_auditevent_no_delete BEFORE DELETE ON tracker_auditevent"
    " BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS tracker_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS tracker_auditevent_no_delete;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(CREATE)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
