"""No narrative reaches the logs: a full crisis flow through the views, with every log record captured."""

import uuid

import pytest
from django.urls import reverse

from counseling.models import Case, Report, Sign
from portal.services import reminders_dispatch_due
from portal.tests.logcapture import all_logs

NARRATIVE = "她说想从北苑三栋楼顶跳下去 NX-LOG-NARRATIVE"
WHERE = "昨晚十一点 NX-LOG-WHERE"
NOTE = "与母亲通话，家中经济困难 NX-LOG-NOTE"
ANSWER = "她现在和辅导员在一起 NX-LOG-ANSWER"
SECRETS = (NARRATIVE, WHERE, NOTE, ANSWER, "NX-LOG")


@pytest.mark.django_db
def test_a_crisis_flow_from_report_to_close_logs_no_narrative(
    world, client, django_capture_on_commit_callbacks, settings
):
    settings.SMS_BACKEND = "portal.sms.log_only"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    station, counselor = world["station"], world["counselor"]
    with all_logs() as lines, django_capture_on_commit_callbacks(execute=True):
        client.force_login(world["liaison"], backend="django.contrib.auth.backends.ModelBackend")
        response = client.post(
            reverse("counseling:report_new"),
            {
                "about": "other",
                "student_no": world.student_a.student_no,
                "relation": "roommate",
                "signs": [Sign.SUICIDE_TALK],
                "narrative": NARRATIVE,
                "when_where": WHERE,
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        assert response.status_code == 302
        report = Report.objects.latest("id")
        assert report.narrative == NARRATIVE
        case = report.case
        # A refused submit and a refused page (Django logs 4xx responses) carry nothing of the text either.
        client.post(reverse("counseling:report_new"), {"about": "other", "narrative": "", "when_where": WHERE})
        client.get(reverse("counseling:case_detail", args=[case.pk]), {"q": NARRATIVE})

        client.force_login(station, backend="django.contrib.auth.backends.ModelBackend")
        assert client.get(reverse("counseling:case_detail", args=[case.pk])).status_code == 200
        assert client.post(reverse("counseling:case_acknowledge", args=[case.pk])).status_code == 302
        level = {"level": 3, "self_harm_level": 3, "others_harm_level": 1, "reason": NOTE}
        assert client.post(reverse("counseling:case_level", args=[case.pk]), level).status_code == 302
        assert client.post(reverse("counseling:case_note", args=[case.pk]), {"note": NOTE}).status_code == 302
        ask = client.post(reverse("counseling:report_ask", args=[report.pk]), {"question": f"{NOTE}？"})
        assert ask.status_code == 302

        client.force_login(world["liaison"], backend="django.contrib.auth.backends.ModelBackend")
        question = report.questions.get()
        answer = client.post(reverse("counseling:my_question_answer", args=[question.pk]), {"answer": ANSWER})
        assert answer.status_code == 302

        client.force_login(counselor, backend="django.contrib.auth.backends.ModelBackend")
        closing = {"to_status": "closed", "reason": "resolved", "note": NOTE}
        assert client.post(reverse("counseling:case_status", args=[case.pk]), closing).status_code == 302
        assert client.get(reverse("counseling:care_file", args=[world.student_a.pk])).status_code == 200
        reminders_dispatch_due()

    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED  # the flow really ran to the end
    assert case.events.count() >= 5
    assert any("Forbidden" in line or "Not Found" in line for line in lines), lines  # the capture works
    log = "\n".join(lines)
    for secret in SECRETS:
        assert secret not in log, secret
    assert world.student_a.id_card_number not in log
