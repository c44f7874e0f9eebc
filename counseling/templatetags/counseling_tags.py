"""Small tags for pages that repeat the same markup on every row (the triage queue shows 50 cases)."""

from django import template
from django.template.defaultfilters import timesince_filter, timeuntil_filter
from django.urls import reverse
from django.utils import dateformat
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from counseling.models import Case

register = template.Library()

LEVEL_LABELS = {
    1: lambda: gettext("1 · general concern"),
    2: lambda: gettext("2 · key concern"),
    3: lambda: gettext("3 · high-risk alert"),
    4: lambda: gettext("4 · crisis"),
}


@register.simple_tag
def level_badge(level: int | None) -> SafeString:
    """The coloured level badge; an include per row cost more than the rest of the row."""
    label = LEVEL_LABELS.get(level)
    if label is None:
        return mark_safe('<span class="text-body-secondary">—</span>')
    return format_html('<span class="badge level-badge-{0}" data-level="{0}">{1}</span>', level, label())


@register.simple_tag
def queue_row(case) -> SafeString:
    """One row of the triage queue (counseling/queue.html), written here rather than in the template: the row's
    template work was over half of the page's time (docs/benchmarks.md). The case comes from
    counseling.selectors.triage_queue (student, class and owner joined; report_count annotated)."""
    if case.student_id:
        student = case.student
        who = format_html(
            '<span class="name-cell">{}</span> <span class="text-body-secondary">{}</span>',
            student.name,
            student.student_no,
        )
        group = format_html(
            '<div class="small text-body-secondary d-none d-sm-block">{}</div>',
            student.class_group.name if student.class_group_id else "",
        )
    else:
        who = gettext("unmatched: %(subject)s") % {"subject": case.subject_given or "?"}
        group = ""
    if case.status != Case.Status.NEW:
        acknowledge = format_html('<span class="text-body-secondary">{}</span>', gettext("acknowledged"))
    elif case.ack_overdue:
        acknowledge = format_html(
            '<span class="overdue">{}</span>', gettext("overdue by %(t)s") % {"t": timesince_filter(case.ack_due_at)}
        )
    else:
        acknowledge = gettext("%(t)s left") % {"t": timeuntil_filter(case.ack_due_at)}
    if case.next_touchpoint is None:
        touchpoint = "—"
    elif case.touchpoint_overdue:
        touchpoint = format_html(
            '<span class="overdue">{} · {}</span>', dateformat.format(case.next_touchpoint, "Y-m-d"), gettext("overdue")
        )
    else:
        touchpoint = dateformat.format(case.next_touchpoint, "Y-m-d")
    owner = (case.owner.display_name if case.owner_id else "") or "—"
    return format_html(
        '<tr data-testid="queue-row" data-case="{pk}"><td>{badge}</td>'
        '<td><a href="{url}">{who}</a>{group}</td><td>{status}</td><td>{acknowledge}</td>'
        '<td class="d-none d-md-table-cell">{owner}</td><td class="d-none d-sm-table-cell">{touchpoint}</td>'
        '<td class="d-none d-md-table-cell text-end">{reports}</td></tr>',
        pk=case.pk,
        badge=level_badge(case.level),
        url=reverse("counseling:case_detail", args=[case.pk]),
        who=who,
        group=group,
        status=case.get_status_display(),
        acknowledge=acknowledge,
        owner=owner,
        touchpoint=touchpoint,
        reports=case.report_count,
    )
