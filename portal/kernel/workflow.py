"""Status workflows, declared once beside their model.

A model with a status field declares its flow as a class attribute:

    class Trip(models.Model):
        class Status(models.TextChoices): ...
        flow = Flow(
            moves={Status.PLANNING: {Status.APPROVED}, Status.APPROVED: {Status.PLANNING, Status.TRAVELLING}, ...},
            permissions={Status.APPROVED: "approve", Status.TRAVELLING: "depart", ...},
            refused=_("A trip that is %(status)s cannot be moved to %(to)s."),
            audit="homevisits.trip_transition",
        )

and everything else is written once, here:

- `available_moves(obj, user)`: the moves from the current status this user may make, in the order of the
  Status choices, each a `Move(to, label)` with the choice's label. Views render what it offers.
- `move(obj, to, actor=...)`: in a transaction, locks the row (SELECT … FOR UPDATE), checks that the current
  status allows `to` (else DomainError with the flow's `refused` message) and that the actor may make the move
  (else DomainError with `forbidden`), sets the fields, saves with update_fields, writes the timeline row and
  the audit event, and returns the locked, updated object. Services keep one function per transition; each
  does its own domain checks and side effects (notices, ledger entries…) around one call of `move`.
- `locked(obj)` / `lock(Model, pk)` / `locked_rows(queryset)`: "lock this row" (the flow's lock order and
  select_related when the model has a flow). An object they return is *held*: `move` uses it as it is (the
  fields a service changed on it included) instead of reading the row again, for as long as the (sub)transaction
  that locked it lasts. Anything else (an object from a form, from an earlier transaction) is read again.

Permissions. `permissions` maps a target status, or a (from, to) pair, which wins, to a rule: the name of a
portal.access permission (checked with `portal.access.can(user, name, obj)`) or a callable (user, obj) -> bool.
A rule for every move of a flow can be registered from the app's access module with `@Model.flow.rule`
(user, obj, to) -> bool, where the model module cannot import the access module. A move without any rule is
open to whoever the caller lets through, unless the flow says `needs_rule=True`. `move` checks the rule only
when it has an actor (a user); system moves (actor None: beat tasks, automatic consequences) are not checked.

Timelines. `timeline="app_label.Model"` names the model that records each move: a subclass of `StatusEvent`
below (one row: actor, from, to, note) or any model with a classmethod `record_move(transition)`.
`audit="app.{to}"` is the audit action (formatted with `to` and `from`); its changes are {"from", "to"} (and
"fields", the names of the fields changed with the status, when `audit_fields=True`); `move` may override both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal import access
from portal.audit import audit_log
from portal.crypto import EncryptedTextField
from portal.models import User
from portal.services import DomainError

__all__ = [
    "Flow",
    "Move",
    "StatusEvent",
    "Transition",
    "available_moves",
    "flow_of",
    "is_locked",
    "lock",
    "locked",
    "locked_rows",
    "move",
]

Rule = str | Callable[[User, models.Model], bool]
FlowRule = Callable[[User, models.Model, str], bool]

_HELD = "_workflow_held"


class Move(NamedTuple):
    """One move a user may make: the target status and its label. Unpacks as (to, label), like a choice."""

    to: str
    label: str | Promise


@dataclass(frozen=True)
class Transition:
    """What a timeline row and the audit event are written from."""

    obj: models.Model
    from_status: str
    to_status: str
    actor: User | None
    note: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    fields: tuple[str, ...] = ()


class Flow:
    """The statuses a model moves through, who may move it where, and what each move records."""

    def __init__(
        self,
        *,
        moves: Mapping[str, Iterable[str]],
        refused: str | Promise,
        field: str = "status",
        permissions: Mapping[str | tuple[str, str], Rule] | None = None,
        needs_rule: bool = False,
        forbidden: str | Promise | None = None,
        timeline: str | type[models.Model] | None = None,
        audit: str | None = None,
        audit_fields: bool = False,
        lock_related: Iterable[str] = (),
        lock_of: Iterable[str] = (),
        lock_first: Iterable[str] = (),
    ) -> None:
        """
        moves: from status → the statuses it may move to.
        refused: the DomainError message when the current status does not allow the move; may use
            %(status)s (the current status's label) and %(to)s (the target's label).
        permissions, needs_rule: see the module's docstring.
        forbidden: the DomainError message when the actor's role may not make the move.
        timeline, audit, audit_fields: what each move records (see the module's docstring).
        lock_related / lock_of: select_related and select_for_update(of=…) of the lock;
        lock_first: foreign keys whose rows are locked before the row itself (a fixed lock order).
        """
        self.field = field
        self.moves: dict[str, frozenset[str]] = {str(k): frozenset(str(t) for t in v) for k, v in moves.items()}
        self.permissions: dict[str | tuple[str, str], Rule] = {
            (str(k[0]), str(k[1])) if isinstance(k, tuple) else str(k): rule for k, rule in (permissions or {}).items()
        }
        self.needs_rule = needs_rule
        self.refused = refused
        self.forbidden = forbidden or _("Your role may not make this change.")
        self.timeline = timeline
        self.audit = audit
        self.audit_fields = audit_fields
        self.lock_related = tuple(lock_related)
        self.lock_of = tuple(lock_of)
        self.lock_first = tuple(lock_first)
        self.model: type[models.Model] | None = None
        self._flow_rules: list[FlowRule] = []
        self._labels: dict[str, str | Promise] | None = None

    def __set_name__(self, owner: type[models.Model], name: str) -> None:
        self.model = owner

    def __repr__(self) -> str:
        return f"<Flow {self.model.__name__ if self.model else '?'}.{self.field}>"

    # --- The map --------------------------------------------------------------------------------------------

    def _choices(self) -> dict[str, str | Promise]:
        if self._labels is None:
            if self.model is None:
                raise ImproperlyConfigured("Declare the Flow as a class attribute of its model.")
            self._labels = {str(value): label for value, label in self.model._meta.get_field(self.field).flatchoices}
        return self._labels

    def label(self, status: str) -> str | Promise:
        return self._choices().get(status, status)

    def statuses(self) -> set[str]:
        """Every status the map names (checked against the choices by the tests)."""
        return set(self.moves) | {t for targets in self.moves.values() for t in targets}

    def targets(self, status: str) -> list[str]:
        """The statuses `status` may move to, in the order of the field's choices."""
        allowed = self.moves.get(status, frozenset())
        order = list(self._choices())
        return sorted(allowed, key=lambda t: order.index(t) if t in order else len(order))

    def allows(self, status: str, to: str) -> bool:
        return to in self.moves.get(status, frozenset())

    def check(self, obj: models.Model, to: str, *, only_from: Iterable[str] | None = None) -> None:
        """DomainError (the flow's `refused` message) unless obj's status may move to `to` (and is one of
        `only_from`, when a service allows fewer starting points than the map)."""
        status = getattr(obj, self.field)
        if not self.allows(status, to) or (only_from is not None and status not in set(only_from)):
            raise DomainError(self.refused % {"status": self.label(status), "to": self.label(to)})

    # --- Who may -------------------------------------------------------------------------------------------

    def rule(self, fn: FlowRule) -> FlowRule:
        """Register fn(user, obj, to) -> bool for the moves without a rule of their own (a decorator)."""
        self._flow_rules.append(fn)
        return fn

    def permits(self, user: User, obj: models.Model, to: str) -> bool:
        """May `user` move `obj` (from its current status) to `to`? The map is not consulted."""
        status = getattr(obj, self.field)
        rule = self.permissions.get((status, to), self.permissions.get(to))
        if rule is None:
            if self._flow_rules:
                return any(fn(user, obj, to) for fn in self._flow_rules)
            if self.needs_rule:
                raise ImproperlyConfigured(f"{self!r}: no rule for the move to {to!r} (is the access module loaded?)")
            return True
        if isinstance(rule, str):
            return access.can(user, rule, obj)
        return bool(rule(user, obj))

    # --- What a move records --------------------------------------------------------------------------------

    def record(self, t: Transition, *, event: bool = True, action: str | None = None, changes: dict | None = None):
        if event and self.timeline is not None:
            timeline = self.timeline
            if isinstance(timeline, str):
                timeline = apps.get_model(timeline)
            timeline.record_move(t)
        action = action or (self.audit.format(to=t.to_status, **{"from": t.from_status}) if self.audit else "")
        if action:
            if changes is None:
                changes = {"from": t.from_status, "to": t.to_status}
                if self.audit_fields:
                    changes["fields"] = sorted(set(t.fields))
            audit_log(actor=t.actor, action=action, obj=t.obj, changes=changes)


def flow_of(obj: models.Model | type[models.Model]) -> Flow:
    model = obj if isinstance(obj, type) else type(obj)
    flow = getattr(model, "flow", None)
    if not isinstance(flow, Flow):
        raise ImproperlyConfigured(f"{model.__name__} declares no flow.")
    return flow


def available_moves(obj: models.Model, user: User, *, flow: Flow | None = None) -> list[Move]:
    """The moves from obj's current status that `user` may make, in the order of the status choices."""
    flow = flow or flow_of(obj)
    status = getattr(obj, flow.field)
    return [Move(to, flow.label(to)) for to in flow.targets(status) if flow.permits(user, obj, to)]


# --- Locks ---------------------------------------------------------------------------------------------------


class _LockToken:
    """Registered with on_commit when rows are locked: Django drops it from the pending callbacks at commit,
    at rollback, and at the rollback of the savepoint it was registered in, exactly when the locks go."""

    def __call__(self) -> None:
        return None


def _using(obj: models.Model) -> str:
    return obj._state.db or DEFAULT_DB_ALIAS


def _hold(objs: Iterable[models.Model], using: str) -> None:
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return
    token = _LockToken()
    connection.on_commit(token)
    stack = tuple(connection.savepoint_ids)
    for obj in objs:
        obj.__dict__[_HELD] = (token, stack)


def is_locked(obj: models.Model) -> bool:
    """Was obj locked by `locked`/`lock`/`locked_rows` in the transaction, and the savepoint, still running?"""
    held = obj.__dict__.get(_HELD)
    if held is None:
        return False
    token, stack = held
    connection = transaction.get_connection(_using(obj))
    return (
        connection.in_atomic_block
        and tuple(connection.savepoint_ids[: len(stack)]) == stack
        and any(func is token for _, func, _ in connection.run_on_commit)
    )


def _lock_queryset(model: type[models.Model]) -> QuerySet:
    flow = getattr(model, "flow", None)
    qs = model._default_manager.all()
    if not isinstance(flow, Flow):
        return qs.select_for_update()
    qs = qs.select_for_update(of=flow.lock_of)
    return qs.select_related(*flow.lock_related) if flow.lock_related else qs


def _lock_first(model: type[models.Model], values: Mapping[str, object]) -> None:
    for name in getattr(getattr(model, "flow", None), "lock_first", ()):
        fk = model._meta.get_field(name)
        related = fk.related_model._default_manager.select_for_update()
        list(related.filter(pk=values[fk.attname]).values_list("pk", flat=True))


def locked[M: models.Model](obj: M) -> M:
    """The row of obj, read again and locked (SELECT … FOR UPDATE) for the rest of the transaction."""
    model = type(obj)
    flow = getattr(model, "flow", None)
    if isinstance(flow, Flow) and flow.lock_first:
        attnames = [model._meta.get_field(name).attname for name in flow.lock_first]
        _lock_first(model, {attname: getattr(obj, attname) for attname in attnames})
    fresh = _lock_queryset(model).get(pk=obj.pk)
    _hold([fresh], _using(fresh))
    return fresh


def lock[M: models.Model](model: type[M], pk: object) -> M:
    """The row `pk` of `model`, locked (see `locked`)."""
    flow = getattr(model, "flow", None)
    if isinstance(flow, Flow) and flow.lock_first:
        names = [model._meta.get_field(n).attname for n in flow.lock_first]
        _lock_first(model, model._default_manager.filter(pk=pk).values(*names).get())
    fresh = _lock_queryset(model).get(pk=pk)
    _hold([fresh], _using(fresh))
    return fresh


def locked_rows[M: models.Model](queryset: QuerySet[M]) -> list[M]:
    """The rows of a queryset the caller built with select_for_update (skip_locked, of=… as it needs), held
    for `move`. A queryset without select_for_update is locked plainly."""
    if not queryset.query.select_for_update:
        queryset = queryset.select_for_update()
    rows = list(queryset)
    _hold(rows, queryset.db)
    return rows


# --- The move ------------------------------------------------------------------------------------------------


def move[M: models.Model](
    obj: M,
    to: str,
    *,
    actor: User | None,
    note: str = "",
    values: Mapping[str, object] | None = None,
    fields: Iterable[str] = (),
    on_move: Callable[[M], Iterable[str] | None] | None = None,
    only_from: Iterable[str] | None = None,
    data: Mapping[str, Any] | None = None,
    event: bool = True,
    action: str | None = None,
    changes: dict[str, Any] | None = None,
    flow: Flow | None = None,
) -> M:
    """Move obj to the status `to`; returns the locked, updated object.

    obj is locked and read again unless it is held (see `locked`); `fields` names fields the caller already
    changed on a held object, `values` fields to set after the lock. `on_move(obj)` runs under the lock after
    the checks and before the save, may raise DomainError, and may return the names of more fields it set.
    `note` and `data` go to the timeline (and `data` to a custom `record_move`); `event=False` writes no
    timeline row; `action`/`changes` replace the flow's audit action/changes for this move.
    """
    flow = flow or flow_of(obj)
    fields = tuple(fields)
    using = _using(obj)
    if not transaction.get_connection(using).in_atomic_block:
        with transaction.atomic(using=using):
            return move(
                obj,
                to,
                actor=actor,
                note=note,
                values=values,
                fields=fields,
                on_move=on_move,
                only_from=only_from,
                data=data,
                event=event,
                action=action,
                changes=changes,
                flow=flow,
            )
    if is_locked(obj):
        current = obj
    elif fields:
        raise RuntimeError("move(): fields were changed on an object that is not locked; use locked() first.")
    else:
        current = locked(obj)
    flow.check(current, to, only_from=only_from)
    if actor is not None and not flow.permits(actor, current, to):
        raise DomainError(str(flow.forbidden))
    changed = list(fields)
    for name, value in (values or {}).items():
        setattr(current, name, value)
        changed.append(name)
    if on_move is not None:
        changed.extend(on_move(current) or ())
    old = getattr(current, flow.field)
    setattr(current, flow.field, to)
    changed = [name for name in dict.fromkeys(changed) if name != flow.field]
    current.save(update_fields=[flow.field, *changed])
    transition = Transition(current, old, to, actor, note, dict(data or {}), tuple(changed))
    flow.record(transition, event=event, action=action, changes=changes)
    return current


# --- The timeline row ----------------------------------------------------------------------------------------


class StatusEvent(models.Model):
    """One move of a status flow: who moved the object from which status to which, when and why.

    A concrete timeline adds the foreign key to its object (named by `subject_field`, related_name "events")
    and subclasses Meta (`class Meta(StatusEvent.Meta)`). Append-only: a saved row is never changed.
    """

    subject_field: ClassVar[str] = ""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = EncryptedTextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status}→{self.to_status}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError(f"the {self.subject_field} timeline is append-only")
        super().save(*args, **kwargs)

    @classmethod
    def record_move(cls, t: Transition) -> StatusEvent:
        return cls.objects.create(
            **{cls.subject_field: t.obj},
            actor=t.actor,
            from_status=t.from_status,
            to_status=t.to_status,
            note=t.note,
        )
