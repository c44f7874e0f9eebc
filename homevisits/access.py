"""Access rules for homevisits, registered with portal.access (the one place that decides).

Registration: the decorators (visibility_rule, permission_rule) and mark_sensitive calls below register the rules
when this module is imported; HomevisitsConfig.ready() imports it, so they are in place before the first request.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from homevisits.models import Expense, FollowUp, GuardianContact, Trip, TripStudent, VisitPhoto, VisitRecord
from portal import access, config
from portal.access import EVERYTHING, colleges_for, has_role, is_admin
from portal.models import Role, RoleAssignment, Student, User


def may_use_homevisits(user: User) -> bool:
    return access.is_admin(user) or access.has_role(user, Role.VISIT_TEAM, Role.AID_OFFICER)


def may_open_homevisits_home(user: User) -> bool:
    """The home-visit home page: trip teams and the office, and staff who keep guardian contact logs or
    own follow-ups from visits."""
    return may_use_homevisits(user) or may_use_guardian_log(user)


# --- Trips ---------------------------------------------------------------------------------------------
# Who sees and does what:
# - the aid officer (学生资助管理中心) acts as the student affairs office: sees every trip, approves, closes,
#   sees the year dashboard; admins everything;
# - home-visit team members see the trips they lead or are members of; anything else is a 404;
# - the leader (or the office) plans: details, stops, students, expenses, the report; members may add expenses;
# - guardian contact log of a student: team members on a trip with that student, aid staff in scope (aid
#   officer: school-wide; aid reviewer: their college) and counselling staff in scope (centre counsellor:
#   school-wide; station counsellor: their college). Not assessors, not student roles.
#
# A trip opens student data to its team step by step (issue 13, finding 2: a member created a trip, gave it a
# stop per province and read every student's priority reasons and guardians' phones):
# 1. creating a trip is for the roles the office names (setting "homevisits.trip_creator_roles", default the
#    aid officer; admins always);
# 2. planning: the leader drafts details and the route (stops). The trip opens NO student data to its team:
#    no candidates, no adding students, no planned students' names, priority reasons or guardians;
# 3. the office approves the route. From then on the route is frozen (services.trips refuses stop changes
#    unless the office sends the trip back to planning, which closes the data again until it re-approves), so
#    the candidates are exactly the students from the stops the office approved;
# 4. approved: the leader (or the office) chooses students from the candidates of the approved stops, and the
#    team sees the chosen students' guardians' phones to arrange the visits;
# 5. travelling and reporting: guardians' phones stay open. Reporting is kept open on purpose: visit records
#    are written until the office closes the trip (RECORDING_STATUSES; they are due 7 days after return) and
#    families not reached in person are visited by phone (VisitRecord.Form.PHONE), which needs the number;
# 6. closed: guardians' phones are gone for the team (the office and in-scope staff keep their own access).
# The office keeps its own, role-based, access throughout: every trip and its planned students, a read-only
# preview of a planning trip's candidates (to judge the route it is asked to approve) and guardian logs.

mark_sensitive = access.mark_sensitive
mark_sensitive(GuardianContact)

GUARDIAN_SCHOOL_WIDE = (Role.AID_OFFICER, Role.CENTRE_COUNSELLOR)
GUARDIAN_COLLEGE = (Role.AID_REVIEWER, Role.STATION_COUNSELLOR)


def is_office(user: User) -> bool:
    """The student affairs office for home visits: the aid officer (and admins)."""
    return is_admin(user) or has_role(user, Role.AID_OFFICER)


TRIP_CREATOR_LEAD = "visit_team_lead"  # a home-visit team member whose role assignment has the `lead` flag

config.declare(
    "homevisits.trip_creator_roles",
    [Role.AID_OFFICER.value],
    _(
        "Roles that may create home-visit trips (admins always may): role codes such as aid_officer or "
        "visit_team, or visit_team_lead for home-visit team members marked as lead."
    ),
)


def trip_creator_roles() -> set[str]:
    value = config.get("homevisits.trip_creator_roles")
    return {str(v) for v in value} if isinstance(value, list | tuple) else set()


def is_visit_team_lead(user: User) -> bool:
    return (
        user.is_authenticated
        and RoleAssignment.objects.current().filter(user=user, role=Role.VISIT_TEAM, is_lead=True).exists()
    )


def may_create_trip(user: User) -> bool:
    """Admins, and the roles the office names in "homevisits.trip_creator_roles" (default: the aid officer)."""
    if not user.is_authenticated:
        return False
    if is_admin(user):
        return True
    allowed = trip_creator_roles()
    roles = [r for r in allowed if r in Role.values and r != Role.STUDENT]
    if roles and has_role(user, *roles):
        return True
    return TRIP_CREATOR_LEAD in allowed and is_visit_team_lead(user)


def may_see_dashboard(user: User) -> bool:
    return is_office(user)


def _my_trip_ids(user: User):
    return Trip.objects.filter(Q(leader_id=user.pk) | Q(members=user)).values("pk")


@access.visibility_rule(Trip)
def _trips_visible(user: User, action: str) -> Q | None:
    if has_role(user, Role.AID_OFFICER):
        return EVERYTHING
    if has_role(user, Role.VISIT_TEAM):
        return Q(pk__in=_my_trip_ids(user))
    return None


# --- What a trip opens to its team, by status (see the steps above) ---------------------------------------

STUDENTS_CLOSED_STATUSES = (Trip.Status.PLANNING,)  # no planned students' names or reasons for the team
SELECTION_STATUSES = (Trip.Status.APPROVED,)  # candidates and adding students
GUARDIAN_STATUSES = (Trip.Status.APPROVED, Trip.Status.TRAVELLING, Trip.Status.REPORTING)


def may_see_planned_students(user: User, trip: Trip) -> bool:
    """Names and priority reasons of the students planned on the trip."""
    return is_office(user) or trip.status not in STUDENTS_CLOSED_STATUSES


def may_see_guardians(user: User, trip: Trip) -> bool:
    """The planned students' guardians (names, phones) on the trip's pages (itinerary)."""
    return is_office(user) or trip.status in GUARDIAN_STATUSES


def may_see_candidates(user: User, trip: Trip) -> bool:
    """The candidate list: the planners of an approved trip; the office also previews a planning one."""
    if not access.can(user, "plan", trip):
        return False
    if trip.status in SELECTION_STATUSES:
        return True
    return trip.status == Trip.Status.PLANNING and is_office(user)


def may_choose_students(user: User, trip: Trip) -> bool:
    """Adding students: the planners, only once the office has approved the route."""
    return trip.status in SELECTION_STATUSES and access.can(user, "plan", trip)


def may_edit_route(user: User, trip: Trip) -> bool:
    """Stops change only while planning: an approved route is what the office approved."""
    return trip.status == Trip.Status.PLANNING and access.can(user, "plan", trip)


def _my_open_trip_ids(user: User, statuses: tuple[str, ...] | None = None):
    trips = Trip.objects.filter(Q(leader_id=user.pk) | Q(members=user))
    if statuses is None:
        trips = trips.exclude(status__in=STUDENTS_CLOSED_STATUSES)
    else:
        trips = trips.filter(status__in=statuses)
    return trips.values("pk")


@access.visibility_rule(TripStudent)
def _trip_students_visible(user: User, action: str) -> Q | None:
    q = _trips_visible(user, action)
    return q if q is None or not q else Q(trip_id__in=_my_open_trip_ids(user))


@access.visibility_rule(Expense)
def _expenses_visible(user: User, action: str) -> Q | None:
    q = _trips_visible(user, action)
    return q if q is None or not q else Q(trip_id__in=_my_trip_ids(user))


def is_leader(user: User, trip: Trip) -> bool:
    return trip.leader_id == user.pk


def is_member(user: User, trip: Trip) -> bool:
    return is_leader(user, trip) or trip.members.filter(pk=user.pk).exists()


@access.permission_rule(Trip, "plan", "submit_report", "depart", "return")
def _trip_planners(user: User, trip: Trip) -> bool:
    return has_role(user, Role.AID_OFFICER) or is_leader(user, trip)


@access.permission_rule(Trip, "approve", "close")
def _trip_office(user: User, trip: Trip) -> bool:
    return has_role(user, Role.AID_OFFICER)


@access.permission_rule(Trip, "add_expense")
def _trip_spenders(user: User, trip: Trip) -> bool:
    return has_role(user, Role.AID_OFFICER) or is_member(user, trip)


# --- Guardian contacts ------------------------------------------------------------------------------------


def guardian_students_q(user: User) -> Q | None:
    """The students whose guardian contact log this user may read and add to (a Q on Student)."""
    if not user.is_authenticated:
        return None
    if is_admin(user) or has_role(user, *GUARDIAN_SCHOOL_WIDE):
        return EVERYTHING
    q: Q | None = None
    colleges = colleges_for(user, *GUARDIAN_COLLEGE)
    if colleges:
        q = Q(college_id__in=colleges)
    if has_role(user, Role.VISIT_TEAM):
        # Only trips that are approved and not yet closed (GUARDIAN_STATUSES; see the steps above).
        open_trips = _my_open_trip_ids(user, GUARDIAN_STATUSES)
        on_my_trips = Q(pk__in=TripStudent.objects.filter(trip_id__in=open_trips).values("student_id"))
        q = on_my_trips if q is None else q | on_my_trips
    return q


def may_use_guardian_log(user: User) -> bool:
    return guardian_students_q(user) is not None


COUNSELLING_SIDE = (Role.STATION_COUNSELLOR, Role.CENTRE_COUNSELLOR)
AID_SIDE = (Role.AID_OFFICER, Role.AID_REVIEWER, Role.VISIT_TEAM)


def guardian_contact_side(author: User) -> str:
    """The side a new contact is written on: counselling for a counsellor (even one who also holds an aid
    role: the stricter side), aid and home visits for everyone else."""
    return GuardianContact.Side.COUNSELLING if has_role(author, *COUNSELLING_SIDE) else GuardianContact.Side.AID


def guardian_summary_sides(user: User) -> set[str]:
    """Whose summaries the user may read. Everyone in the log sees that a contact happened (date, how, who);
    the words stay on the side that wrote them: aid staff never read clinical content, counsellors never read
    family finances (DOMAIN §1). Admins read both."""
    if is_admin(user):
        return set(GuardianContact.Side.values)
    sides = set()
    if has_role(user, *COUNSELLING_SIDE):
        sides.add(GuardianContact.Side.COUNSELLING)
    if has_role(user, *AID_SIDE):
        sides.add(GuardianContact.Side.AID)
    return sides


@access.visibility_rule(GuardianContact)
def _guardian_contacts_visible(user: User, action: str) -> Q | None:
    q = guardian_students_q(user)
    if q is None or not q:
        return q
    return Q(student_id__in=Student.objects.filter(q).values("pk"))


# --- Records ----------------------------------------------------------------------------------------------
# Visit records hold what families told the team: visible to the trip's leader and members, the office (aid
# officer) and admins, every read audited; never to counselling staff or anyone else (404). Records are
# written by the trip's leader and members while the trip is approved, travelling or reporting; the office
# reads them (403 on writes). A follow-up is visible to its owner (title, due date, what it opened) and to
# whoever may see its record; its owner, the trip leader and the office may mark it done. A draft is its
# author's only (selectors.records.draft_for).

RECORDING_STATUSES = (Trip.Status.APPROVED, Trip.Status.TRAVELLING, Trip.Status.REPORTING)

mark_sensitive(VisitRecord)
mark_sensitive(VisitPhoto)


def _records_q(user: User) -> Q | None:
    """Like trips: the role is needed too, so a counsellor listed on a trip by mistake still sees nothing."""
    if has_role(user, Role.AID_OFFICER):
        return EVERYTHING
    if has_role(user, Role.VISIT_TEAM):
        return Q(trip_id__in=_my_trip_ids(user))
    return None


@access.visibility_rule(VisitRecord)
def _records_visible(user: User, action: str) -> Q | None:
    return _records_q(user)


@access.visibility_rule(VisitPhoto)
def _photos_visible(user: User, action: str) -> Q | None:
    q = _records_q(user)
    return q if q is None or not q else Q(record__trip_id__in=_my_trip_ids(user))


@access.visibility_rule(FollowUp)
def _follow_ups_visible(user: User, action: str) -> Q | None:
    q = _records_q(user)
    if q is not None and not q:
        return q
    mine = Q(owner_id=user.pk)
    return mine if q is None else mine | Q(record__trip_id__in=_my_trip_ids(user))


def may_write_records(user: User, trip: Trip) -> bool:
    """Leader and members (and admins) while the trip is under way; nobody once it is closed."""
    if trip.status not in RECORDING_STATUSES:
        return False
    return is_admin(user) or (has_role(user, Role.VISIT_TEAM) and is_member(user, trip))


@access.permission_rule(VisitRecord, "add_photo", "add_follow_up")
def _record_writers(user: User, record: VisitRecord) -> bool:
    return may_write_records(user, record.trip)


@access.permission_rule(FollowUp, "complete")
def _follow_up_closers(user: User, follow_up: FollowUp) -> bool:
    return (
        follow_up.owner_id == user.pk or has_role(user, Role.AID_OFFICER) or follow_up.record.trip.leader_id == user.pk
    )


def may_see_record(user: User, record_id: int) -> bool:
    return access.visible(user, VisitRecord).filter(pk=record_id).exists()
