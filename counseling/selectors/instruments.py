"""Reads of screening instruments (counseling.models.InstrumentDefinition): which version is current, which
may be taken or chosen for a campaign. Instruments are not personal data: no scoping by user."""

from __future__ import annotations

from counseling.instrument_format import Definition
from counseling.models import InstrumentDefinition

__all__ = ["definition_row_current", "definitions_available", "definitions_by_code"]


def definition_row_current(code: str) -> InstrumentDefinition | None:
    """The highest stored version of `code` (active or not), or None when none is stored yet. For a shipped
    instrument the current version is its file's (counseling.instruments.SHIPPED), stored on first use."""
    return InstrumentDefinition.objects.filter(code=code).order_by("-version").first()


def _current_rows() -> dict[str, InstrumentDefinition]:
    current: dict[str, InstrumentDefinition] = {}
    for row in InstrumentDefinition.objects.order_by("code", "-version").only(
        "pk", "code", "version", "active", "source"
    ):
        current.setdefault(row.code, row)
    return current


def definitions_by_code(codes: list[str] | None = None) -> dict[str, Definition]:
    """The current definition of each code (shipped ones even when not stored yet), in one query."""
    from counseling.instruments import SHIPPED

    found = {
        code: row.parsed()
        for code, row in _current_rows().items()
        if (codes is None or code in codes) and code not in SHIPPED
    }
    for code, shipped in SHIPPED.items():  # the file in this release is the current version
        if codes is None or code in codes:
            found[code] = shipped
    return found


def definitions_available() -> list[Definition]:
    """Instruments students may take and the centre may choose now: the current version of each code,
    if that version is active. The shipped ones first (PHQ-9, GAD-7), then the loaded ones by code."""
    from counseling.instruments import SHIPPED

    rows = _current_rows()
    out = []
    for code, shipped in SHIPPED.items():
        # The file in this release is the current version; withdrawn when its stored row was made inactive.
        row = rows.get(code)
        if row is None or row.version != shipped.version or row.active:
            out.append(shipped)
    out += [row.parsed() for code, row in sorted(rows.items()) if code not in SHIPPED and row.active]
    return out
