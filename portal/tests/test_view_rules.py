"""The rule of a view is written on its URL pattern (portal.access.page) and read off the URLconf.

This module is itself a small URLconf (ROOT_URLCONF overridden below): one page with a rule, a namespaced
include whose patterns are spliced from another list (as aid/urls.py splices urls_funds.py), one pattern
written with plain `path`, which no rule covers, and the project's URLconf under site/ (the error pages link
to its pages; its admin has one rule for all its URLs, `every_page`).
"""

import sys
import types

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

from portal import access
from portal.access import GET_ONLY, POST_ONLY, PUBLIC, SIGNED_IN, every_page, page, rule
from portal.models import Role
from portal.tests import matrix


def ok(request):
    return HttpResponse("ok")


# An area's list, without a namespace of its own: its rules are those of the namespace it is spliced into.
area_patterns = [
    page("spliced/<int:pk>/", ok, "spliced", rule(Role.AID_OFFICER, pk="portal.Student", methods=GET_ONLY)),
]
urlpatterns = [
    page("open/", ok, "open", rule(PUBLIC, methods=GET_ONLY)),
    path("area/", include(([page("", ok, "index", rule(SIGNED_IN)), *area_patterns], "area"))),
    path("bare/", ok, name="bare"),  # no rule: refused to everyone, and reported
    path("site/", include("portal.urls")),
]

THIS_URLCONF = override_settings(ROOT_URLCONF=__name__)


@THIS_URLCONF
def test_a_rule_is_found_under_the_resolved_view_name_of_its_pattern():
    assert access.view_rule_for("open") == rule(PUBLIC, methods=GET_ONLY)
    assert access.view_rule_for("area:index") == rule(SIGNED_IN)
    assert access.view_rule_for("area:spliced") == rule(Role.AID_OFFICER, pk="portal.Student", methods=GET_ONLY)
    assert access.view_rule_for("admin:portal_student_changelist") == rule(PUBLIC)  # every_page: "admin:*"
    assert access.view_rule_for("bare") is None
    assert access.view_rule_for("spliced") is None  # only under the namespace it is spliced into
    assert {"open", "area:index", "area:spliced", "admin:*"} <= set(access.declared_views())


@THIS_URLCONF
def test_a_pattern_without_a_rule_is_reported():
    assert access.patterns_without_rule() == ["bare"]
    assert [p.view_name for p in matrix.undeclared_patterns()] == ["bare"]
    messages = access.check_view_rules()
    assert [(m.id, m.msg) for m in messages] == [
        ("portal.W001", "URL bare has no access rule: it is refused to everyone")
    ]


@THIS_URLCONF
@pytest.mark.django_db
def test_the_middleware_refuses_a_url_without_a_rule_to_everyone_and_applies_the_others():
    client = Client()
    assert client.get("/bare/").status_code == 403
    assert client.get("/open/").status_code == 200
    assert client.post("/open/").status_code == 405
    response = client.get("/area/")
    assert response.status_code == 302 and response["Location"].endswith("accounts/login/?next=/area/")


def _urlconf(monkeypatch, name: str, patterns: list) -> str:
    module = types.ModuleType(name)
    module.urlpatterns = patterns
    monkeypatch.setitem(sys.modules, name, module)
    return name


def test_one_name_with_two_different_rules_is_an_error(monkeypatch):
    name = _urlconf(
        monkeypatch,
        "portal.tests._twice_urls",
        [
            page("a/", ok, "twice", rule(SIGNED_IN)),
            page("b/", ok, "twice", rule(SIGNED_IN, methods=POST_ONLY)),
        ],
    )
    with override_settings(ROOT_URLCONF=name):
        with pytest.raises(ValueError, match="twice, differently"):
            access.view_rule_for("twice")
        assert [m.id for m in access.check_view_rules()] == ["portal.E001"]


def test_the_same_rule_twice_is_no_error(monkeypatch):
    name = _urlconf(
        monkeypatch,
        "portal.tests._same_twice_urls",
        [page("a/", ok, "same", rule(SIGNED_IN)), page("b/", ok, "same", rule(SIGNED_IN))],
    )
    with override_settings(ROOT_URLCONF=name):
        assert access.view_rule_for("same") == rule(SIGNED_IN)


def test_page_takes_a_rule_and_every_page_a_namespaced_include():
    with pytest.raises(TypeError):
        page("x/", ok, "x", (Role.STUDENT,))
    with pytest.raises(ValueError, match="namespace"):
        every_page("x/", include([path("", ok, name="x")]), rule(PUBLIC))


def test_the_project_urlconf_has_a_rule_for_every_url():
    assert access.patterns_without_rule() == []
    assert access.check_view_rules() == []
