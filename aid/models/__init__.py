"""Financial aid models: identification, funds and programmes, five-aid cases, work-study, hidden aid."""

from aid.models.fiveaid import Aid, FiveAidCase, FiveAidEntry, TermReview  # noqa: F401
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
from aid.models.hiddenaid import CanteenImport, CanteenRecord, HiddenAidBatch, HiddenAidCandidate  # noqa: F401
from aid.models.identification import (  # noqa: F401
    HARDSHIP_TIERS,
    IDENTIFIED_STATUSES,
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
from aid.models.workstudy import Timesheet, WorkStudyPlacement, WorkStudyPost  # noqa: F401
