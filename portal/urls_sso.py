"""Campus single sign-on (CAS): sign-in, the server's single-logout POST, the 'not in the portal yet' page."""

from portal import sso
from portal.access import GET_ONLY, PUBLIC, page, rule

urlpatterns: list = [
    # GET: to the CAS server and back with a ticket (refusals are pages of this view); POST: the CAS server's
    # single-logout request, anonymous and without a CSRF token (the view is csrf_exempt).
    page("accounts/sso/login/", sso.cas_login, "sso_login", rule(PUBLIC)),
    # Where the portal's sign-out leads while CAS is on (LOGOUT_REDIRECT_URL): the CAS server's /logout.
    page("accounts/sso/logout/", sso.cas_logout, "sso_logout", rule(PUBLIC, methods=GET_ONLY)),
]
