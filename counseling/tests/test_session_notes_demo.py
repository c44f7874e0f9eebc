"""The session-notes demo: `station` is a trainee of `counselor`, whose queue shows an overdue note; once."""

import pytest
from django.urls import reverse

from counseling.models import SessionNote, Supervision
from portal import demo
from portal.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_shows_every_state_of_a_note_and_a_second_run_adds_nothing(client):
    demo.seed_demo()
    assert Supervision.objects.get(trainee__username="station").supervisor.username == "counselor"
    statuses = sorted(SessionNote.objects.values_list("status", flat=True))
    assert statuses == ["awaiting_cosign", "draft", "signed"]
    assert SessionNote.objects.get(status="signed").amendments.count() == 1
    client.force_login(User.objects.get(username="counselor"), backend="django.contrib.auth.backends.ModelBackend")
    html = client.get(reverse("counseling:cosign_queue")).content.decode()
    assert html.count('data-testid="queue-note"') == 1 and 'data-testid="overdue"' in html
    demo.seed_demo()
    assert SessionNote.objects.count() == 3 and Supervision.objects.count() == 1
