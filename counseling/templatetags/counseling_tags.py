"""Small tags for pages that repeat the same markup on every row (the triage queue shows 50 cases)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

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
