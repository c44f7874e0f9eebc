"""Who may recommend a student for a home visit.

The centre and the student's own college station (the people who may open the student's care file) may
recommend a visit or withdraw the recommendation; admins too, as everywhere. Home-visit and aid staff never
see the recommendation itself: homevisits learns only the ids of recommended students
(counseling.services.visit_recommendations.students_recommended_for_visit), never the reason.
"""

from __future__ import annotations

from counseling.access.crisis import care_file_students_q
from portal.access import colleges_for
from portal.models import Role, Student, User

__all__ = ["may_recommend_visit"]


def may_recommend_visit(user: User, student: Student) -> bool:
    q = care_file_students_q(user)
    if q is None:
        return False
    return not q or student.college_id in colleges_for(user, Role.STATION_COUNSELLOR)
