"""Reads of screening, scoped through portal.access. Results are the student's and their counsellors' only.

Importing this module adds the "screening results" section to the care e-file
(counseling.selectors.crisis.care_file_sections).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling import instruments
from counseling.access.screening import screening_scope_q
from counseling.models import Instrument, Invitation, ScreeningCampaign, ScreeningResult
from counseling.selectors.crisis import care_file_sections
from counseling.selectors.instruments import definitions_by_code
from portal import access
from portal.models import Student, User

__all__ = [
    "campaign_completion",
    "campaign_for_staff",
    "campaign_pending_for",
    "campaign_positives",
    "campaign_students",
    "campaign_students_with_progress",
    "campaigns_for_staff",
    "invitation_for_student",
    "my_invitations",
    "my_results",
    "open_campaigns_for",
    "positive_results_q",
    "result_for_owner",
    "screening_care_section",
]


def positive_results_q() -> Q:
    """A positive screen by its definition's rules (stored as `positive` when scored). Results saved before
    that (positive empty) are PHQ-9/GAD-7: a total of 10 or more, or PHQ-9 item 9 above 0 (a jsonb index)."""
    legacy = Q(positive__isnull=True, instrument__in=[Instrument.PHQ9, Instrument.GAD7]) & (
        Q(total__gte=instruments.POSITIVE_TOTAL)
        | Q(instrument=Instrument.PHQ9, **{f"answers__{instruments.PHQ9_ITEM9_INDEX}__gt": 0})
    )
    return Q(positive=True) | legacy


def campaign_students(campaign: ScreeningCampaign) -> QuerySet[Student]:
    """The students a campaign is for: enrolled students of its enrolment year."""
    return Student.objects.filter(enrolment_year=campaign.enrolment_year, status=Student.Status.ENROLLED)


def campaign_students_with_progress(campaign: ScreeningCampaign) -> QuerySet[Student]:
    """The campaign's students annotated with `instruments_done`: how many of its instruments each has
    completed in the campaign. Completed means instruments_done == len(campaign.instruments)."""
    done = (
        ScreeningResult.objects.filter(
            campaign=campaign, student=OuterRef("pk"), instrument__in=list(campaign.instruments)
        )
        .order_by()
        .values("student")
        .annotate(n=Count("instrument", distinct=True))
        .values("n")
    )
    return campaign_students(campaign).annotate(
        instruments_done=Coalesce(Subquery(done, output_field=IntegerField()), Value(0))
    )


def student_of(user: User) -> Student | None:
    """The signed-in user's own student record, if they are a student."""
    if not user.is_authenticated:
        return None
    return Student.objects.filter(user_id=user.pk).select_related("college", "class_group").first()


# --- The student's side --------------------------------------------------------------------------------


def my_results(student: Student) -> QuerySet[ScreeningResult]:
    return (
        ScreeningResult.objects.filter(student=student)
        .select_related("campaign", "definition")
        .order_by("-completed_at", "-pk")
    )


def result_for_owner(user: User, pk: int) -> ScreeningResult:
    """One of the user's own results (404 for anyone else's, whoever asks); the read is audited."""
    qs = ScreeningResult.objects.filter(student__user_id=user.pk).select_related("student", "campaign", "definition")
    return access.get_for_user(user, qs, pk=pk)


def my_invitations(student: Student) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(student=student)
        .select_related("invited_by", "booking", "booking__slot", "result")
        .order_by("-invited_at", "-pk")
    )


def invitation_for_student(user: User, pk: int) -> Invitation:
    """An invitation through the access layer: 404 outside the user's scope, audited. Whether the user
    may answer it (only the invited student) is the view's next question."""
    qs = Invitation.objects.select_related("student", "student__user", "invited_by", "result", "booking__slot")
    return access.get_for_user(user, qs, pk=pk)


@dataclass
class CampaignTodo:
    """An open campaign as one student sees it: what is still to do."""

    campaign: ScreeningCampaign
    pending: list[instruments.InstrumentSpec | instruments.Definition] = field(default_factory=list)
    done: list[instruments.InstrumentSpec | instruments.Definition] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return not self.pending


def open_campaigns_for(student: Student | None, *, today: date | None = None) -> list[CampaignTodo]:
    """Open campaigns of the student's enrolment year, with the questionnaires still to answer.

    Two queries whatever the number of campaigns (a third when one uses a loaded instrument). For the portal
    home and the counselling home: include
    "counseling/screening/partials/campaign_banner.html" with campaigns=<this list>.
    """
    if student is None:
        return []
    today = today or timezone.localdate()
    campaigns = list(
        ScreeningCampaign.objects.filter(
            ScreeningCampaign.open_q(today), enrolment_year=student.enrolment_year
        ).order_by("closes_on", "pk")
    )
    if not campaigns or student.status != Student.Status.ENROLLED:
        return []
    done = set(
        ScreeningResult.objects.filter(student=student, campaign__in=campaigns).values_list("campaign_id", "instrument")
    )
    todos = []
    other_codes = sorted({code for c in campaigns for code in c.instruments} - set(instruments.INSTRUMENTS))
    loaded = definitions_by_code(other_codes) if other_codes else {}
    for campaign in campaigns:
        todo = CampaignTodo(campaign)
        for code in campaign.instruments:
            found = instruments.INSTRUMENTS.get(code) or loaded.get(code)
            if found is not None:
                (todo.done if (campaign.pk, code) in done else todo.pending).append(found)
        todos.append(todo)
    return todos


def campaign_pending_for(student: Student | None, instrument: str) -> ScreeningCampaign | None:
    """The open campaign this answer counts for: the first one that includes the instrument and that the
    student has not answered it for yet (so a self-screening during a campaign counts towards it)."""
    for todo in open_campaigns_for(student):
        if any(s.code == instrument for s in todo.pending):
            return todo.campaign
    return None


# --- Staff: campaigns -----------------------------------------------------------------------------------


def campaigns_for_staff(user: User) -> QuerySet[ScreeningCampaign]:
    """Every campaign (they are school-wide); what a station sees inside one is its college's part."""
    if screening_scope_q(user) is None:
        return ScreeningCampaign.objects.none()
    return ScreeningCampaign.objects.select_related("created_by").order_by("-opens_on", "-pk")


def campaign_for_staff(user: User, pk: int) -> ScreeningCampaign:
    campaign = campaigns_for_staff(user).filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


def _scoped_students(user: User, campaign: ScreeningCampaign) -> QuerySet[Student]:
    q = screening_scope_q(user)
    qs = campaign_students_with_progress(campaign)
    if q is None:
        return qs.none()
    return qs.filter(q) if q else qs


def campaign_completion(user: User, campaign: ScreeningCampaign) -> dict:
    """Completion per class and per college within the user's scope, from one grouped query.

    A student has completed the campaign when they answered every one of its questionnaires in it.
    """
    needed = len(set(campaign.instruments))
    rows = list(
        _scoped_students(user, campaign)
        .values("college_id", "college__code", "college__name", "class_group_id", "class_group__name")
        .annotate(
            total=Count("pk"),
            completed=Count("pk", filter=Q(instruments_done__gte=needed)),
            started=Count("pk", filter=Q(instruments_done__gte=1)),
        )
        .order_by("college__code", "class_group__name")
    )
    colleges: dict[int, dict] = {}
    classes = []
    for row in rows:
        entry = {
            "college": row["college__name"],
            "class_name": row["class_group__name"],
            "total": row["total"],
            "completed": row["completed"],
            "started": row["started"],
            "percent": round(100 * row["completed"] / row["total"]) if row["total"] else 0,
        }
        classes.append(entry)
        college = colleges.setdefault(
            row["college_id"], {"college": row["college__name"], "total": 0, "completed": 0, "started": 0}
        )
        for key in ("total", "completed", "started"):
            college[key] += row[key]
    for college in colleges.values():
        college["percent"] = round(100 * college["completed"] / college["total"]) if college["total"] else 0
    total = sum(c["total"] for c in classes)
    completed = sum(c["completed"] for c in classes)
    return {
        "classes": classes,
        "colleges": list(colleges.values()),
        "total": total,
        "completed": completed,
        "percent": round(100 * completed / total) if total else 0,
        "chart": {
            "labels": [c["class_name"] for c in classes],
            "completed": [c["completed"] for c in classes],
            "remaining": [c["total"] - c["completed"] for c in classes],
            "completedName": str(_("completed")),
            "remainingName": str(_("not yet")),
        },
    }


@dataclass
class PositiveRow:
    """One student with a positive screen in a campaign: their positive results and invitation state."""

    student: Student
    results: list[ScreeningResult]
    latest_invitation: Invitation | None

    @property
    def item9(self) -> bool:
        return any(instruments.item9(r.instrument, r.answers) > 0 for r in self.results)

    @property
    def top_total(self) -> int:
        return max(r.total for r in self.results)

    @property
    def invite_result(self) -> ScreeningResult:
        """The result an invitation refers to: item 9 first, then the highest total."""
        return sorted(self.results, key=lambda r: (instruments.item9(r.instrument, r.answers) > 0, r.total))[-1]

    @property
    def may_invite(self) -> bool:
        return self.latest_invitation is None or self.latest_invitation.status != Invitation.Status.INVITED


def campaign_positives(user: User, campaign: ScreeningCampaign) -> list[PositiveRow]:
    """Students with a positive screen in the campaign, within the user's scope: item 9 first, then the
    highest score. Two queries whatever the number of rows."""
    results = list(
        access.visible(user, ScreeningResult)
        .filter(campaign=campaign)
        .filter(positive_results_q())
        .select_related("student", "student__college", "student__class_group", "definition")
        .annotate(case_id=F("raised_report__case_id"))
        .order_by("student_id", "instrument", "-completed_at")
    )
    by_student: dict[int, PositiveRow] = {}
    for result in results:
        row = by_student.setdefault(result.student_id, PositiveRow(result.student, [], None))
        row.results.append(result)
    latest = Invitation.objects.filter(student_id__in=list(by_student)).order_by("student_id", "-invited_at", "-pk")
    for invitation in latest.only("pk", "student_id", "status", "invited_at", "responded_at", "booking_id"):
        row = by_student[invitation.student_id]
        if row.latest_invitation is None:
            row.latest_invitation = invitation
    return sorted(by_student.values(), key=lambda r: (not r.item9, -r.top_total, r.student.student_no))


# --- The care e-file section ----------------------------------------------------------------------------


def screening_care_section(student: Student) -> dict | None:
    """The student's screening results and invitations in their care e-file (opened by the centre or the
    student's own station only: the care file view has checked that and audited the read)."""
    results = list(
        ScreeningResult.objects.filter(student=student)
        .select_related("campaign", "definition")
        .annotate(case_id=F("raised_report__case_id"))
        .order_by("-completed_at", "-pk")
    )
    invitations = list(
        Invitation.objects.filter(student=student)
        .select_related("invited_by", "booking__slot")
        .order_by("-invited_at", "-pk")
    )
    open_invitation = any(i.status == Invitation.Status.INVITED for i in invitations)
    for result in results:
        result.positive = instruments.result_is_positive(result)
        result.item9 = instruments.item9(result.instrument, result.answers)
        result.band_text = instruments.band_label(result)
    return {
        "title": _("Screening results"),
        "template": "counseling/screening/care_results.html",
        "context": {
            "results": results,
            "invitations": invitations,
            "may_invite": not open_invitation,
        },
    }


if screening_care_section not in care_file_sections:
    care_file_sections.append(screening_care_section)
