"""Every Celery task of the project has an explicit name, "<app>.<area>.<action>", never its module path.

Beat (CELERY_BEAT_SCHEDULE), `send_task` and messages already queued know a task by its name; a name derived
from the module would change whenever a task moves to another module (portal/celery.py).
"""

import re

from portal.celery import app

APPS = ("portal", "counseling", "aid", "homevisits")
NAME = re.compile(r"^(?P<app>[a-z]+)\.(?P<area>[a-z_]+)\.(?P<action>[a-z_]+)$")


def project_tasks() -> dict[str, object]:
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if task.run.__module__.split(".")[0] in APPS}


def test_every_task_is_named_app_area_action():
    tasks = project_tasks()
    assert len(tasks) >= 20
    wrong = {}
    for name, task in tasks.items():
        module, function = task.run.__module__, task.run.__name__
        match = NAME.match(name)
        if (
            match is None
            or match["app"] != module.split(".")[0]
            or match["area"] == "tasks"
            or name == f"{module}.{function}"
        ):
            wrong[name] = f"{module}.{function}"
    assert wrong == {}, "name each task @shared_task(name='<app>.<area>.<action>')"
