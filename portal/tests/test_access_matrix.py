"""Who may see what, for every URL: declared for every view, enforced, and shown in docs/access-matrix.md.

The world (portal/tests/matrix.py) is built once for the module: the demo school plus same-role personas of
another college, student and trip. Every URL pattern is requested by every persona on an object of scope A
and one of scope B, with GET and an empty POST, each in a savepoint rolled back afterwards.

Set MATRIX_DUMP=/path/file.json to write every request's result (view, persona, variant, method, status,
error, redirect target) for inspection.
"""

import json
import os

import pytest
from django.apps import apps
from django.db import connection

from portal import access
from portal.tests import matrix

# Makes pytest-django create the test database, which the module-scoped world below needs.
pytestmark = pytest.mark.django_db

SIGN_IN = "/accounts/login/"


@pytest.fixture(scope="module")
def results(django_db_setup, django_db_blocker) -> matrix.Measured:
    with django_db_blocker.unblock():
        # Never the configured database: the world is written (and rolled back) in the test database only.
        assert connection.settings_dict["NAME"].startswith("test_"), connection.settings_dict["NAME"]
        measured = matrix.measure(inspect=_inspect)
    if os.environ.get("MATRIX_DUMP"):
        with open(os.environ["MATRIX_DUMP"], "w") as out:
            errors, locations = measured.errors, measured.locations
            rows = [
                [c.view_name, c.persona, c.variant, c.method, s, errors.get(c, ""), locations.get(c, "")]
                for c, s in measured.statuses.items()
            ]
            json.dump(rows, out)
    return measured


SCOPED_KINDS = ["portal.Student", "counseling.Case", "aid.Identification", "aid.Application", "homevisits.Trip"]


def _inspect(world: matrix.World) -> dict[str, dict]:
    """What access.visible says, asked while the world exists: per URL cell, and per scoped kind."""
    kinds = {}
    for label in SCOPED_KINDS:
        model = apps.get_model(label)
        for variant in "AB":
            obj = world.objects[(label, variant)]
            for persona, user in world.personas.items():
                if user is not None:
                    access.forget_scopes(user)
                    kinds[(label, variant, persona)] = access.visible(user, model).filter(pk=obj.pk).exists()
    return {"cells": _visibility(world), "kinds": kinds}


def _visibility(world: matrix.World) -> dict[tuple[str, str, str], bool]:
    """(view name, persona, variant) -> whether every object of the URL is in access.visible(persona, its model)."""
    found = {}
    for pattern in matrix.url_patterns():
        objects = matrix.objects_of(pattern)
        for variant in matrix.variants_of(pattern):
            if not variant:
                continue
            for persona, user in world.personas.items():
                seen = True
                for label in objects.values():
                    obj = world.objects.get((label, variant))
                    if obj is None or user is None:
                        seen = False
                        break
                    model = apps.get_model(label)
                    if not access.has_visibility_rules(model):
                        continue  # the view decides by other means (ClassGroup: the reviewer's college)
                    access.forget_scopes(user)
                    seen = seen and access.visible(user, model).filter(pk=obj.pk).exists()
                found[(pattern.view_name, persona, variant)] = seen
    return found


def _declared(view_name: str) -> access.ViewRule:
    return access.view_rule_for(view_name)


def _is_public(view_name: str) -> bool:
    return view_name.startswith("admin:") or access.PUBLIC in _declared(view_name).roles


def _label(c: matrix.Cell) -> str:
    return f"{c.method} {c.view_name} [{c.variant}] as {c.persona}"


def test_every_url_pattern_declares_who_may_use_it():
    assert [p.view_name or p.route for p in matrix.undeclared_patterns()] == []


def test_every_declared_view_exists_in_the_urlconf():
    """A declaration left behind by a removed or renamed URL would hide a typo in a new one."""
    names = {p.view_name for p in matrix.url_patterns()}
    stale = [name for name in access.declared_views() if not name.endswith(":*") and name not in names]
    assert stale == []


def test_the_world_has_objects_of_both_scopes_for_the_scoped_kinds(results):
    """Without a B object the IDOR checks below would test nothing for that kind."""
    scoped = [
        "portal.Student",
        "counseling.Case",
        "counseling.Report",
        "aid.Identification",
        "aid.Application",
        "aid.FiveAidCase",
        "homevisits.Trip",
        "homevisits.TripStudent",
        "homevisits.VisitRecord",
        "homevisits.Expense",
    ]
    missing = [f"{label} {v}" for label in scoped for v in "AB" if (label, v) not in results.world.objects]
    assert missing == []


def test_no_request_fails_with_a_server_error(results):
    assert {_label(c): e for c, e in results.errors.items()} == {}
    assert [_label(c) for c, s in results.statuses.items() if s >= 500] == []


def test_signed_out_visitors_are_sent_to_sign_in_from_every_non_public_url(results):
    wrong = {
        _label(c): f"{s} {results.locations.get(c, '')}"
        for c, s in results.statuses.items()
        if c.persona == matrix.ANONYMOUS
        and not _is_public(c.view_name)
        and not (s == 302 and results.locations.get(c, "").startswith(SIGN_IN))
    }
    assert wrong == {}


def test_a_role_or_method_the_declaration_does_not_name_is_refused_everywhere(results):
    """405 for a method not declared; then, for a role not named, the rule's `refused` status (403, or 404 where
    such roles can see no object of the kind)."""
    world_roles = matrix.persona_roles()
    checked = 0
    wrong = {}
    for c, s in results.statuses.items():
        if c.persona == matrix.ANONYMOUS or c.view_name.startswith("admin:"):
            continue
        declared = _declared(c.view_name)
        if not declared.allows_method(c.method):
            expected = 405
        elif {access.PUBLIC, access.SIGNED_IN} & set(declared.roles) or world_roles[c.persona] & set(declared.roles):
            continue
        else:
            expected = declared.refused
        checked += 1
        if s != expected:
            wrong[_label(c)] = f"{s}, expected {expected}"
    assert wrong == {}
    assert checked > 1000  # most personas are refused most staff pages: the check ran


def test_no_object_outside_a_personas_scope_is_shown_or_changed(results):
    """IDOR: every object id in a URL, tried by each persona who may not see it (access.visible and the
    world's design, OWN_SCOPE), answers 403, 404 or 405, never a page or a redirect after a change."""
    leaks = {}
    checked = 0
    for c, s in results.statuses.items():
        if not c.variant or c.persona == matrix.ANONYMOUS or _is_public(c.view_name):
            continue
        if (c.view_name, c.persona, c.variant) in matrix.SHARED_OBJECTS_ALLOWED:
            continue
        # Funds, events, journal issues: one object, in everybody's scope who may use the page.
        school_wide = any(
            (label, "B") not in results.world.objects for label in matrix.objects_of_view(c.view_name).values()
        )
        out_of_design = c.variant not in matrix.OWN_SCOPE[c.persona] and not school_wide
        out_of_access = not results.inspected["cells"][(c.view_name, c.persona, c.variant)]
        if not (out_of_design or out_of_access):
            continue
        checked += 1
        if s not in (403, 404, 405):
            leaks[_label(c)] = f"{s} {results.locations.get(c, '')}"
    assert leaks == {}
    assert checked > 1000


def test_the_worlds_design_agrees_with_access_visible_for_scoped_kinds(results):
    """OWN_SCOPE is written by hand from the roles table of /work/shared/DOMAIN.md; access.visible must agree."""
    readers = {
        "portal.Student": {"student", "student_b", "station", "counselor", "aidreviewer", "aidofficer", "admin"}
        | {"station_b", "aidreviewer_b"},
        "counseling.Case": {"station", "counselor", "admin", "station_b", "assessor"},  # assigned to case A
        "aid.Identification": {"student", "aidreviewer", "aidofficer", "admin", "aidreviewer_b"},
        "aid.Application": {"aidreviewer", "aidofficer", "admin", "aidreviewer_b"},
        "homevisits.Trip": {"visitor", "aidofficer", "admin", "visitor_b"},
    }
    wrong = {}
    for (label, variant, persona), seen in results.inspected["kinds"].items():
        expected = persona in readers[label] and variant in matrix.OWN_SCOPE[persona]
        if seen != expected:
            wrong[f"{label} {variant} as {persona}"] = seen
    assert wrong == {}


# A few expectations per role, written by hand from the roles table of the domain guide rather than read
# from the code under test: (view name, persona, variant, method) -> status. A role that may never see an
# object of a kind gets 404 for it where the page hides existence (cases, identifications, trips), 403 where the
# page refuses by role first (care files, funds).
KEY_EXPECTATIONS = {
    # Students and student roles never see anyone's records.
    ("counseling:queue", "student", "", "GET"): 403,
    ("counseling:case_detail", "student", "A", "GET"): 404,
    ("counseling:care_file", "liaison", "A", "GET"): 403,
    ("counseling:care_file", "committee", "A", "GET"): 403,
    ("aid:identification_list", "student", "", "GET"): 403,
    ("aid:identification_detail", "student", "A", "GET"): 302,  # their own: sent to "my identification"
    ("aid:identification_detail", "student", "B", "GET"): 404,  # another student's
    ("portal:student_detail", "student", "B", "GET"): 404,
    ("counseling:slots", "student", "", "GET"): 200,
    ("counseling:zero_report", "committee", "", "GET"): 200,
    ("counseling:zero_report", "student", "", "GET"): 403,
    # The college station: its own college's cases and care files, 404 for another college's.
    ("counseling:case_detail", "station", "A", "GET"): 200,
    ("counseling:case_detail", "station", "B", "GET"): 404,
    ("counseling:case_detail", "station_b", "A", "GET"): 404,
    ("counseling:care_file", "station", "A", "GET"): 200,
    ("counseling:care_file", "station", "B", "GET"): 404,
    # Counselling staff never see family finances.
    ("aid:identification_detail", "station", "A", "GET"): 404,
    ("aid:identification_detail", "counselor", "A", "GET"): 404,
    ("aid:fund_list", "counselor", "", "GET"): 403,
    # The centre sees every college.
    ("counseling:case_detail", "counselor", "B", "GET"): 200,
    ("counseling:care_file", "counselor", "B", "GET"): 200,
    # Aid staff never see clinical content.
    ("counseling:care_file", "aidofficer", "A", "GET"): 403,
    ("counseling:case_detail", "aidofficer", "A", "GET"): 404,
    ("counseling:queue", "aidreviewer", "", "GET"): 403,
    # The college aid reviewer: their college only; the officer: the whole school.
    ("aid:identification_detail", "aidreviewer", "A", "GET"): 200,
    ("aid:identification_detail", "aidreviewer", "B", "GET"): 404,
    ("aid:identification_detail", "aidreviewer_b", "A", "GET"): 404,
    ("aid:identification_detail", "aidofficer", "B", "GET"): 200,
    ("aid:fund_list", "aidofficer", "", "GET"): 200,
    ("aid:fund_list", "aidreviewer", "", "GET"): 403,
    # Home-visit teams: their own trips; another team's trip is a 404.
    ("homevisits:trip_detail", "visitor", "A", "GET"): 200,
    ("homevisits:trip_detail", "visitor", "B", "GET"): 404,
    ("homevisits:trip_detail", "visitor_b", "A", "GET"): 404,
    ("homevisits:trip_detail", "visitor_b", "B", "GET"): 200,
    ("homevisits:record_detail", "visitor", "B", "GET"): 404,
    ("homevisits:trip_detail", "station", "A", "GET"): 404,
    ("counseling:care_file", "visitor", "A", "GET"): 403,
    ("aid:identification_detail", "visitor", "A", "GET"): 404,
    # Admin: the Django admin; other staff are sent to its sign-in page.
    ("admin:portal_student_changelist", "admin", "", "GET"): 200,
    ("admin:portal_student_changelist", "counselor", "", "GET"): 302,
    # GET-only pages refuse a POST, action URLs a GET.
    ("counseling:care_file", "counselor", "A", "POST"): 405,
    ("counseling:case_acknowledge", "station", "A", "GET"): 405,
    ("logout", "student", "", "GET"): 405,
}


def test_key_expectations_of_each_role(results):
    got = {key: results.statuses.get(matrix.Cell(*key)) for key in KEY_EXPECTATIONS}
    assert got == KEY_EXPECTATIONS


def test_the_committed_matrix_is_current(results):
    path = matrix.DOCUMENT
    committed = path.read_text(encoding="utf-8") if path.exists() else ""
    assert committed == results.document, "docs/access-matrix.md is stale: run `python manage.py access_matrix`"
