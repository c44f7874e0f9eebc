"""Counselling models, one module per area: crisis (reports, cases, care files), and later areas."""

from counseling.models.crisis import (  # noqa: F401
    NARRATIVE_MAX,
    Assessment,
    CareLevelOverride,
    Case,
    CaseEvent,
    InterventionAction,
    Level,
    Relation,
    Report,
    ReporterQuestion,
    Sign,
    ZeroReport,
)
