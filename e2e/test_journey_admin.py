"""Journey 6: the administrator reads the audit trail in the Django admin and can neither change nor delete it."""

from __future__ import annotations

import re

import pytest
from django.forms.models import model_to_dict

from portal.models import AuditEvent

pytestmark = pytest.mark.browser

CHANGELIST = "/admin/portal/auditevent/"


def test_admin_reads_the_audit_trail_and_cannot_change_or_delete_it(browse, device):
    admin = browse()
    admin.login("admin")
    page = admin.goto(CHANGELIST)
    first = page.locator("#result_list tbody tr").first.locator("a[href*='/change/']").first
    match = re.search(r"/auditevent/(\d+)/change/", first.get_attribute("href") or "")
    assert match, "the audit trail lists no entry"
    event = AuditEvent.objects.get(pk=int(match.group(1)))
    before = model_to_dict(event)
    # Read-only: no "add" and no bulk delete on the list.
    assert page.locator(f"a[href$='{CHANGELIST}add/']").count() == 0
    assert page.locator("select[name=action] option[value=delete_selected]").count() == 0

    with page.expect_navigation():
        first.click()
    page = admin.check()
    assert f"/auditevent/{event.pk}/change/" in page.url
    assert event.action in page.locator("#content").inner_text()
    # A view-only page: no save buttons, no delete link, no editable field.
    assert page.locator("[name=_save], [name=_continue], [name=_addanother]").count() == 0
    assert page.locator("a.deletelink").count() == 0
    assert page.locator("#content form input:not([type=hidden]), #content form textarea").count() == 0

    # Sending the forms anyway is refused and the row stays as it was.
    csrf = next(c["value"] for c in admin.context.cookies() if c["name"] == "csrftoken")
    change_url = admin.url(f"{CHANGELIST}{event.pk}/change/")
    delete_url = admin.url(f"{CHANGELIST}{event.pk}/delete/")
    changed = admin.context.request.post(
        change_url,
        form={"csrfmiddlewaretoken": csrf, "action": "tampered", "object_id": "0", "_save": "Save"},
        headers={"Referer": change_url},
        max_redirects=0,
    )
    assert changed.status == 403
    deleted = admin.context.request.post(
        delete_url, form={"csrfmiddlewaretoken": csrf, "post": "yes"}, headers={"Referer": delete_url}, max_redirects=0
    )
    assert deleted.status == 403
    # The bulk "delete selected" action is not offered; sent anyway, Django answers "no action selected".
    admin.context.request.post(
        admin.url(CHANGELIST),
        form={
            "csrfmiddlewaretoken": csrf,
            "action": "delete_selected",
            "_selected_action": str(event.pk),
            "post": "yes",
        },
        headers={"Referer": admin.url(CHANGELIST)},
        max_redirects=0,
    )
    assert model_to_dict(AuditEvent.objects.get(pk=event.pk)) == before
