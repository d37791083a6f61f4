"""The database itself refuses to change or delete what the ledger has written (the head row and the
witness register excepted). The switch past the triggers is the audit trail's maintenance mode."""

from django.db import migrations

TABLES = ["ledger_node", "ledger_checkpoint", "ledger_deposit", "ledger_auditanchor", "ledger_cosignature"]


def _sqlite(table):
    return [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} WHEN onegrid_audit_locked()
            BEGIN SELECT RAISE(ABORT, 'the evidence ledger is append-only'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN onegrid_audit_locked()
            BEGIN SELECT RAISE(ABORT, 'the evidence ledger is append-only'); END""",
    ]


def _postgres(table):
    return [
        f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()""",
    ]


POSTGRES_FUNCTION = """CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF current_setting('onegrid.audit_maintenance', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'the evidence ledger is append-only' USING ERRCODE = 'integrity_constraint_violation';
    END $$"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = [s for t in TABLES for s in _sqlite(t)]
    elif vendor == "postgresql":
        statements = [POSTGRES_FUNCTION, *(s for t in TABLES for s in _postgres(t))]
    else:
        statements = []
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER {table}_no_update")
            schema_editor.execute(f"DROP TRIGGER {table}_no_delete")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER {table}_no_change ON {table}")
            schema_editor.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION ledger_append_only()")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial"), ("audit", "0002_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
