"""Financial aid models: identification, funds and programmes, five-aid cases, work-study, hidden aid."""

from aid.models.funds import (  # noqa: F401
    ZERO,
    Application,
    ApplicationEvent,
    BankAccount,
    Fund,
    LedgerEntry,
    Party,
    Payment,
    PaymentBatch,
    Programme,
    Quota,
)
from aid.models.identification import (  # noqa: F401
    TIER_RANK,
    AcademicYear,
    Appeal,
    ClassEvaluation,
    EvaluationGroup,
    FamilyMember,
    Identification,
    IdentificationDocument,
    IdentificationEvent,
    Notice,
    Objection,
    SpecialStatus,
    Tier,
)
from aid.models.support import (  # noqa: F401
    Aid,
    CanteenImport,
    CanteenRecord,
    FiveAidCase,
    FiveAidEntry,
    HiddenAidBatch,
    HiddenAidCandidate,
    TermReview,
    Timesheet,
    WorkStudyPlacement,
    WorkStudyPost,
)
