"""Writes of screening instruments: loading a definition file (docs/instruments.md) and storing the shipped
ones (PHQ-9, GAD-7) on first use.

A file is checked completely before anything is written: every error is returned, each with its line, and a
file with any error changes nothing. A loaded version is never changed: the same (code, version) loaded again
with the same text is "unchanged"; with other text it is refused (raise the version). The codes of the shipped
instruments are reserved, so PHQ-9 and GAD-7 always score exactly as published.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from counseling import instrument_format
from counseling.instrument_format import DefinitionError
from counseling.models import InstrumentDefinition
from portal.audit import audit_log
from portal.models import User

__all__ = ["LoadResult", "instrument_definition_load", "instrument_definition_shipped_row"]


@dataclass
class LoadResult:
    definition: InstrumentDefinition | None = None
    errors: list[DefinitionError] = field(default_factory=list)
    created: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def _version_line(text: str) -> int | None:
    return instrument_format.line_of(text, ("version",))


@transaction.atomic
def instrument_definition_load(*, actor: User | None, data: bytes | str, filename: str = "") -> LoadResult:
    """Check a definition file and store it as a new version. The caller checked that the actor may load
    instruments (a superuser or the admin's add permission; the command line). Takes no lock: the unique
    (code, version) constraint decides between two loads of the same version at once."""
    from counseling.instruments import SHIPPED

    if isinstance(data, bytes):
        try:
            text = instrument_format.decode(data)
        except UnicodeDecodeError:
            return LoadResult(errors=[DefinitionError(None, _("The file is not UTF-8 text."))])
        except ValueError:
            return LoadResult(errors=[DefinitionError(None, _("The file is larger than 256 KB."))])
    else:
        text = data
    if "\x00" in text:
        return LoadResult(errors=[DefinitionError(None, _("The file is not UTF-8 text."))])
    definition, errors = instrument_format.parse_definition(text)
    if definition is None:
        return LoadResult(errors=errors)
    if definition.code in SHIPPED:
        return LoadResult(
            errors=[
                DefinitionError(
                    instrument_format.line_of(text, ("code",)),
                    _("“%(code)s” ships with Nuanxin and cannot be replaced; choose another code.")
                    % {"code": definition.code},
                )
            ]
        )
    existing = InstrumentDefinition.objects.filter(code=definition.code, version=definition.version).first()
    if existing is not None:
        if existing.checksum == definition.checksum:
            return LoadResult(definition=existing)
        return LoadResult(errors=[_version_taken(text, definition)])
    try:
        with transaction.atomic():
            row = InstrumentDefinition.objects.create(
                code=definition.code,
                version=definition.version,
                name=definition.name,
                source=text,
                checksum=definition.checksum,
                loaded_by=actor,
            )
    except IntegrityError:  # the same version loaded at the same moment by someone else
        return LoadResult(errors=[_version_taken(text, definition)])
    audit_log(
        actor=actor,
        action="instrument_definition.loaded",
        obj=row,
        changes={"code": row.code, "version": row.version, "file": filename[:200], "checksum": row.checksum},
    )
    return LoadResult(definition=row, created=True)


def _version_taken(text: str, definition: instrument_format.Definition) -> DefinitionError:
    return DefinitionError(
        _version_line(text),
        _("Version %(version)s of “%(code)s” is already loaded with other content; give this file a higher version.")
        % {"version": definition.version, "code": definition.code},
    )


def instrument_definition_shipped_row(code: str) -> InstrumentDefinition | None:
    """The stored row of a shipped instrument's current file, created on first use (idempotent: the unique
    constraint settles two first uses at once). None for a code that is not shipped."""
    from counseling.instruments import SHIPPED, SHIPPED_SOURCES

    shipped = SHIPPED.get(code)
    if shipped is None:
        return None
    row = InstrumentDefinition.objects.filter(code=code, version=shipped.version).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return InstrumentDefinition.objects.create(
                code=code,
                version=shipped.version,
                name=shipped.name,
                source=SHIPPED_SOURCES[code],
                checksum=shipped.checksum,
                shipped=True,
            )
    except IntegrityError:
        return InstrumentDefinition.objects.get(code=code, version=shipped.version)
