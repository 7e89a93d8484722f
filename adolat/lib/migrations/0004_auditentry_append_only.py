"""Every entry is chained now: `seq` becomes required and unique, and the database itself refuses
changes to the log.

PostgreSQL refuses UPDATE and DELETE. SQLite refuses UPDATE only: Django empties SQLite tables
with DELETE between transactional tests (PostgreSQL uses TRUNCATE, which row triggers do not
see); a deleted SQLite row is still caught by `adolat verify-audit` (a broken link, or a missing
last entry).
"""

from django.db import migrations, models

MESSAGE = "the audit log is append-only"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION lib_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER lib_auditentry_append_only
    BEFORE UPDATE OR DELETE ON lib_auditentry
    FOR EACH ROW EXECUTE FUNCTION lib_auditentry_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS lib_auditentry_append_only ON lib_auditentry;
DROP FUNCTION IF EXISTS lib_auditentry_append_only();
"""
SQLITE_UP = f"""
CREATE TRIGGER lib_auditentry_no_update BEFORE UPDATE ON lib_auditentry
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS lib_auditentry_no_update;"


def _run(sql_by_vendor):
    def run(apps, schema_editor):
        sql = sql_by_vendor.get(schema_editor.connection.vendor)
        if sql:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("lib", "0003_auditentry_chain_existing")]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(editable=False, unique=True, verbose_name="sequence number"),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
