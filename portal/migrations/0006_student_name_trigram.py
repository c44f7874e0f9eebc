"""Student search by name (`name__icontains`, i.e. UPPER(name) LIKE UPPER('%…%')) on 30,000 students: a trigram
GIN index on UPPER(name). PostgreSQL only (pg_trgm is a trusted extension since PostgreSQL 13, so the database
owner may create it); SQLite, the embedded database of `make run`, gets nothing."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS student_name_trgm ON portal_student USING gin (UPPER(name) gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS student_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_list_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
