from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views, views_mydata

portal_patterns = (
    [
        path("", views.home, name="home"),
        path("students/", views.student_list, name="student_list"),
        path("students/<int:pk>/", views.student_detail, name="student_detail"),
        path("students/<int:pk>/contact/", views.student_contact, name="student_contact"),
        path("notifications/", views.notification_list, name="notifications"),
        path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
        path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
        path("my-data/", views_mydata.my_data, name="my_data"),
        path("my-data/download.json", views_mydata.my_data_download, {"fmt": "json"}, name="my_data_json"),
        path("my-data/download.xlsx", views_mydata.my_data_download, {"fmt": "xlsx"}, name="my_data_xlsx"),
    ],
    "portal",
)

urlpatterns = [
    path("", include(portal_patterns)),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("counseling/", include("counseling.urls")),
    path("aid/", include("aid.urls")),
    path("homevisits/", include("homevisits.urls")),
    path("admin/", admin.site.urls),
]

if settings.BENCH_INSTRUMENTATION:  # `make bench` only: the ceiling of the middleware stack
    from portal import access, middleware_bench

    access.declare_views("", {"bench_bare": access.rule(access.SIGNED_IN)})
    urlpatterns.append(path("bench/bare/", middleware_bench.bare, name="bench_bare"))

admin.site.site_header = "暖心 Nuanxin"
admin.site.site_title = "暖心 Nuanxin"
