"""The postvention demo: the centre and the station see a plan in progress, the liaison has check-ins to do."""

import pytest
from django.urls import reverse

from counseling import selectors
from counseling.models import CheckIn, PostventionPlan
from portal import demo
from portal.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_plan_with_check_ins_for_the_liaison_written_once(client):
    demo.seed_demo()
    plan = PostventionPlan.objects.get()
    assert plan.case.level == 4 and plan.contacts.exists()
    liaison = User.objects.get(username="liaison")
    todo = list(selectors.my_checkins(liaison))
    assert todo and CheckIn.objects.filter(assignee=liaison, status=CheckIn.Status.DONE).exists()
    assert list(selectors.plans_for_progress(User.objects.get(username="station"))) == [plan]
    client.force_login(liaison)
    page = client.get(reverse("counseling:my_checkins")).content.decode()
    assert plan.student.name not in page and todo[0].contact.display_name in page
    demo.seed_demo()
    assert PostventionPlan.objects.count() == 1
