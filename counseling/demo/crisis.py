"""Demo data for the crisis network: a living triage queue for every role of the demo school.

Run by `seed_demo` (portal.demo imports `<app>.demo` of each project app). Everything is written through
the services, as a counsellor would, so timelines, alerts and audit events are real. Only the clock is
faked, and only where a demo needs the past (an overdue report, a spread of weeks for the dashboard):
`created_at` and friends are moved back with a queryset update right after creation. Timeline entries
are append-only and keep the time the demo was seeded.

What it adds (the demo login `student` has no case: they demo booking and screening):

    计算机学院 (the `station` login's queue)
      level 4  intervening, reported by `liaison`, assessed by `assessor`, with an intervention plan
      level 3  NEW and overdue (reported 5 h ago by `committee`): the escalation scan picks it up
      level 2  NEW, anonymous (a receipt code is printed on the first run)
      level 2  monitoring, next touchpoint overdue
      level 1  monitoring
      level 1  closed (no concern found), reported by `liaison`
    机电工程学院  level 3 assessing (assigned to `assessor`), level 1 acknowledged
    经济管理学院  level 2 NEW, level 3 closed by the centre
    centre queue  an unmatched report ("a girl of the economics college, name unknown")
    zero reports  a committee member for every class; this month filed by six classes (two with a
                  concern), 软件2401班 left open for the `committee` login; the two months before filed

Idempotent: the first demo report's idempotency key is the marker; when it exists nothing is written.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from typing import TextIO

from django.utils import timezone

from counseling import services
from counseling.models import Assessment, Case, InterventionAction, Report, Sign, ZeroReport
from portal.demo import DemoSchool
from portal.kernel.dates import month_start, shift_month
from portal.models import ClassGroup, Role, RoleAssignment, Student, User

SEED = 20240310
_NAMESPACE = uuid.UUID("6f1f3f0e-2b8c-4a57-9a53-4f6d2c1e8a10")


def demo_key(name: str) -> uuid.UUID:
    """The idempotency key of a demo report: the same on every run and every machine."""
    return uuid.uuid5(_NAMESPACE, f"nuanxin-demo-report:{name}")


MARKER = demo_key("crisis-cs")

ZERO_FILED_THIS_MONTH = {
    "软件2402班": "",
    "大数据2301班": "期末周临近，班里好几位同学反映睡眠不好、情绪紧张，希望辅导站安排一次减压团体辅导。",
    "机电2401班": "",
    "数控2301班": "",
    "会计2401班": "",
    "电商2301班": "班里两位同学因为宿舍作息问题多次争吵，已经请班主任协调，也想请辅导站留意。",
}
ZERO_MISSING_LAST_MONTH = {"网络2501班", "营销2402班"}


def _backdate(case: Case, *, ago: timedelta, acknowledged: bool = False) -> None:
    """Move a demo case and its reports into the past (demo data only; see the module docstring)."""
    created = timezone.now() - ago
    changes: dict[str, object] = {"created_at": created, "ack_due_at": created + services.ack_limit(case.level)}
    if acknowledged:
        changes["acknowledged_at"] = created + timedelta(hours=1)
    Case.objects.filter(pk=case.pk).update(**changes)
    Report.objects.filter(case=case).update(created_at=created)


class _Seeder:
    def __init__(self, school: DemoSchool) -> None:
        self.school = school
        self.rng = random.Random(SEED)
        self.login = school.logins
        self.reports = 0
        self.cases: set[int] = set()
        logins = {s.pk for s in school.students_by_login.values()}
        self.pool = [s for s in school.students if s.pk not in logins and s.status == Student.Status.ENROLLED]
        self.taken: set[int] = set()

    def pick(self, *, college: str, class_name: str | None = None, room_ids: set[int] | None = None) -> Student:
        """A student not yet used by the demo, by college (and class or rooms when given), deterministic."""
        candidates = [
            s
            for s in self.pool
            if s.pk not in self.taken
            and s.college.code == college
            and (class_name is None or s.class_group.name == class_name)
            and (room_ids is None or s.room_id in room_ids)
        ]
        if not candidates:  # the narrower wish cannot be met: any student of the college
            candidates = [s for s in self.pool if s.pk not in self.taken and s.college.code == college]
        student = self.rng.choice(candidates)
        self.taken.add(student.pk)
        return student

    def report(
        self,
        name: str,
        *,
        reporter: User,
        student: Student | None,
        signs: list[str],
        narrative: str,
        relation: str = "classmate",
        anonymous: bool = False,
        in_danger: bool = False,
        subject_given: str = "",
    ) -> Case:
        report, created = services.report_submit(
            reporter=reporter,
            anonymous=anonymous,
            student=student,
            subject_given=subject_given or (f"{student.name} {student.student_no}" if student else ""),
            relation=relation,
            signs=signs,
            narrative=narrative,
            when_where="",
            in_danger=in_danger,
            idempotency_key=demo_key(name),
        )
        self.reports += int(created)
        self.cases.add(report.case_id)
        return report.case


def seed_counselling(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    if Report.objects.filter(idempotency_key=MARKER).exists():
        return {}
    seeder = _Seeder(school)
    receipt = _seed_cases(seeder)
    roles, zero = _seed_zero_reports(school, seeder.rng)
    if stdout is not None:
        stdout.write(
            f"counseling: {len(seeder.cases)} cases, {seeder.reports} reports, {zero} zero reports; "
            f"anonymous demo report receipt code {receipt}\n"
        )
    return {
        "counseling.case": len(seeder.cases),
        "counseling.report": seeder.reports,
        "counseling.zeroreport": zero,
        "portal.roleassignment": roles,
    }


def _seed_cases(seeder: _Seeder) -> str:
    """The cases of the module docstring; returns the anonymous report's receipt code."""
    login = seeder.login
    station, centre, assessor = login["station"], login["counselor"], login["assessor"]
    today = timezone.localdate()
    liaison_rooms = set(
        RoleAssignment.objects.filter(user=login["liaison"], role=Role.DORM_LIAISON).values_list("rooms", flat=True)
    )

    # 计算机学院, level 4: the full crisis path, reported by the dorm liaison.
    case = seeder.report(
        "crisis-cs",
        reporter=login["liaison"],
        student=seeder.pick(college="CS", room_ids=liaison_rooms),
        relation="roommate",
        signs=[Sign.SELF_HARM, Sign.SUICIDE_TALK],
        in_danger=True,
        narrative="室友今晚在宿舍说不想活了，手腕上有新的划痕，情绪很激动。我们已经陪在他身边。",
    )
    _backdate(case, ago=timedelta(days=2), acknowledged=True)
    services.case_acknowledge(actor=station, case=case)
    services.case_set_level(
        actor=station,
        case=case,
        level=4,
        self_harm_level=4,
        others_harm_level=1,
        reason="有自伤行为和明确的轻生表达，按危机处理。",
    )
    services.case_assign_owner(actor=station, case=case, owner=station)
    services.case_assign_assessors(actor=station, case=case, assessors=[assessor])
    services.case_transition(actor=station, case=case, to_status=Case.Status.ASSESSING)
    services.assessment_record(
        actor=assessor,
        case=case,
        risk_factors="近期自伤行为；有轻生表达；独处时情绪失控；学业压力大。",
        protective_factors="愿意与室友和辅导员交谈；与母亲关系亲近；有就医意愿。",
        conclusion=Assessment.Conclusion.AT_RISK_HIGH,
        conclusion_note="建议24小时陪护，尽快联系监护人并转介医院评估。",
    )
    for kind, days, hospital in (
        (InterventionAction.Kind.GUARDIAN, 0, ""),
        (InterventionAction.Kind.COMPANION, 0, ""),
        (InterventionAction.Kind.HOSPITAL, 1, "武汉市精神卫生中心"),
    ):
        services.action_add(
            actor=station,
            case=case,
            kind=kind,
            owner=station,
            due_date=today + timedelta(days=days),
            hospital=hospital,
            referral_date=today + timedelta(days=days) if hospital else None,
        )
    services.case_transition(actor=station, case=case, to_status=Case.Status.INTERVENING)
    services.case_set_touchpoint(actor=station, case=case, on=today + timedelta(days=1))

    # 计算机学院, level 3, not acknowledged and past its 2-hour limit: reported 5 hours ago by the committee member.
    case = seeder.report(
        "overdue-cs",
        reporter=login["committee"],
        student=seeder.pick(college="CS", class_name="软件2401班"),
        signs=[Sign.SUICIDE_TALK, Sign.WITHDRAWAL],
        narrative="她这两周几乎不来上课，在班级群里说“活着好累，不想再坚持了”。",
    )
    created = timezone.now() - timedelta(hours=5)
    Case.objects.filter(pk=case.pk).update(created_at=created, ack_due_at=created + services.ack_limit(case.level))
    Report.objects.filter(case=case).update(created_at=created)

    # 计算机学院, level 2, anonymous and new.
    anonymous_reporter = seeder.pick(college="CS")
    case = seeder.report(
        "anonymous-cs",
        reporter=anonymous_reporter.user,
        student=seeder.pick(college="CS"),
        anonymous=True,
        signs=[Sign.CONFLICT],
        narrative="他最近和宿舍同学发生过两次肢体冲突，说话很冲，我不敢署名。",
    )
    receipt = services.receipt_code_for(demo_key("anonymous-cs"))

    # 计算机学院, level 2, monitoring, next touchpoint overdue.
    case = seeder.report(
        "touchpoint-cs",
        reporter=seeder.pick(college="CS").user,
        student=seeder.pick(college="CS"),
        signs=[Sign.CONFLICT, Sign.MOOD],
        narrative="和女朋友分手后经常半夜喝酒，跟人起争执。",
    )
    _backdate(case, ago=timedelta(weeks=2), acknowledged=True)
    services.case_acknowledge(actor=station, case=case)
    services.case_assign_owner(actor=station, case=case, owner=station)
    services.case_transition(actor=station, case=case, to_status=Case.Status.MONITORING)
    Case.objects.filter(pk=case.pk).update(next_touchpoint=today - timedelta(days=3))

    # 计算机学院, level 1, monitoring.
    case = seeder.report(
        "monitoring-cs",
        reporter=seeder.pick(college="CS").user,
        student=seeder.pick(college="CS"),
        signs=[Sign.ACADEMIC],
        narrative="挂了三门课，最近总说自己不是学习的料。",
    )
    _backdate(case, ago=timedelta(weeks=5), acknowledged=True)
    services.case_acknowledge(actor=station, case=case)
    services.case_transition(actor=station, case=case, to_status=Case.Status.MONITORING)
    services.case_set_touchpoint(actor=station, case=case, on=today + timedelta(days=7))

    # 计算机学院, level 1, closed: the liaison sees "closed".
    case = seeder.report(
        "closed-cs",
        reporter=login["liaison"],
        student=seeder.pick(college="CS", room_ids=liaison_rooms),
        relation="roommate",
        signs=[Sign.MOOD],
        narrative="这几天一直闷闷不乐，饭也吃得少。",
    )
    _backdate(case, ago=timedelta(weeks=3), acknowledged=True)
    services.case_acknowledge(actor=station, case=case)
    services.case_transition(actor=station, case=case, to_status=Case.Status.CLOSED, reason=Case.CloseReason.NO_CONCERN)

    # 机电工程学院, level 3, with the assessment group.
    case = seeder.report(
        "assessing-me",
        reporter=seeder.pick(college="ME").user,
        student=seeder.pick(college="ME"),
        signs=[Sign.SUICIDE_TALK, Sign.FAMILY],
        narrative="家里出了变故，他说“要是我不在了，家里就少一份负担”。",
    )
    _backdate(case, ago=timedelta(weeks=1), acknowledged=True)
    services.case_acknowledge(actor=centre, case=case)
    services.case_assign_owner(actor=centre, case=case, owner=centre)
    services.case_assign_assessors(actor=centre, case=case, assessors=[assessor])
    services.case_transition(actor=centre, case=case, to_status=Case.Status.ASSESSING)
    services.case_set_touchpoint(actor=centre, case=case, on=today + timedelta(days=2))

    # 机电工程学院, level 1, acknowledged: an interview is planned.
    case = seeder.report(
        "monitoring-me",
        reporter=seeder.pick(college="ME").user,
        student=seeder.pick(college="ME"),
        signs=[Sign.WITHDRAWAL],
        narrative="刚转专业过来，不和任何人说话，总是一个人吃饭。",
    )
    _backdate(case, ago=timedelta(weeks=7), acknowledged=True)
    services.case_acknowledge(actor=centre, case=case)
    services.case_set_touchpoint(actor=centre, case=case, on=today + timedelta(days=3))

    # 经济管理学院, level 2, new.
    seeder.report(
        "new-em",
        reporter=seeder.pick(college="EM").user,
        student=seeder.pick(college="EM"),
        signs=[Sign.CONFLICT, Sign.SUBSTANCE],
        narrative="连续几个晚上喝醉回宿舍，和室友吵架摔东西。",
    )

    # 经济管理学院, level 3, closed by the centre after assessment and monitoring.
    case = seeder.report(
        "closed-em",
        reporter=seeder.pick(college="EM").user,
        student=seeder.pick(college="EM"),
        signs=[Sign.SUICIDE_TALK],
        narrative="她在朋友圈发了告别的话，后来删掉了。",
    )
    _backdate(case, ago=timedelta(weeks=10), acknowledged=True)
    services.case_acknowledge(actor=centre, case=case)
    services.case_transition(actor=centre, case=case, to_status=Case.Status.ASSESSING)
    services.assessment_record(
        actor=centre,
        case=case,
        risk_factors="情绪低落两周；有轻生表达但无计划。",
        protective_factors="家庭支持好；已规律参加咨询；与室友关系亲密。",
        conclusion=Assessment.Conclusion.AT_RISK,
    )
    services.case_transition(actor=centre, case=case, to_status=Case.Status.MONITORING)
    services.case_transition(actor=centre, case=case, to_status=Case.Status.CLOSED, reason=Case.CloseReason.RESOLVED)

    # The centre's queue: a report about a student nobody could identify.
    seeder.report(
        "unmatched",
        reporter=seeder.pick(college="EM").user,
        student=None,
        subject_given="经管学院的一个女生，叫小雨，不知道班级",
        relation="other",
        signs=[Sign.MOOD, Sign.WITHDRAWAL],
        narrative="在图书馆看到她一个人哭了很久，听同学说她最近常这样。",
    )
    _seed_held_burst(seeder)
    return receipt


def _seed_held_burst(seeder: _Seeder) -> None:
    """A burst of anonymous reports from one address, held for the centre: two look like a script's, one
    is real (and says someone is in danger), so a newcomer can try confirm and dismiss."""
    from counseling.models import ReportHold
    from counseling.services.holds import address_key, report_hold

    source = address_key("demo-burst")
    real = seeder.pick(college="ME")
    for n, (student, narrative, in_danger) in enumerate(
        [
            (None, "测试测试测试", False),
            (None, "测试测试测试", False),
            (real, "我在天台上看到他一个人坐在边上，叫他也不理人。", True),
        ]
    ):
        report_hold(
            kind=ReportHold.Kind.ADDRESS,
            source_key=source,
            student=student,
            subject_given=f"{real.name} {real.student_no}" if student else "某某",
            relation="classmate",
            signs=[Sign.MOOD] if not in_danger else [Sign.SUICIDE_TALK],
            narrative=narrative,
            when_where="",
            in_danger=in_danger,
            idempotency_key=demo_key(f"held-{n}"),
        )


def _seed_zero_reports(school: DemoSchool, rng: random.Random) -> tuple[int, int]:
    """A committee member for every class; this month's and the two previous months' reports."""
    roles = 0
    members: dict[str, User] = {}
    committee = school.logins["committee"]
    logins = {s.pk for s in school.students_by_login.values()}
    for class_group in school.classes.values():
        existing = RoleAssignment.objects.filter(role=Role.CLASS_COMMITTEE, class_group=class_group).first()
        if existing is None:
            classmates = [
                s
                for s in school.students
                if s.class_group_id == class_group.pk and s.pk not in logins and s.status == Student.Status.ENROLLED
            ]
            student = rng.choice(classmates)
            existing = RoleAssignment.objects.create(
                user=student.user, role=Role.CLASS_COMMITTEE, class_group=class_group
            )
            roles += 1
        members[class_group.name] = committee if class_group.name == "软件2401班" else existing.user

    this_month = month_start(timezone.localdate())
    filed = 0

    def file(class_group: ClassGroup, month: date, note: str) -> None:
        nonlocal filed
        report, created = services.zero_report_file(
            actor=members[class_group.name], class_group=class_group, month=month, nothing_to_report=not note, note=note
        )
        filed += int(created)
        if month < this_month:  # filed in its own month, on a day before the reminder
            when = timezone.make_aware(
                datetime.combine(month + timedelta(days=rng.randrange(1, 4)), datetime.min.time())
            )
            ZeroReport.objects.filter(pk=report.pk).update(filed_at=when + timedelta(hours=rng.randrange(9, 21)))

    for back in (2, 1):
        month = shift_month(this_month, -back)
        for class_group in school.classes.values():
            if back == 1 and class_group.name in ZERO_MISSING_LAST_MONTH:
                continue
            file(class_group, month, "")
    for name, note in ZERO_FILED_THIS_MONTH.items():
        file(school.classes[name], this_month, note)
    return roles, filed
