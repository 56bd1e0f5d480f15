from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from jiangbei import views
from jiangbei.accounts import LoginForm, admin_login
from training.organisation import account_views
from training.organisation.access import PUBLIC, SIGNED_IN, requires

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        requires(PUBLIC)(auth_views.LoginView.as_view(
            template_name="registration/login.html", authentication_form=LoginForm, redirect_authenticated_user=True,
        )),
        name="login",
    ),
    path("accounts/logout/", requires(PUBLIC)(auth_views.LogoutView.as_view()), name="logout"),
    path("accounts/password/", requires(SIGNED_IN)(account_views.PasswordChangeView.as_view()), name="password_change"),
    path(
        "accounts/password/done/",
        requires(SIGNED_IN)(auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html")),
        name="password_change_done",
    ),
    path("accounts/otp/", requires(SIGNED_IN)(account_views.two_factor), name="two_factor"),
    path("i18n/setlang/", requires(PUBLIC)(set_language), name="set_language"),
    # Before the admin's own: its login page would skip the lock-out page and the second factor.
    path("admin/login/", requires(PUBLIC)(admin_login), name="admin_login"),
    path("admin/", admin.site.urls),
    path("venues/", include("venues.urls")),
    path("lectures/", include("lectures.urls")),
    path("", include("training.urls")),
]
