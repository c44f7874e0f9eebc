"""Every form of the hostile-input table, as its persona sees it: required fields are marked, errors sit by their field.

For each entry of `portal.tests.test_hostile_forms.ENTRIES` the page that renders the form is opened and the
form instance the view used is taken from the context. For every visible field shown on the page:

- its label (the `<label for>` of the input, or the `<legend>` of the fieldset of a radio or checkbox group)
  carries the required mark (`.asteriskField`, templates/forms/required_mark.html) exactly when the form needs
  the field (`portal.kernel.form_marks.is_marked_required`: `required`, or declared with `mark_required`);
- a label that says "optional" (选填) never belongs to a field that is marked required.

Then the form is sent empty: every field error on the answer must be in an element the field points at with
`aria-describedby` (Django does this for crispy fields), or inside the field's own crispy wrapper.
"""

from __future__ import annotations

import re

import lxml.html
import pytest
from django import forms
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from portal.kernel.form_marks import is_marked_required
from portal.tests import test_hostile_forms as hostile
from portal.tests.test_hostile_forms import ANONYMOUS, ENTRIES, Entry, find_form, form_posted_from_page, management_data

demo_school = hostile.demo_school  # the seeded school, once for this module


@pytest.fixture
def demo(demo_school, db) -> hostile.Demo:
    return demo_school


OPTIONAL_WORDS = re.compile(r"optional|选填|可选", re.IGNORECASE)
MULTIPLE_INPUTS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


def _client(demo, entry: Entry) -> Client:
    client = Client()
    if entry.username(demo) != ANONYMOUS:
        client.force_login(demo.user(entry.username(demo)), backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["django_language"] = "en"
    return client


def _open_page(demo, entry: Entry, client: Client):
    page_url = entry.page(demo) if entry.page else entry.url(demo)
    page = client.post(page_url, entry.page_data(demo)) if entry.page_data else client.get(page_url)
    assert page.status_code == 200, f"{entry.persona} cannot open the page of {entry.form}"
    form = find_form(page.context, entry.form_class) or form_posted_from_page(page, entry.form_class, entry.url(demo))
    assert form is not None, f"{entry.form} is not on the page {page.request['PATH_INFO']}"
    return page, form


def _inputs(doc, bound: forms.BoundField) -> list:
    """The field's inputs: by its id when the page kept it (a page may hold several forms with a `reason`)."""
    found = [
        el
        for el in doc.xpath("//*[@name=$name]", name=bound.html_name)
        if el.tag in ("input", "select", "textarea") and el.get("type") != "hidden"
    ]
    own_id = bound.id_for_label or bound.auto_id
    mine = [el for el in found if own_id and (el.get("id") or "").startswith(own_id)]
    return mine or found


def _label_of(doc, bound: forms.BoundField, element) -> object | None:
    """The element that names the field: a group's legend, or the input's <label for>."""
    if isinstance(bound.field.widget, MULTIPLE_INPUTS):
        fieldsets = element.xpath("ancestor::fieldset[1]")
        if fieldsets:
            legends = fieldsets[0].xpath(".//legend")
            return legends[0] if legends else None
    if element.get("id"):
        labels = doc.xpath("//label[@for=$id]", id=element.get("id"))
        if labels:
            return labels[0]
    return None


def _marked(label) -> bool:
    return bool(label.xpath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' asteriskField ')]"))


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_required_fields_are_marked_and_optional_ones_are_not(demo, entry: Entry):
    if entry.setup:
        entry.setup(demo)
    client = _client(demo, entry)
    page, form = _open_page(demo, entry, client)
    doc = lxml.html.fromstring(page.content.decode())
    problems: list[str] = []
    shown = 0
    for bound in form.visible_fields():
        inputs = _inputs(doc, bound)
        if not inputs:
            continue  # not on this page (a field the page shows only in another state)
        shown += 1
        label = _label_of(doc, bound, inputs[0])
        needed = is_marked_required(bound)
        if label is None:
            if needed:
                problems.append(f"{bound.name}: required but has no label to carry the mark")
            continue
        text = " ".join(label.text_content().split())
        if _marked(label) != needed:
            wrong = "required but not marked" if needed else "marked but optional"
            problems.append(f"{bound.name} ({text!r}): {wrong}")
        if needed and OPTIONAL_WORDS.search(text):
            problems.append(f"{bound.name} ({text!r}): says optional but is required")
    assert not problems, f"{entry.form} on {page.request['PATH_INFO']}:\n" + "\n".join(problems)


def _describing_text(doc, element) -> str:
    ids: list[str] = []
    for holder in [element, *element.xpath("ancestor::fieldset")]:
        ids += (holder.get("aria-describedby") or "").split()
    texts = []
    for element_id in ids:
        texts += [" ".join(el.text_content().split()) for el in doc.xpath("//*[@id=$id]", id=element_id)]
    return " ".join(texts)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_errors_are_shown_next_to_their_field(demo, entry: Entry):
    if entry.method != "post":
        pytest.skip("a GET filter has no errors to show")
    if entry.setup:
        entry.setup(demo)
    client = _client(demo, entry)
    page, _form = _open_page(demo, entry, client)
    with transaction.atomic():
        cache.clear()
        answer = client.post(entry.url(demo), management_data(page.context))
        transaction.set_rollback(True)
    if answer.status_code != 200 or answer.context is None:
        return  # refused or redirected: nothing to place
    form = find_form(answer.context, entry.form_class)
    if form is None or not form.is_bound:
        return
    doc = lxml.html.fromstring(answer.content.decode())
    problems: list[str] = []
    for bound in form.visible_fields():
        inputs = _inputs(doc, bound)
        if not bound.errors or not inputs:
            continue
        near = _describing_text(doc, inputs[0])
        wrapper = doc.xpath("//*[@id=$id]", id=f"div_{bound.auto_id}")
        near += " " + (" ".join(wrapper[0].text_content().split()) if wrapper else "")
        for error in bound.errors:
            if " ".join(str(error).split()) not in near:
                problems.append(f"{bound.name}: {error!r} is not next to the field")
    assert not problems, f"{entry.form} on {answer.request['PATH_INFO']}:\n" + "\n".join(problems)


# --- The instances the issue found ----------------------------------------------------------------------


def _page(demo, username: str, path: str, language: str = "en") -> lxml.html.HtmlElement:
    client = Client()
    client.force_login(demo.user(username), backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["django_language"] = language
    response = client.get(path)
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_pledge_box_follows_the_pledge_text_and_says_when_it_is_needed(demo, language):
    from portal.tests.test_hostile_forms import editable_identification_owner

    doc = _page(demo, editable_identification_owner(demo), reverse("aid:identification_edit"), language)
    form = doc.xpath("//form[@data-testid='application-form']")[0]
    order = [el.get("data-testid") or el.get("name") for el in form.iter() if el.get("data-testid") or el.get("name")]
    assert order.index("pledge-text") < order.index("pledge"), "the box comes before the text it accepts"
    label = doc.xpath("//label[@for='id_pledge']")[0]
    assert _marked(label)
    assert label.xpath(".//*[@class='visually-hidden']"), "the mark is said to screen readers too"
    pledge_box = doc.xpath("//input[@name='pledge']")[0]
    assert "id_pledge_helptext" in pledge_box.get("aria-describedby", "")
    # One legend for the application form; the upload form (one field) needs none.
    assert len(doc.xpath("//*[@data-testid='required-legend']")) == 1
    heading = doc.xpath("//h2[following-sibling::ul[@data-testid='documents']]")[-1].text_content()
    assert not OPTIONAL_WORDS.search(heading), "the section is optional, its upload field is not: say it in the text"


def test_the_report_form_marks_who_and_how_you_know_them(demo):
    doc = _page(demo, "student", reverse("counseling:report_new"))
    about = doc.xpath("//input[@name='about']")[0].xpath("ancestor::fieldset[1]/legend")[0]
    relation = doc.xpath("//label[@for='id_relation']")[0]
    assert _marked(about) and _marked(relation)
    assert "another student" in doc.xpath("//*[@id='id_relation_helptext']")[0].text_content()
