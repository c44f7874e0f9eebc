from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views

portal_patterns = (
    [
        path("", views.home, name="home"),
        path("students/", views.student_list, name="student_list"),
        path("students/<int:pk>/", views.student_detail, name="student_detail"),
        path("students/<int:pk>/contact/", views.student_contact, name="student_contact"),
        path("notifications/", views.notification_list, name="notifications"),
        path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
        path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
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

admin.site.site_header = "暖心 Nuanxin"
admin.site.site_title = "暖心 Nuanxin"
