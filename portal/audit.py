"""Writing the audit trail. Services call `audit_log` for every change; the access layer for every
read of a sensitive record. Never pass sensitive values in `changes`: field names are enough."""

from typing import Any

from django.db import models

from portal.kernel import request_context
from portal.models import AuditEvent, User


def audit_log(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        ip=request_context.client_ip(),
        request_id=request_context.request_id(),
        changes=changes or {},
    )
