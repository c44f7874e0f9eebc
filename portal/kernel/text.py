"""Free text a service stores: stripped, required or not, bounded, without control characters.

Each refusal is a DomainError in the user's language, shown beside the form; nothing is stored.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from portal.services import DomainError


def clean_text(value: str | None, *, limit: int, required: bool, empty_message: str = "") -> str:
    """The text stripped; DomainError when it is required and empty (with `empty_message` if given), longer
    than `limit` characters, or holds control characters other than tab and line breaks."""
    value = (value or "").strip()
    if required and not value:
        raise DomainError(empty_message or _("This text is required."))
    if len(value) > limit:
        raise DomainError(_("The text is limited to %(max)s characters.") % {"max": limit})
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise DomainError(_("The text contains control characters; remove them and try again."))
    return value
