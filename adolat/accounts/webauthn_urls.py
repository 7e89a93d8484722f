"""django-otp-webauthn's endpoints under its own namespace (its template tags reverse
"otp_webauthn:…"), served by Adolat's subclasses of its views (adolat/accounts/views_mfa.py)."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import views_mfa

app_name = "otp_webauthn"

urlpatterns = [
    path(
        "registration/begin/",
        views_mfa.BeginPasskeyRegistration.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        views_mfa.CompletePasskeyRegistration.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        views_mfa.BeginPasskeyAuthentication.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        views_mfa.CompletePasskeyAuthentication.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
