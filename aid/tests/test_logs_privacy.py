"""No income figure, ID number or family statement reaches the logs during an identification, through the views."""

import pytest
from django.urls import reverse

from aid.models import Identification
from aid.tests.factories import AcademicYearFactory
from portal.services import reminders_dispatch_due
from portal.tests.logcapture import all_logs

INCOME = "27182.81"
FAMILY_INCOME = "16180.33"
STATEMENT = "父亲身份证 420102197001011236，母亲常年卧床 NX-AID-STATEMENT"
ID_NUMBER = "420102197001011236"
RETURN_REASON = "请补充母亲的病历 NX-AID-REASON"


def form_data(**overrides: object) -> dict[str, object]:
    return {
        "household_size": "4",
        "household_income": INCOME,
        "household_debt": "3000",
        "special_statuses": ["dibao"],
        "statement": STATEMENT,
        "family-TOTAL_FORMS": "1",
        "family-INITIAL_FORMS": "0",
        "family-MIN_NUM_FORMS": "0",
        "family-MAX_NUM_FORMS": "15",
        "family-0-relation": "父亲",
        "family-0-age": "50",
        "family-0-occupation": "务农",
        "family-0-annual_income": FAMILY_INCOME,
        "save": "1",
        **overrides,
    }


@pytest.mark.django_db
def test_an_identification_logs_no_income_id_number_or_statement(
    world, client, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    AcademicYearFactory()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    student = world.student_a
    edit = reverse("aid:identification_edit")
    with all_logs() as lines, django_capture_on_commit_callbacks(execute=True):
        client.force_login(world["student"], backend="django.contrib.auth.backends.ModelBackend")
        assert client.post(edit, form_data()).status_code == 302
        # Refused input is shown back in the form, never logged.
        assert client.post(edit, form_data(household_income=f"-{INCOME}")).status_code == 200
        assert client.post(edit, form_data(submit="1", pledge="on")).status_code == 302
        ident = Identification.objects.get(student=student)
        assert ident.status == Identification.Status.SUBMITTED

        client.force_login(world["aidreviewer"], backend="django.contrib.auth.backends.ModelBackend")
        assert client.get(reverse("aid:identification_detail", args=[ident.pk])).status_code == 200
        assert client.get(reverse("portal:student_detail", args=[student.pk])).status_code == 200
        returned = client.post(reverse("aid:identification_return", args=[ident.pk]), {"reason": RETURN_REASON})
        assert returned.status_code == 302
        # The reviewer searching by ID number (a 404 for a student out of scope is logged by Django).
        client.get(reverse("aid:identification_list"), {"q": ID_NUMBER})
        client.get(reverse("aid:identification_detail", args=[ident.pk + 999]), {"q": ID_NUMBER})
        reminders_dispatch_due()

    ident.refresh_from_db()
    assert ident.status == Identification.Status.RETURNED  # the flow really ran
    assert any("Not Found" in line for line in lines), lines  # the capture works
    log = "\n".join(lines)
    for secret in (INCOME, FAMILY_INCOME, STATEMENT, ID_NUMBER, RETURN_REASON, "NX-AID", student.id_card_number):
        assert secret not in log, secret
