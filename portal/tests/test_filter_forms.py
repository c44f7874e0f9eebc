"""`{% filter_form %}` and `{% plain_form %}` write the markup `{% crispy %}` wrote (issue 18).

filter_form replaced crispy on the hot lists' filter forms (triage queue, aid applications, identifications,
hidden-aid candidates, five-aid cases), plain_form on the case page's action panels, for speed; what users,
tests and the CSS see must not change: same ids, names, classes, labels, required marks and legend (the
project's templates/bootstrap5 and templates/forms), help texts, selected options, values (escaped), checked
boxes, errors and the helper's submit button.
"""

import re

import pytest
from django.template import Context, Template
from django.utils import translation

from aid.forms.fiveaid import CaseFilterForm
from aid.forms.funds import ApplicationFilterForm
from aid.forms.hiddenaid import ApproveForm, CandidateAddForm, SearchForm
from aid.forms.identification import ReviewFilterForm
from counseling.forms import casework
from counseling.forms.appointments import SlotFilterForm, WaitlistJoinForm
from counseling.forms.casework import QueueFilterForm
from portal.tests.factories import UserFactory


def normalised(html: str) -> str:
    """Whitespace collapsed, attributes of each tag sorted, `/>` as `>`: equal markup compares equal."""
    html = re.sub(r"\s+", " ", html)
    html = re.sub(r" ?([<>]) ?", r"\1", html).replace(" />", ">").replace("/>", ">")

    def sort_attributes(match: re.Match) -> str:
        attributes = re.findall(r'([\w-]+)(="[^"]*")?', match[2])
        return "<" + match[1] + "".join(sorted(f" {name}{value}" for name, value in attributes)) + ">"

    return re.sub(r"<(\w+)([^>]*)>", sort_attributes, html).strip()


FORMS = {
    "queue, filtered": lambda: QueueFilterForm({"status": "new", "q": 'x<"&', "overdue": "on", "level": "3"}),
    "queue, unbound": lambda: QueueFilterForm(),
    "applications": lambda: ApplicationFilterForm({"status": "paid"}),
    "identifications, invalid status": lambda: ReviewFilterForm({"status": "nope"}, statuses=[("a", "A")]),
    "hidden aid search": lambda: SearchForm(),
    "hidden aid search, control character": lambda: SearchForm({"q": "\x00"}),
    "five-aid cases": lambda: CaseFilterForm(),
}


CASE_PANELS = {
    "acknowledge": lambda users: casework.AcknowledgeForm(),
    "level": lambda users: casework.LevelForm(),
    "level, invalid": lambda users: casework.LevelForm({"level": "9"}),
    "owner": lambda users: casework.OwnerForm(candidates=users),
    "touchpoint": lambda users: casework.TouchpointForm(),
    "touchpoint, invalid date": lambda users: casework.TouchpointForm({"on": "x"}),
    "status": lambda users: casework.StatusForm(choices=[("closed", "closed")]),
    "note": lambda users: casework.NoteForm(),
    "note, control character": lambda users: casework.NoteForm({"note": "<b>\x00"}),
    "assessors": lambda users: casework.AssessorsForm(candidates=users),
    "assessment": lambda users: casework.AssessmentForm(),
    "action": lambda users: casework.ActionForm(candidates=users),
    "action done": lambda users: casework.ActionDoneForm(),
    "question": lambda users: casework.QuestionForm(),
    "match": lambda users: casework.MatchForm(),
    "care level": lambda users: casework.CareLevelOverrideForm(),
}


HIDDEN_AID_FORMS = {
    "add a candidate": lambda: CandidateAddForm(),
    "add a candidate, no amounts": lambda: CandidateAddForm(with_amount=False),
    "add a candidate, invalid": lambda: CandidateAddForm({"student_no": "", "amount": "-1"}),
    "approve": lambda: ApproveForm(),
    "approve, unknown fund": lambda: ApproveForm({"fund": "999999"}),
}


def both(make, tag: str, language: str, action: str = "") -> tuple[str, str]:
    crispy_form, plain_form = make(), make()  # crispy adds classes to the widgets it renders: one form each
    context = {"csrf_token": "token-of-this-session"}
    with translation.override(language):
        for form in (crispy_form, plain_form):
            if action:
                form.helper.form_action = action
            if form.is_bound:
                form.is_valid()
        crispy = Template("{% load crispy_forms_tags %}{% crispy form %}").render(
            Context({"form": crispy_form, **context})
        )
        plain = Template("{% load filter_forms %}{% " + tag + " form %}").render(
            Context({"form": plain_form, **context})
        )
    return normalised(crispy), normalised(plain)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("name", list(FORMS))
def test_filter_form_writes_the_markup_crispy_wrote(name, language):
    crispy, plain = both(FORMS[name], "filter_form", language)
    assert plain == crispy


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("name", list(CASE_PANELS))
def test_plain_form_writes_the_case_panels_as_crispy_did(name, language):
    users = [UserFactory(full_name="<i>王</i>"), UserFactory()]
    crispy, plain = both(lambda: CASE_PANELS[name](users), "plain_form", language)
    assert plain == crispy


@pytest.mark.django_db
def test_filter_form_escapes_values_and_keeps_the_choice():
    form = QueueFilterForm({"status": "new", "q": '<script>"', "overdue": "on"})
    form.is_valid()
    html = Template("{% load filter_forms %}{% filter_form form %}").render(Context({"form": form}))
    assert "<script>" not in html and 'value="&lt;script&gt;&quot;"' in html
    assert '<option value="new" selected>' in html
    assert re.search(r'<input type="checkbox" name="overdue"[^>]* checked', html)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("name", list(HIDDEN_AID_FORMS))
def test_plain_form_writes_the_hidden_aid_post_forms_with_their_csrf_token(name, language):
    crispy, plain = both(HIDDEN_AID_FORMS[name], "plain_form", language, action="/aid/hidden/1/add/?a=1&b=2")
    assert plain == crispy
    assert '<input name="csrfmiddlewaretoken" type="hidden" value="token-of-this-session">' in plain  # normalised


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("bound", [False, True])
def test_plain_form_writes_the_open_slots_forms_as_crispy_did(language, bound):
    from portal.models import User

    UserFactory(full_name="<i>李</i>")
    counsellors = User.objects.all()
    data = {"mode": "nope", "counsellor": "0"} if bound else None
    for make in (
        lambda: SlotFilterForm(data, counsellors=counsellors),
        lambda: WaitlistJoinForm(data, counsellors=counsellors, auto_id="id_wait_%s"),
    ):
        crispy, plain = both(make, "plain_form", language)
        assert plain == crispy
