"""The demo step: every state present, `student` approved as "difficult", idempotent."""

import pytest
from django.urls import reverse

from aid.models import EvaluationGroup, Identification, Notice
from aid.selectors.identification import current_tier, notice_is_running
from portal.demo import seed_demo
from portal.models import User


@pytest.fixture
def demo(db):
    return seed_demo()


@pytest.mark.slow
def test_the_demo_has_every_state_and_a_second_run_writes_nothing(demo, client_for):
    statuses = set(Identification.objects.values_list("status", flat=True))
    assert statuses == set(Identification.Status.values)
    student = User.objects.get(username="student").student
    assert current_tier(student) == "difficult"
    group = EvaluationGroup.objects.get(class_group=student.class_group)
    assert group.members.filter(username="committee").exists()
    assert any(notice_is_running(n) for n in Notice.objects.filter(kind=Notice.Kind.COLLEGE))
    count = Identification.objects.count()
    again = seed_demo()
    assert not any(label.startswith("aid.identification") or label == "aid.notice" for label in again["created"])
    assert Identification.objects.count() == count
    committee = client_for(User.objects.get(username="committee"))
    assert committee.get(reverse("aid:evaluation_mine")).content.decode().count('data-testid="evaluation-row"') == 3
