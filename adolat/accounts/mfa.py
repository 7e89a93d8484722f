"""Two-factor authentication: who needs a second factor, whether this session has passed it, and
the middleware that holds a signed-in person at the second step (or at enrolment) until it has.

The factors come from django-otp (authenticator apps: TOTP; recovery codes: static tokens) and
django-otp-webauthn (passkeys). A session is *verified* when django-otp's `login` has recorded
the device that was used (`request.user.is_verified()`, installed by `OTPMiddleware`).

Sign-in is two steps (adolat/accounts/views.py, views_mfa.py):
1. e-mail and password (Django's `login`); the session is authenticated but not verified;
2. a code from the authenticator app, a recovery code or a passkey (`django_otp.login`).

`SecondFactorMiddleware` sends an authenticated but unverified session to step 2 when the person
has a second factor, and to enrolment when their role requires one and they have none; nothing else
opens until then. Requests with an API token (`Authorization` header) are not sessions and pass.

Changing a second factor or the e-mail address asks again for the password (and the second factor)
when the last sign-in is older than ADOLAT_REAUTH_SECONDS (`recent_auth_required`).
"""

import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

# When the password, and the second factor, were last given in this session (Unix seconds).
PASSWORD_AT = "adolat_password_at"  # noqa: S105 — a session key, not a password
FACTOR_AT = "adolat_factor_at"

# Pages an authenticated person may open before the second step or enrolment is done. Each of
# them checks for itself what this person may do there.
OPEN_BEFORE_VERIFICATION = {
    "accounts:logout",
    "accounts:mfa-verify",
    "accounts:security",
    "accounts:mfa-totp",
    "accounts:mfa-passkey",
    "accounts:reauth",
    "set_language",
    "healthz",
}
OPEN_NAMESPACES = {"otp_webauthn"}


def is_verified(user) -> bool:
    """Whether this session passed the second factor (False outside a request with OTPMiddleware)."""
    check = getattr(user, "is_verified", None)
    return bool(user is not None and user.is_authenticated and callable(check) and check())


def mfa_required(user) -> bool:
    """Staff accounts and members holding a role of ADOLAT_MFA_REQUIRED_ROLES must use a second
    factor; for everyone else it is optional."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return bool(user.roles() & set(settings.ADOLAT_MFA_REQUIRED_ROLES))


def primary_devices_querysets(user):
    """Confirmed authenticator apps and passkeys: the factors a person signs in with (recovery
    codes stand in for them, they are not one on their own)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    return (
        TOTPDevice.objects.filter(user=user, confirmed=True),
        WebAuthnCredential.objects.filter(user=user, confirmed=True),
    )


def has_second_factor(user) -> bool:
    """One query: does this person have an authenticator app or a passkey?"""
    if not (user and user.is_authenticated):
        return False
    totp, passkeys = primary_devices_querysets(user)
    return bool(totp.values("pk").union(passkeys.values("pk"))[:1])


def pending_step(user) -> str | None:
    """For an authenticated, unverified session: "verify" (the second step is due), "enrol" (a
    second factor must first be set up) or None (nothing is asked of this person)."""
    if has_second_factor(user):
        return "verify"
    if mfa_required(user):
        return "enrol"
    return None


def mark_password(request) -> None:
    request.session[PASSWORD_AT] = int(time.time())


def mark_factor(request) -> None:
    request.session[FACTOR_AT] = int(time.time())


def recently_authenticated(request) -> bool:
    """The password, and the second factor if the person has one, were given in this session
    within ADOLAT_REAUTH_SECONDS."""
    now, limit = time.time(), settings.ADOLAT_REAUTH_SECONDS
    if now - request.session.get(PASSWORD_AT, 0) > limit:
        return False
    if has_second_factor(request.user):
        return is_verified(request.user) and now - request.session.get(FACTOR_AT, 0) <= limit
    return True


def reauth_url(next_url: str) -> str:
    return f"{reverse('accounts:reauth')}?{urlencode({'next': next_url})}"


def recent_auth_required(view):
    """For a view that changes the second factor or the e-mail address: a sign-in older than
    ADOLAT_REAUTH_SECONDS sends the person to confirm it is still them, then back here."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not recently_authenticated(request):
            return redirect(reauth_url(request.get_full_path() if request.method == "GET" else request.path))
        return view(request, *args, **kwargs)

    return wrapped


def _url_name(request) -> tuple[str, str]:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return "", ""
    return match.view_name, match.namespace


class SecondFactorMiddleware:
    """After `OTPMiddleware`: an authenticated but unverified session goes to the second step or
    to enrolment until it is done (see the module's description)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated or is_verified(user):
            return self.get_response(request)
        if request.path_info.startswith(settings.STATIC_URL):
            return self.get_response(request)
        if request.path_info.startswith("/api/") and "Authorization" in request.headers:
            return self.get_response(request)  # an API token acts on its own, not the session
        view_name, namespace = _url_name(request)
        if view_name in OPEN_BEFORE_VERIFICATION or namespace in OPEN_NAMESPACES:
            return self.get_response(request)
        step = pending_step(user)
        if step is None:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": _("Finish signing in with your second factor first.")}, status=403)
        target = reverse("accounts:mfa-verify" if step == "verify" else "accounts:security")
        next_url = request.get_full_path() if request.method == "GET" else ""
        return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)
