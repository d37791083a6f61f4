"""The database itself refuses to change or delete audit records."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_auditrecord WHEN onegrid_audit_locked()
       BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END""",
    """CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_auditrecord WHEN onegrid_audit_locked()
       BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER audit_record_no_update", "DROP TRIGGER audit_record_no_delete"]

POSTGRES = [
    """CREATE FUNCTION audit_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF current_setting('onegrid.audit_maintenance', true) = 'on' THEN
           IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'audit records are append-only' USING ERRCODE = 'integrity_constraint_violation';
       END $$""",
    """CREATE TRIGGER audit_record_no_change BEFORE UPDATE OR DELETE ON audit_auditrecord
       FOR EACH ROW EXECUTE FUNCTION audit_record_append_only()""",
    """CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_auditrecord
       FOR EACH STATEMENT EXECUTE FUNCTION audit_record_append_only()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER audit_record_no_truncate ON audit_auditrecord",
    "DROP TRIGGER audit_record_no_change ON audit_auditrecord",
    "DROP FUNCTION audit_record_append_only()",
]


def forwards(apps, schema_editor):
    statements = {"sqlite": SQLITE, "postgresql": POSTGRES}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
