"""The e-journal: issues and articles by the centre, publishing, reading, read counts (numbers only),
the "new issue" notice instead of a notification per student, and bad input on every form."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from counseling import selectors, services
from counseling.models import ArticleRead, JournalArticle, JournalIssue
from portal.models import Notification, Reminder

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(world):
    issue = services.journal_issue_save(actor=world["counselor"], issue=None, title="春天，与自己和解", number=7)
    services.journal_article_save(
        actor=world["counselor"],
        issue=issue,
        article=None,
        title="写给你",
        author="心理中心",
        body="<p>你并不孤单 🌱</p><script>alert(1)</script>",
    )
    return issue


def test_the_centre_writes_and_publishes_and_nobody_gets_a_notification_row(world, client_for, issue):
    article = issue.articles.get()
    assert article.body == "<p>你并不孤单 🌱</p>"
    student = client_for(world["student"])
    assert student.get(reverse("counseling:journal_issue", args=[issue.pk])).status_code == 404  # draft
    assert selectors.journal_new_issue_for(world["student"]) is None

    response = client_for(world["counselor"]).post(reverse("counseling:journal_issue_publish", args=[issue.pk]))
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.published_at is not None
    assert not Notification.objects.exists() and not Reminder.objects.exists()
    assert selectors.journal_new_issue_for(world["student"]) == issue

    student = client_for(world["student"])
    page = student.get(reverse("counseling:journal_article", args=[article.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<p>你并不孤单 🌱</p>" in body and "alert(1)" not in body
    assert "read" not in body.split('data-testid="article-body"')[1].split("</article>")[0].lower()  # no count
    assert selectors.journal_new_issue_for(world["student"]) is None  # opened: no longer new


def test_read_counts_are_one_per_reader_and_shown_to_editors_as_a_number(world, client_for, issue):
    services.journal_issue_publish(actor=world["counselor"], issue=issue)
    article = issue.articles.get()
    url = reverse("counseling:journal_article", args=[article.pk])
    for persona in ("student", "student", "liaison", "aidofficer"):
        assert client_for(world[persona]).get(url).status_code == 200
    assert ArticleRead.objects.filter(article=article).count() == 3
    editor = client_for(world["counselor"])
    issue_page = editor.get(reverse("counseling:journal_issue", args=[issue.pk])).content.decode()
    assert "3 reads" in issue_page
    assert world.student_a.name not in issue_page  # who read is never shown
    assert "4 reads" in editor.get(url).content.decode()  # the editor's own read counts too


def test_the_new_issue_notice_expires(world, issue):
    services.journal_issue_publish(actor=world["counselor"], issue=issue)
    JournalIssue.objects.filter(pk=issue.pk).update(published_at=timezone.now() - timedelta(days=31))
    assert selectors.journal_new_issue_for(world["student"]) is None


def test_publishing_needs_an_article_and_happens_once(world, client_for):
    empty = services.journal_issue_save(actor=world["counselor"], issue=None, title="空", number=8)
    client = client_for(world["counselor"])
    url = reverse("counseling:journal_issue_publish", args=[empty.pk])
    assert "Add at least one article" in client.post(url, follow=True).content.decode()
    services.journal_article_save(actor=world["counselor"], issue=empty, article=None, title="t", author="", body="x")
    assert "The issue is published." in client.post(url, follow=True).content.decode()
    assert "already published" in client.post(url, follow=True).content.decode()
    assert "back to draft" in client.post(url, {"unpublish": "1"}, follow=True).content.decode()


def test_the_journal_list_shows_drafts_to_editors_only(world, client_for, issue):
    assert "春天" in client_for(world["counselor"]).get(reverse("counseling:journal_list")).content.decode()
    assert "春天" not in client_for(world["student"]).get(reverse("counseling:journal_list")).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"number": "0", "title": "x"}, "greater than or equal to 1"),
        ({"number": "-1", "title": "x"}, "greater than or equal to 1"),
        ({"number": "7", "title": "x"}, "already exists"),
        ({"number": "9", "title": "长" * 100_000}, "at most 200 characters"),
        ({"number": "9", "title": "a\x00b"}, "Null characters are not allowed"),
        ({"number": "abc", "title": "x"}, "Enter a whole number"),
        ({"number": "9", "title": ""}, "This field is required"),
    ],
)
def test_bad_issue_input(world, client_for, issue, data, message):
    response = client_for(world["counselor"]).post(reverse("counseling:journal_issue_new"), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert JournalIssue.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "长" * 100_000, "body": "<p>x</p>"}, "at most 200 characters"),
        ({"title": "a\x00", "body": "<p>x</p>"}, "Null characters are not allowed"),
        ({"title": "t", "body": "<p>x\x07</p>"}, "control characters"),
        ({"title": "t", "body": "<script>alert(1)</script>"}, "The article has no text."),
        ({"title": "t", "body": "x" * 200_001}, "at most 200000 characters"),
        ({"title": "t", "body": "<p>x</p>", "position": "-1"}, "greater than or equal to 0"),
        ({"title": "t", "body": ""}, "This field is required"),
    ],
)
def test_bad_article_input(world, client_for, issue, data, message):
    response = client_for(world["counselor"]).post(
        reverse("counseling:journal_article_new", args=[issue.pk]), {"author": "", "position": "0"} | data
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert JournalArticle.objects.count() == 1


def test_editing_an_article_sanitises_again(world, client_for, issue):
    article = issue.articles.get()
    url = reverse("counseling:journal_article_edit", args=[article.pk])
    client = client_for(world["counselor"])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"title": "新标题", "author": "", "position": "1", "body": '<p onclick="x()">改</p><img src=x onerror=y>'}
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.body, article.position) == ("新标题", "<p>改</p><img>", 1)
    edit_issue = reverse("counseling:journal_issue_edit", args=[issue.pk])
    assert client.post(edit_issue, {"number": "12", "title": "改名"}).status_code == 302
    issue.refresh_from_db()
    assert (issue.number, issue.title) == (12, "改名")
