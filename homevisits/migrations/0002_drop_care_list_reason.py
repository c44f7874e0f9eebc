"""Planned students stored the priority code "care_list" (whether counselling had the student on its care
list). That code no longer exists (issue 13, finding 2): counselling now says only "recommended for a visit".
Drop the stored code so it cannot reach a page, an export or the admin."""

from django.db import migrations

OLD_CODE = "care_list"


def drop_care_list(apps, schema_editor):
    TripStudent = apps.get_model("homevisits", "TripStudent")
    # Filtered in Python: a JSON "contains" lookup exists on PostgreSQL only, and `make run` uses SQLite.
    for planned in TripStudent.objects.only("pk", "reasons").iterator():
        if OLD_CODE in (planned.reasons or []):
            planned.reasons = [code for code in planned.reasons if code != OLD_CODE]
            planned.save(update_fields=["reasons"])


class Migration(migrations.Migration):
    dependencies = [("homevisits", "0001_initial")]

    operations = [migrations.RunPython(drop_care_list, migrations.RunPython.noop)]
