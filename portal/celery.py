"""The Celery app. Tasks are found in each app's `tasks` module or package (autodiscover_tasks).

Task names: every task is given an explicit name, `@shared_task(name="<app>.<area>.<action>")`, e.g.
"aid.workstudy.remind_hours_due": the app, the area (the module the task and its service live in), what it
does. Names never follow the module path, so a task moved to another module keeps its name, and beat's
entries (CELERY_BEAT_SCHEDULE in portal/settings.py), `send_task` callers and messages already queued keep
working. portal/tests/test_task_names.py checks the convention; test_celery_worker.py that every beat entry
names a registered task.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
