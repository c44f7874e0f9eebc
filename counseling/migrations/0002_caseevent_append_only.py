"""The case timeline is append-only in the database too (PostgreSQL): row UPDATE and DELETE are refused."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION counseling_caseevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'counseling_caseevent is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER counseling_caseevent_no_update_delete
    BEFORE UPDATE OR DELETE ON counseling_caseevent
    FOR EACH ROW EXECUTE FUNCTION counseling_caseevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS counseling_caseevent_no_update_delete ON counseling_caseevent;
DROP FUNCTION IF EXISTS counseling_caseevent_append_only();
"""


def forwards(apps, schema_editor):  # noqa: ANN001, ANN201
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):  # noqa: ANN001, ANN201
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("counseling", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
