"""Counselling models, one module per area: crisis (reports, cases, care files), and later areas."""

from counseling.models.activities import (  # noqa: F401
    ArticleRead,
    Event,
    EventSignup,
    JournalArticle,
    JournalImage,
    JournalIssue,
)
from counseling.models.appointments import (  # noqa: F401
    NOTE_SECTIONS,
    AvailabilityTemplate,
    BlockedDay,
    Booking,
    BookingRestriction,
    Mode,
    NoteFormat,
    SessionNote,
    Slot,
    WaitlistEntry,
)
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
from counseling.models.holds import HeldReport, ReportHold  # noqa: F401
from counseling.models.postvention import (  # noqa: F401
    CHECKIN_NOTE_MAX,
    CONTACT_NAME_MAX,
    INCIDENT_NARRATIVE_MAX,
    CheckIn,
    CriticalIncident,
    PostventionContact,
    PostventionPlan,
)
from counseling.models.screening import (  # noqa: F401
    Instrument,
    InstrumentDefinition,
    Invitation,
    ScreeningCampaign,
    ScreeningResult,
)
from counseling.models.screening_care import OUTCOME_NOTE_MAX, InterviewOutcome, Retest  # noqa: F401
from counseling.models.session_notes import SessionNoteAmendment, Supervision  # noqa: F401
from counseling.models.visits import VISIT_REASON_MAX, VisitRecommendation  # noqa: F401
