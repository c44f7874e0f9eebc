"""The aid URLs, each with who may use it (portal.access.page; docs/access-matrix.md shows the outcome).

The areas' URL lists are spliced in below, so their rules are those of namespace "aid". The roles of a rule are
checked by portal.middleware.ViewAccessMiddleware before the view runs; the view still decides object scope (404
outside it) and the finer rules (403). Roles are named when they may use the page or see the objects it acts on
(the view then answers 403 to an action they may not take); `refused=404` where the roles not named can see no
object of the kind. The role groups are in aid/access/roles.py.

Counselling staff never see family finances, so no aid page names them, except the hidden-aid candidate list
where college counsellors (辅导员) may add or remove names.
"""

from aid import urls_dashboard, urls_fiveaid, urls_funds, urls_hiddenaid, urls_identification, urls_workstudy
from aid.views import core
from portal.access import SIGNED_IN, page, rule

app_name = "aid"
urlpatterns = [
    page("", core.index, "index", rule(SIGNED_IN)),
    *urls_identification.urlpatterns,
    *urls_funds.urlpatterns,
    *urls_fiveaid.urlpatterns,
    *urls_workstudy.urlpatterns,
    *urls_dashboard.urlpatterns,
    *urls_hiddenaid.urlpatterns,
]
