"""`{% filter_form form %}`: a list page's GET filter form as plain Bootstrap HTML, built in Python.

The hot list pages (triage queue, aid applications, identifications, hidden-aid candidates) rendered their filter
forms with `{% crispy form %}`: a template per field plus a template per widget, about a fifth of the queue's
time (issue 18). This tag writes the same markup (the same ids, names, labels, classes and the submit button of
the form's crispy helper) straight from the bound fields, for the widgets filter forms use: text-like inputs,
selects and checkboxes. Any other widget is rendered by its own template, so nothing is lost, only slower.
"""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from portal.kernel import form_marks

register = template.Library()

_SELECTED = mark_safe(" selected")
_OPTGROUP_END = mark_safe("</optgroup>")


def _required_mark() -> SafeString:
    """templates/forms/required_mark.html."""
    return format_html(
        '<span class="asteriskField" aria-hidden="true">*</span><span class="visually-hidden"> {}</span>',
        gettext("(required)"),
    )


def _required_legend() -> SafeString:
    """templates/forms/required_legend.html."""
    return format_html(
        '<p class="form-text mt-0 mb-2 required-legend" data-testid="required-legend">'
        '<span class="asteriskField" aria-hidden="true">*</span> {}</p>',
        gettext("marks a field you must fill in."),
    )


def _non_field_errors(form: forms.Form) -> SafeString:
    """crispy-bootstrap5's errors.html."""
    errors = form.non_field_errors()
    if not errors:
        return _safe_join([])
    items = _safe_join([format_html("<li>{}</li>", e) for e in errors])
    return format_html('<div class="alert alert-block alert-danger"><ul class="m-0">{}</ul></div>', items)


_TEXT_LIKE = (forms.TextInput, forms.NumberInput, forms.EmailInput, forms.URLInput, forms.DateInput, forms.SearchInput)


def _safe_join(parts: list) -> SafeString:
    """Joins parts that are each escaped already (format_html's results)."""
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 (every part is format_html's escaped output)


def _attrs(attrs: dict) -> SafeString:
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(format_html(" {}", name))
        else:
            parts.append(format_html(' {}="{}"', name, value))
    return _safe_join(parts)


def _widget_attrs(bound: BoundField, css: str) -> dict:
    attrs = bound.build_widget_attrs(dict(bound.field.widget.attrs))
    attrs["class"] = " ".join(filter(None, [css, attrs.get("class", "")] + (["is-invalid"] if bound.errors else [])))
    attrs["id"] = bound.auto_id or None
    return attrs


def _selected(value: object) -> set[str]:
    if value is None:
        return {""}
    if isinstance(value, (list, tuple)):
        return {str(v) for v in value}
    return {str(value)}


def _options(bound: BoundField) -> SafeString:
    chosen = _selected(bound.value())
    html = []

    def option(value: object, label: object) -> None:
        value = "" if value is None else str(value)
        html.append(format_html('<option value="{}"{}>{}</option>', value, _SELECTED if value in chosen else "", label))

    for value, label in bound.field.choices:
        if isinstance(label, (list, tuple)):
            html.append(format_html('<optgroup label="{}">', value))
            for sub_value, sub_label in label:
                option(sub_value, sub_label)
            html.append(_OPTGROUP_END)
        else:
            option(value, label)
    return _safe_join(html)


def _errors(bound: BoundField) -> SafeString:
    if not bound.errors:
        return _safe_join([])
    spans = _safe_join(
        [
            format_html('<span id="error_{}_{}"><strong>{}</strong></span>', n, bound.auto_id, error)
            for n, error in enumerate(bound.errors, 1)
        ]
    )
    return format_html('<div id="{}_error" class="invalid-feedback">{}</div>', bound.auto_id, spans)


def _help(bound: BoundField) -> SafeString:
    if not bound.help_text:
        return _safe_join([])
    # Help texts are the code's own strings, written unescaped by crispy and Django alike (`|safe`).
    help_text = SafeString(str(bound.help_text))
    return format_html('<div id="{}_helptext" class="form-text">{}</div>', bound.auto_id, help_text)


def _field(bound: BoundField, wrapper_class: str) -> str:
    widget = bound.field.widget
    div_id = f"div_{bound.auto_id}"
    if isinstance(widget, forms.HiddenInput):
        return str(bound)
    marked = form_marks.is_marked_required(bound)
    required = _required_mark() if marked else ""
    label_class = "requiredField" if marked else ""
    if isinstance(widget, forms.CheckboxInput):
        attrs = _widget_attrs(bound, "checkboxinput form-check-input")
        attrs["checked"] = bool(widget.check_test(bound.value()))
        return format_html(
            '<div class="mb-3"><div id="{}" class="{}"><input type="checkbox" name="{}"{}>'
            '<label for="{}" class="{}">{}{}</label>{}{}</div></div>',
            div_id,
            " ".join(filter(None, ["form-check", wrapper_class])),
            bound.html_name,
            _attrs(attrs),
            bound.auto_id,
            " ".join(filter(None, ["form-check-label", label_class])),
            bound.label,
            required,
            _errors(bound),
            _help(bound),
        )
    if isinstance(widget, forms.Textarea):
        attrs = _widget_attrs(bound, "textarea form-control")
        value = bound.value()
        control = format_html(
            '<textarea name="{}"{}>\n{}</textarea>',
            bound.html_name,
            _attrs(attrs),
            "" if value is None else widget.format_value(value) or "",
        )
    elif isinstance(widget, forms.Select) and not isinstance(widget, (forms.SelectMultiple, forms.RadioSelect)):
        control = format_html(
            '<select name="{}"{}>{}</select>',
            bound.html_name,
            _attrs(_widget_attrs(bound, "select form-select")),
            _options(bound),
        )
    elif isinstance(widget, _TEXT_LIKE):
        attrs = _widget_attrs(bound, f"{type(widget).__name__.lower()} form-control")
        value = bound.value()
        attrs["value"] = None if value in (None, "") else widget.format_value(value)
        control = format_html('<input type="{}" name="{}"{}>', widget.input_type, bound.html_name, _attrs(attrs))
    else:
        from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

        return str(as_crispy_field(bound))
    return format_html(
        '<div id="{}" class="{}"><label for="{}" class="{}">{}{}</label>{}{}{}</div>',
        div_id,
        " ".join(filter(None, ["mb-3", wrapper_class])),
        bound.auto_id,
        " ".join(filter(None, ["form-label", label_class])),
        bound.label,
        required,
        control,
        _errors(bound),
        _help(bound),
    )


@register.simple_tag(takes_context=True)
def plain_form(context: template.Context, form: forms.Form) -> SafeString:
    """A form whose crispy helper only says whether to write the <form> tag (no layout): its fields as crispy
    wrote them. With a layout, crispy renders it, as before."""
    helper = getattr(form, "helper", None)
    if helper is not None and getattr(helper, "layout", None) is not None:
        from crispy_forms.utils import render_crispy_form

        return render_crispy_form(form, helper)
    if helper is not None and not getattr(helper, "form_tag", True):
        parts = [_non_field_errors(form)]
        if form_marks.form_needs_legend(form):
            parts.append(_required_legend())
        parts += [_field(bound, getattr(helper, "wrapper_class", "") or "") for bound in form]
        return _safe_join(parts)
    return filter_form(context, form)


def _csrf_input(context: template.Context) -> SafeString:
    """What {% csrf_token %} writes."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return _safe_join([])
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


@register.simple_tag(takes_context=True)
def filter_form(context: template.Context, form: forms.Form) -> SafeString:
    helper = getattr(form, "helper", None)
    form_class = getattr(helper, "form_class", "") or ""
    wrapper_class = getattr(helper, "wrapper_class", "") or ""
    method = getattr(helper, "form_method", "get") or "get"
    action = getattr(helper, "form_action", "") or ""
    parts = [
        format_html(
            '<form{} method="{}"{}>',
            format_html(' class="{}"', form_class) if form_class else "",
            method,
            format_html(' action="{}"', action) if action else "",
        )
    ]
    if method.lower() == "post" and not getattr(helper, "disable_csrf", False):
        parts.append(_csrf_input(context))
    parts.append(_non_field_errors(form))
    if form_marks.form_needs_legend(form):
        parts.append(_required_legend())
    parts += [_field(bound, wrapper_class) for bound in form]
    for button in getattr(helper, "inputs", []):
        parts.append(
            format_html(
                '<div class="mb-3"><div class=""><input type="{}" name="{}" value="{}" class="{}" id="{}"></div></div>',
                button.input_type,
                button.name,
                button.value,
                button.field_classes,
                button.id,
            )
        )
    parts.append("</form>")
    return _safe_join(parts)
