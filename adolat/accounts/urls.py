from django.contrib.auth import views as auth_views
from django.urls import path

from . import security, views, views_mfa

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.account, name="account"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("email/", views_mfa.email_change, name="email-change"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("lock-everything/", security.lock_everything_view, name="lock-everything"),
    # Two-factor authentication (mfa.py, views_mfa.py)
    path("verify/", views_mfa.verify, name="mfa-verify"),
    path("confirm/", views_mfa.reauth, name="reauth"),
    path("security/", views_mfa.security, name="security"),
    path("security/authenticator/", views_mfa.totp_setup, name="mfa-totp"),
    path("security/passkey/", views_mfa.passkey_setup, name="mfa-passkey"),
    path("security/recovery-codes/", views_mfa.recovery_codes, name="mfa-codes"),
    path(
        "security/<slug:kind>/<int:pk>/remove/",
        views_mfa.device_remove,
        name="mfa-device-remove",
    ),
]
