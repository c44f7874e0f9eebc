"""URLs of the aid dashboard, included by aid/urls.py (namespace "aid"), each with who may use it
(portal.access.page)."""

from aid.access.roles import REVIEWERS
from aid.views import dashboard
from portal.access import GET_ONLY, page, rule

urlpatterns = [
    page("dashboard/", dashboard.dashboard, "dashboard", rule(*REVIEWERS, methods=GET_ONLY)),
    page(
        "dashboard/export/<slug:table>.xlsx",
        dashboard.dashboard_export,
        "dashboard_export",
        rule(*REVIEWERS, methods=GET_ONLY),
    ),
]
