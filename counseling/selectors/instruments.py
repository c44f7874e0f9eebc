"""Reads of screening instruments (counseling.models.InstrumentDefinition): which version is current, which
may be taken or chosen for a campaign. Instruments are not personal data: no scoping by user."""

from __future__ import annotations

from counseling import instruments
from counseling.instrument_format import Definition

__all__ = ["definition_row_current", "definitions_available", "definitions_by_code"]


def definitions_by_code(codes: list[str] | None = None) -> dict[str, Definition]:
    """The current definition of each code (shipped ones even when not stored yet), in one query."""
    found = {
        code: row.parsed()
        for code, row in instruments.current_definition_rows().items()
        if (codes is None or code in codes) and code not in instruments.SHIPPED
    }
    for code, shipped in instruments.SHIPPED.items():  # the file in this release is the current version
        if codes is None or code in codes:
            found[code] = shipped
    return found


# The current version of one code, and the instruments that may be taken now (kept in counseling.instruments,
# which the scoring needs without going through this package).
definition_row_current = instruments.definition_row_current
definitions_available = instruments.available_definitions
