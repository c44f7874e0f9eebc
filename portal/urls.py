"""The URLconf: the core's URLs, each with who may use it (portal.access.page; docs/access-matrix.md shows the
outcome), and the apps' URL modules, which declare theirs the same way."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from portal import sso, urls_account, urls_messaging, urls_sso, views, views_mydata
from portal.access import (
    COLLEGE_STUDENT_READERS,
    GET_ONLY,
    POST_ONLY,
    PUBLIC,
    SCHOOL_WIDE_STUDENT_READERS,
    SIGNED_IN,
    every_page,
    page,
    rule,
)
from portal.models import Role

# A student their own record; staff the students of their scope.
STUDENT_RECORD_READERS = (Role.STUDENT, *SCHOOL_WIDE_STUDENT_READERS, *COLLEGE_STUDENT_READERS, Role.ADMIN)

portal_patterns = (
    [
        page("", views.home, "home", rule(SIGNED_IN)),
        page(
            "students/",
            views.student_list,
            "student_list",
            rule(*SCHOOL_WIDE_STUDENT_READERS, *COLLEGE_STUDENT_READERS, Role.ADMIN, methods=GET_ONLY),
        ),
        page(
            "students/<int:pk>/",
            views.student_detail,
            "student_detail",
            rule(*STUDENT_RECORD_READERS, pk="portal.Student", methods=GET_ONLY, refused=404),
        ),
        page(
            "students/<int:pk>/contact/",
            views.student_contact,
            "student_contact",
            rule(*STUDENT_RECORD_READERS, pk="portal.Student", refused=404),
        ),
        page("notifications/", views.notification_list, "notifications", rule(SIGNED_IN, methods=GET_ONLY)),
        page(
            "notifications/<int:pk>/read/",
            views.notification_read,
            "notification_read",
            rule(SIGNED_IN, pk="portal.Notification"),
        ),
        page(
            "notifications/read-all/",
            views.notification_read_all,
            "notification_read_all",
            rule(SIGNED_IN, methods=POST_ONLY),
        ),
        # A student's copy of their data; the view answers 403 to a user with no student record.
        page("my-data/", views_mydata.my_data, "my_data", rule(Role.STUDENT, methods=GET_ONLY)),
        page(
            "my-data/download.json",
            views_mydata.my_data_download,
            "my_data_json",
            rule(Role.STUDENT, methods=GET_ONLY),
            kwargs={"fmt": "json"},
        ),
        page(
            "my-data/download.xlsx",
            views_mydata.my_data_download,
            "my_data_xlsx",
            rule(Role.STUDENT, methods=GET_ONLY),
            kwargs={"fmt": "xlsx"},
        ),
    ],
    "portal",
)

urlpatterns = [
    path("", include(portal_patterns)),
    page("healthz", views.healthz, "healthz", rule(PUBLIC, methods=GET_ONLY)),
    page(
        "accounts/login/",
        sso.SignInView.as_view(redirect_authenticated_user=True),  # LoginView + the campus sign-in
        "login",
        rule(PUBLIC),
    ),
    page("accounts/logout/", auth_views.LogoutView.as_view(), "logout", rule(PUBLIC, methods=POST_ONLY)),
    page("accounts/password/", auth_views.PasswordChangeView.as_view(), "password_change", rule(SIGNED_IN)),
    page(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        "password_change_done",
        rule(SIGNED_IN, methods=GET_ONLY),
    ),
    # Campus sign-in (CAS), self-service activation and reset by phone code, message preferences.
    *urls_sso.urlpatterns,
    *urls_account.urlpatterns,
    *urls_messaging.urlpatterns,
    page("i18n/setlang/", set_language, "set_language", rule(PUBLIC)),  # what include("django.conf.urls.i18n") adds
    path("counseling/", include("counseling.urls")),
    path("aid/", include("aid.urls")),
    path("homevisits/", include("homevisits.urls")),
    # The Django admin checks is_staff itself, on every one of its URLs.
    every_page("admin/", admin.site.urls, rule(PUBLIC)),
]

if settings.BENCH_INSTRUMENTATION:  # `make bench` only: the ceiling of the middleware stack
    from portal import middleware_bench

    urlpatterns.append(page("bench/bare/", middleware_bench.bare, "bench_bare", rule(SIGNED_IN)))

admin.site.site_header = "暖心 Nuanxin"
admin.site.site_title = "暖心 Nuanxin"
