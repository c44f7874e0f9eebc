"""Attacker stories of the browser cache (issue 13, finding 5).

The next person at a shared office or dormitory computer presses Back, or opens the browser's cache folder,
after a counsellor or a student signed out. Nothing sent to a signed-in user may be stored: every response
to them says `Cache-Control: private, no-store` (portal/middleware_cache.py), pages, htmx partials, file
downloads and exports alike; signing out sends `Clear-Site-Data: "cache"`. Signed-out visitors' pages keep
their own policy, and static files keep WhiteNoise's caching.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from portal.middleware_sessions import SEEN_KEY
from portal.tests import matrix

pytestmark = pytest.mark.django_db

PRIVATE_NO_STORE = "private, no-store"
# Django's never_cache, which the sign-in page and the anonymous report form set themselves.
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"

# (view name, persona allowed to open it on the object of scope A, extra request headers)
SENSITIVE = [
    ("counseling:case_detail", "counselor", {}),
    ("counseling:case_detail", "counselor", {"HX-Request": "true"}),  # an htmx request of the same page
    ("counseling:care_file", "counselor", {}),
    ("aid:identification_detail", "aidofficer", {}),
    ("aid:identification_document", "student", {}),  # a file download (FileResponse)
    ("homevisits:record_detail", "visitor", {}),
    ("homevisits:trip_report_xlsx", "visitor", {}),  # an XLSX export
    ("aid:dashboard_export", "aidofficer", {}),  # an XLSX export
    ("portal:my_data", "student", {}),
    ("portal:my_data_xlsx", "student", {}),
    ("portal:my_data_json", "student", {}),
    ("aid:payment_bank_account", "student", {}),
]


def test_every_sensitive_page_download_and_export_is_private_and_not_stored(tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path, AXES_ENABLED=False):
        world = matrix.build_world()
        patterns = {pattern.view_name: pattern for pattern in matrix.url_patterns()}
        wrong = []
        for view_name, persona, headers in SENSITIVE:
            url = matrix.url_for(patterns[view_name], world, "A")
            assert url is not None, view_name
            client = Client()
            client.force_login(world.personas[persona], backend="django.contrib.auth.backends.ModelBackend")
            response = client.get(url, headers=headers)
            got = (response.status_code, response.get("Cache-Control"))
            if got != (200, PRIVATE_NO_STORE):
                wrong.append((view_name, persona, headers, got))
        assert wrong == []


def test_what_a_view_set_itself_ends_private_and_not_stored(world, client_for):
    """A view's own never_cache (My data) or "no-store" (the finance roster) becomes the one policy."""
    client = client_for(world["student"])
    assert client.get(reverse("portal:my_data"))["Cache-Control"] == PRIVATE_NO_STORE
    assert client.get(reverse("portal:home"))["Cache-Control"] == PRIVATE_NO_STORE
    # Refusals and redirects to a signed-in user too: a 404 page still has the navigation and the name.
    assert client.get(reverse("counseling:care_file", args=[10**9]))["Cache-Control"] == PRIVATE_NO_STORE


def test_signed_out_pages_keep_their_own_policy(db):
    """Decided: the middleware leaves signed-out visitors' answers alone. The sign-in page and the anonymous
    report form already say never_cache themselves (they carry a CSRF token, which must not be shared), and
    they work; nothing is added for a user who is not there, and no Clear-Site-Data."""
    client = Client()
    for url in (reverse("login"), reverse("counseling:report_new")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == NEVER_CACHE, url
        assert not response.has_header("Clear-Site-Data")
    redirect = client.get(reverse("portal:home"))
    assert redirect.status_code == 302
    assert not redirect.has_header("Cache-Control")


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_static_files_keep_whitenoise_caching_for_signed_in_users(world):
    client = Client()  # a new client loads the middleware with the settings above
    client.force_login(world["counselor"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/static/js/portal.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_signing_out_clears_the_browser_cache_but_not_unsent_visit_drafts(world, client_for):
    client = client_for(world["visitor"])
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    # "cache" only: "storage" would wipe a visit record typed offline that the server never got
    # (portal/middleware_cache.py); static/js/portal.js clears the rest of the portal's storage.
    assert response["Clear-Site-Data"] == '"cache"'
    assert response["Cache-Control"] == PRIVATE_NO_STORE
    assert "_auth_user_id" not in client.session


def test_a_session_signed_out_for_its_age_also_clears_the_cache(world, client_for):
    """portal.middleware_sessions signs out a session past its limits (here: a staff session last seen 31 minutes
    ago, e.g. a role granted meanwhile); that is a sign-out too."""
    client = client_for(world["counselor"])
    client.get(reverse("portal:home"))
    session = client.session
    session[SEEN_KEY] = int(time.time()) - 31 * 60
    session.save()
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache"'
    assert "_auth_user_id" not in client.session
