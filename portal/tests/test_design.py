"""The student look (docs/design.md, "The look"): who gets it, and the vendored icons behind `{% icon %}`."""

import re
from pathlib import Path

import lxml.html
import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse

from portal.templatetags.icons import UnknownIcon

ICON_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "bootstrap-icons" / "icons"
ICON_TAG = re.compile(r"""\{%\s*icon\s+["']([a-z0-9-]+)["']""")
# Icons a template names through a variable (the empty state's `icon=`): they count as used too.
ICON_ARGUMENT = re.compile(r"""\bicon(?:=|\|default:)["']([a-z0-9-]+)["']""")
# A tile's icon is its second argument; the tag itself adds the chevron (portal/templatetags/icons.py).
TILE_TAG = re.compile(r"""\{%\s*tile\s+["'][^"']+["']\s+["']([a-z0-9-]+)["']""")
ICON_CALL = re.compile(r"""\bicon\(["']([a-z0-9-]+)["']""")


def _templates() -> list[Path]:
    root = Path(settings.BASE_DIR)
    return [p for p in root.glob("**/templates/**/*.html") if ".venv" not in p.parts and "node_modules" not in p.parts]


def _body_classes(response) -> list[str]:
    doc = lxml.html.fromstring(response.content.decode())
    return (doc.xpath("//body")[0].get("class") or "").split()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["student", "liaison", "committee"])
def test_students_and_peer_roles_get_the_student_look(world, client_for, persona):
    response = client_for(world[persona]).get(reverse("portal:home"))
    assert "look-warm" in _body_classes(response)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["station", "counselor", "aidofficer", "visitor", "admin"])
def test_staff_pages_keep_the_dense_look(world, client_for, persona):
    for url in (reverse("portal:home"), reverse("portal:notifications")):
        assert "look-warm" not in _body_classes(client_for(world[persona]).get(url)), url


@pytest.mark.django_db
def test_signed_out_pages_get_the_student_look(client):
    assert "look-warm" in _body_classes(client.get(reverse("login")))


@pytest.mark.django_db
def test_a_staff_member_who_is_also_a_student_keeps_the_staff_look(world, client_for):
    from portal.models import Role
    from portal.tests.factories import grant

    grant(world["station"], Role.STUDENT)
    assert "look-warm" not in _body_classes(client_for(world["station"]).get(reverse("portal:home")))


def test_the_icon_tag_inlines_a_hidden_svg_without_inline_style():
    html = Template('{% load icons %}{% icon "chat-heart" "nx-tile-icon" %}').render(Context())
    svg = lxml.html.fragment_fromstring(html)
    assert svg.tag == "svg"
    assert svg.get("aria-hidden") == "true" and svg.get("focusable") == "false"
    assert svg.get("class") == "bi bi-chat-heart nx-tile-icon"
    assert svg.get("fill") == "currentColor"
    assert "style" not in html  # the CSP forbids inline style
    assert svg.xpath(".//path")


def test_an_unknown_icon_fails_loudly():
    with pytest.raises(UnknownIcon):
        Template('{% load icons %}{% icon "no-such-icon" %}').render(Context())
    with pytest.raises(UnknownIcon):
        Template('{% load icons %}{% icon "../../css/portal" %}').render(Context())


def test_a_tile_is_one_link_with_its_icon_title_line_and_chevron_all_escaped():
    html = Template(
        '{% load icons %}{% tile "portal:student_detail" "person-heart" title line 42 %}'
        '{% tile "portal:notifications" "bell" title "" %}'
    ).render(Context({"title": "买买提·艾力 <b>", "line": "Your <i>class</i>"}))
    links = lxml.html.fragments_fromstring(html)
    assert [a.tag for a in links] == ["a", "a"]
    first, second = links
    assert first.get("href") == reverse("portal:student_detail", args=[42])
    assert "nx-tile" in first.get("class").split()
    assert [svg.get("class") for svg in first.xpath(".//svg")] == [
        "bi bi-person-heart nx-tile-icon nx-deco",
        "bi bi-chevron-right nx-tile-chevron nx-deco",
    ]
    assert first.xpath("string(.//*[@class='nx-tile-title'])") == "买买提·艾力 <b>"
    assert first.xpath("string(.//small)") == "Your <i>class</i>"
    assert "<b>" not in html and "<i>" not in html
    assert second.xpath(".//small") == []  # no empty line under a title without one


def test_only_the_icons_the_templates_use_are_vendored():
    used: set[str] = set()
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        used |= set(ICON_TAG.findall(text)) | set(ICON_ARGUMENT.findall(text)) | set(TILE_TAG.findall(text))
    used |= set(ICON_CALL.findall((Path(settings.BASE_DIR) / "portal" / "templatetags" / "icons.py").read_text()))
    vendored = {p.stem for p in ICON_DIR.glob("*.svg")}
    assert used - vendored == set(), "used but not vendored"
    assert vendored - used == set(), "vendored but unused: remove them"
    assert (ICON_DIR.parent / "LICENSE").read_text().startswith("The MIT License")
