"""Demo data for activities and the e-journal 《心之专列》.

    past (this academic year)  "5.25 心理健康月 · 开幕式" for everyone, with attendance across the colleges
                               and the `student` login, so the coverage report has numbers;
                               "新生适应团体辅导" for 计算机学院 (the `station` login's event)
    upcoming                   "压力管理工作坊" for 计算机学院: 5 places taken, 3 on the waitlist, sign-up open
                               (the `student` login is not signed up: they demo joining the waitlist);
                               "心理情景剧展演" for everyone, sign-up open, a few places taken
    journal                    issue 1 (published a month ago) and issue 2 (published this week), two
                               articles each, with some reads

Sign-ups of open events go through the services. Attendance of past events is written directly (the
services rightly refuse sign-ups after the window): demo data only. Idempotent: events are keyed on
their title, issues on their number; a second run creates nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TextIO

from django.utils import timezone

from counseling import services
from counseling.academic_year import academic_year_bounds, academic_year_of
from counseling.models import ArticleRead, Event, EventSignup, JournalArticle, JournalIssue
from counseling.services.activities import EventData
from portal.demo import DemoSchool

SEED = 20240525
PAST_ALL = "5.25 心理健康月 · 开幕式"
PAST_CS = "新生适应团体辅导"
UPCOMING_CS = "压力管理工作坊"
UPCOMING_ALL = "心理情景剧展演"

ISSUES = [
    (
        1,
        "春天，与自己和解",
        35,
        [
            (
                "写给刚来到校园的你",
                "心理健康教育中心",
                "<p>离开家乡来到武汉，第一次一个人面对新的生活，想家、失眠、不知道和室友怎么相处，"
                "都是很常见的感受。</p><h2>你可以试试</h2><ul><li>每天固定时间给家里打个电话</li>"
                "<li>和室友一起去一次食堂</li><li>有困难时来心理中心聊聊</li></ul>",
            ),
            (
                "Yiraqtiki Öyüm · 远方的家",
                "买买提·艾力",
                "<p>从喀什到武汉，三千多公里。刚来的时候我常常睡不着，后来心理委员拉着我参加了团体辅导，"
                "认识了很多朋友。</p><blockquote>ئۆيۈمنى سېغىندىم، لېكىن بۇ يەردىمۇ دوستلىرىم بار。</blockquote>"
                "<p>现在，我也想告诉新同学：你并不孤单。🌱</p>",
            ),
        ],
    ),
    (
        2,
        "5·25 我爱我",
        3,
        [
            (
                "考试周的减压小方法",
                "周静",
                "<p>复习紧张的时候，身体会先发出信号：肩膀僵硬、心跳加快、吃不下饭。</p>"
                "<ol><li><strong>4-7-8 呼吸</strong>：吸气 4 秒，屏息 7 秒，呼气 8 秒</li>"
                "<li>把任务拆小，一次只做一件事</li><li>保证睡眠，<em>熬夜不等于努力</em></li></ol>"
                '<p>更多资源见 <a href="https://www.12356.cn">12356 心理援助热线</a>。</p>',
            ),
            (
                "心理委员手记",
                "陈思雨",
                "<p>做心理委员一年，我学会的最重要的一件事，是认真地听。</p>",
            ),
        ],
    ),
]


def _event(school: DemoSchool, title: str, **fields: object) -> tuple[Event, bool]:
    existing = Event.objects.filter(title=title).first()
    if existing is not None:
        return existing, False
    actor = fields.pop("actor")
    data = EventData(
        title=title,
        description=str(fields.pop("description", "")),
        colleges=list(fields.pop("colleges", [])),
        enrolment_years=[],
        invited=[],
        **fields,
    )
    return services.event_create(actor=actor, data=data), True


def seed_activities(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    rng = random.Random(SEED)
    now = timezone.now()
    counselor, station = school.logins["counselor"], school.logins["station"]
    cs = school.colleges["CS"]
    created = {"counseling.event": 0, "counseling.eventsignup": 0, "counseling.journalissue": 0}
    created |= {"counseling.journalarticle": 0, "counseling.articleread": 0}

    # Past events: created as if planned weeks ago (the clock is moved back right after creation).
    year_start, _end = academic_year_bounds(academic_year_of(timezone.localdate()))
    for title, kind, audience, colleges, actor, days_ago, share in (
        (PAST_ALL, Event.Kind.MONTH_525, Event.Audience.ALL, [], counselor, 20, 0.45),
        (PAST_CS, Event.Kind.GROUP, Event.Audience.COLLEGES, [cs], station, 10, 0.3),
    ):
        start = max(now - timedelta(days=days_ago), year_start + timedelta(hours=1))
        if start + timedelta(hours=2) >= now:  # the first hours of an academic year: last year's, then
            start = now - timedelta(days=days_ago)
        event, new = _event(
            school,
            title,
            actor=actor,
            kind=kind,
            audience=audience,
            colleges=colleges,
            place="大学生活动中心 报告厅" if audience == Event.Audience.ALL else "计算机学院 心理辅导站 团辅室",
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2, hours=2),
            capacity=300 if audience == Event.Audience.ALL else 30,
            signup_opens_at=now,
            signup_closes_at=now + timedelta(days=1),
        )
        if not new:
            continue
        Event.objects.filter(pk=event.pk).update(
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            signup_opens_at=start - timedelta(days=7),
            signup_closes_at=start - timedelta(days=1),
        )
        pool = [
            s
            for s in school.students
            if s.status == "enrolled" and (audience == Event.Audience.ALL or s.college_id == cs.pk)
        ]
        attendees = [s for s in pool if rng.random() < share][: event.capacity]
        if audience == Event.Audience.ALL:
            attendees = [school.students_by_login["student"], *[s for s in attendees if s.user.username != "student"]]
        checked_in = start + timedelta(minutes=5)
        rows = [
            EventSignup(
                event=event,
                student=s,
                status=EventSignup.Status.ATTENDED,
                created_at=start - timedelta(days=3),
                checked_in_at=checked_in,
            )
            for s in attendees[: event.capacity]
        ]
        EventSignup.objects.bulk_create(rows)
        created["counseling.event"] += 1
        created["counseling.eventsignup"] += len(rows)

    # Upcoming events with sign-up open, through the services.
    for title, kind, audience, colleges, actor, capacity, signups in (
        (UPCOMING_CS, Event.Kind.GROUP, Event.Audience.COLLEGES, [cs], station, 5, 8),
        (UPCOMING_ALL, Event.Kind.MONTH_525, Event.Audience.ALL, [], counselor, 120, 6),
    ):
        event, new = _event(
            school,
            title,
            actor=actor,
            kind=kind,
            audience=audience,
            colleges=colleges,
            description="欢迎报名。名额已满时可进入候补，有人取消会自动递补并通知你。",
            place="计算机学院 心理辅导站 团辅室" if colleges else "大学生活动中心 剧场",
            starts_at=now + timedelta(days=5, hours=2),
            ends_at=now + timedelta(days=5, hours=4),
            capacity=capacity,
            signup_opens_at=now - timedelta(days=1),
            signup_closes_at=now + timedelta(days=4),
        )
        if not new:
            continue
        created["counseling.event"] += 1
        pool = [
            s
            for s in school.students
            if s.user.username != "student" and (not colleges or s.college_id == cs.pk) and s.status == "enrolled"
        ]
        for student in rng.sample(pool, signups):
            services.event_signup(student=student, event=event)
            created["counseling.eventsignup"] += 1

    # The journal.
    readers = [s.user for s in rng.sample(school.students, 40)]
    for number, title, days_ago, articles in ISSUES:
        issue = JournalIssue.objects.filter(number=number).first()
        if issue is not None:
            continue
        issue = services.journal_issue_save(actor=counselor, issue=None, title=title, number=number)
        created["counseling.journalissue"] += 1
        for position, (a_title, author, body) in enumerate(articles):
            services.journal_article_save(
                actor=counselor, issue=issue, article=None, title=a_title, author=author, body=body, position=position
            )
            created["counseling.journalarticle"] += 1
        services.journal_issue_publish(actor=counselor, issue=issue)
        JournalIssue.objects.filter(pk=issue.pk).update(published_at=now - timedelta(days=days_ago))
        reads = [
            ArticleRead(article=article, reader=reader)
            for article in JournalArticle.objects.filter(issue=issue)
            for reader in readers
            if rng.random() < 0.5
        ]
        ArticleRead.objects.bulk_create(reads, ignore_conflicts=True)
        created["counseling.articleread"] += len(reads)
    if stdout is not None:
        stdout.write(f"activities: {sum(created.values())} rows created\n")
    return created
