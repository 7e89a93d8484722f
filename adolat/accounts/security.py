"""Protection of accounts and sessions (see README "Configuration" for the variables).

- Sign-in lockout through django-axes: after `LOGIN_FAILURE_LIMIT` failures the account is locked
  for `LOGIN_COOLOFF_MINUTES`. A locked account gets exactly the answer of a wrong password (the
  same page, message and status) and costs the same password-hash work, so nobody can tell a known
  account from an unknown one, nor a locked one from an open one.
- Passwords seen in data breaches are refused (a list shipped in `data/`, see its README).
- Sessions end after `SESSION_IDLE_MINUTES` without a request and `SESSION_MAX_HOURS` after the
  sign-in whatever happens; deactivating a person ends their sessions at once.
- Pages for a signed-in person (or an API caller with a token) are never stored by caches.
- "Lock everything": an administrator (or `adolat lock-everything`) ends every session and revokes
  every API token in one transaction, for a seized device or an emergency.
"""

import time
from pathlib import Path

from axes.backends import AxesStandaloneBackend
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy
from django.views.decorators.http import require_http_methods

from adolat.lib.audit import record_many
from adolat.lib.models import AuditEntry

from .models import ApiToken, Role

# --- Sign-in lockout (django-axes) -------------------------------------------------------------


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' gate, first in AUTHENTICATION_BACKENDS. While an account is locked axes refuses
    before any password is checked; this runs the password hasher once anyway, as the next backend
    does for a wrong password or an unknown address, so that the time of the answer tells nothing."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except PermissionDenied:
            get_user_model()().set_password(password or "")
            raise


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The e-mail address an attempt counts against, as the backend matches it (ignoring case)."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = getattr(request, "POST", {}).get("username")
    return str(raw).strip().lower() if raw else None


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponseBase:
    """AXES_LOCKOUT_CALLABLE: the answer to a locked account is the answer the view gave, which is
    the sign-in page with its one message for a wrong address or password (axes' backend refused,
    so authentication failed like any other). Nothing says "locked"."""
    if isinstance(original_response, HttpResponseBase):
        return original_response
    # django-axes' asynchronous path calls without the original response: answer as the view does.
    return resolve(reverse(settings.LOGIN_URL)).func(request)


# --- Passwords ----------------------------------------------------------------------------------


class BreachedPasswordValidator(CommonPasswordValidator):
    """Refuses passwords found in breached-password lists shipped with the product
    (adolat/accounts/data/README.md: origin and licence)."""

    DEFAULT_PASSWORD_LIST_PATH = Path(__file__).resolve().parent / "data" / "breached-passwords.txt.gz"

    def __init__(self, password_list_path=DEFAULT_PASSWORD_LIST_PATH):
        super().__init__(password_list_path=password_list_path)

    def get_error_message(self):
        return _("This password appears in lists of passwords stolen in data breaches. Choose another one.")

    def get_help_text(self):
        return _("Your password can’t be one that has appeared in a data breach.")


# Django's own password validators show these help texts on the password pages; Django ships no
# Tajik translation of them, so they are listed here to be extracted into Adolat's catalogue
# (which takes precedence over Django's).
DJANGO_PASSWORD_HELP_TEXTS = (
    gettext_lazy("Your password can’t be too similar to your other personal information."),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    gettext_lazy("Your password can’t be a commonly used password."),
    gettext_lazy("Your password can’t be entirely numeric."),
)


# --- Sessions -----------------------------------------------------------------------------------

LOGIN_AT = "adolat_login_at"
SEEN_AT = "adolat_seen_at"
# The last-activity mark is written at most this often (seconds), not on every request.
SEEN_RESOLUTION = 60


def _now() -> int:
    return int(time.time())


@receiver(user_logged_in, dispatch_uid="adolat-session-clock")
def _start_session_clock(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None:
        session[LOGIN_AT] = session[SEEN_AT] = _now()


class SessionTimeoutMiddleware:
    """Ends a session after SESSION_IDLE_SECONDS without a request and SESSION_MAX_AGE_SECONDS after
    the sign-in. A session whose user can no longer sign in (deactivated, or the account gone) is
    flushed, so that reactivating the account does not revive it. Sits after AuthenticationMiddleware
    and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if request.user.is_authenticated:
            now = _now()
            login_at = session.get(LOGIN_AT, now)
            seen_at = session.get(SEEN_AT, login_at)
            if (
                now - login_at > settings.SESSION_MAX_AGE_SECONDS
                or now - seen_at > settings.SESSION_IDLE_SECONDS
            ):
                logout(request)
                messages.info(request, _("Your session has ended. Please sign in again."))
            elif LOGIN_AT not in session or now - seen_at >= SEEN_RESOLUTION:
                session[LOGIN_AT] = login_at
                session[SEEN_AT] = now  # saving the session also pushes its expiry forward
        elif session.get(SESSION_KEY) is not None:
            session.flush()
        return self.get_response(request)


def end_sessions_of(user_ids) -> int:
    """Delete the live sessions of these users (the session table has no user column: each live
    session is decoded; deactivations are rare). Returns how many were deleted."""
    wanted = {str(pk) for pk in user_ids}
    doomed = [
        s.pk
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(s.get_decoded().get(SESSION_KEY)) in wanted
    ]
    Session.objects.filter(pk__in=doomed).delete()
    return len(doomed)


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="adolat-deactivation-check")
def _note_deactivation(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None or instance.is_active:
        return
    instance._adolat_deactivated = sender._default_manager.filter(pk=instance.pk, is_active=True).exists()


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="adolat-deactivation-sessions")
def _end_sessions_on_deactivation(sender, instance, raw=False, **kwargs):
    if getattr(instance, "_adolat_deactivated", False):
        instance._adolat_deactivated = False
        end_sessions_of([instance.pk])


# --- Caching ------------------------------------------------------------------------------------


class NoStoreMiddleware:
    """Every answer to a signed-in person or an API call with credentials carries personal data or
    depends on who asks: `Cache-Control: no-store` (with `private`), never kept by a browser's
    history cache or a proxy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        personal = (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META
        if personal and "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
        return response


# --- Lock everything ----------------------------------------------------------------------------


def can_lock_everything(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.ADMINISTRATOR))


@transaction.atomic
def lock_everything(*, by=None, source: str) -> dict[str, int]:
    """End every session and revoke every API token at once, in one transaction, in the audit log.
    Everyone, including the person doing it, must sign in again; every program's token is refused."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        raise RuntimeError("lock_everything needs the database session engine.")
    sessions, _ = Session.objects.all().delete()
    now = timezone.now()
    tokens = list(ApiToken.objects.select_for_update().filter(revoked__isnull=True))
    ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked=now)
    actor = by if getattr(by, "pk", None) else None
    entries = [
        AuditEntry(
            actor=actor,
            source=source,
            action="revoke",
            object_type=ApiToken._meta.label_lower,
            object_id=str(t.pk),
            summary=t.name[:255],
            changes={"revoked": [None, now.isoformat()]},
        )
        for t in tokens
    ]
    entries.append(
        AuditEntry(
            actor=actor,
            source=source,
            action="lock_everything",
            object_type=Session._meta.label_lower,
            object_id="*",
            summary=f"{sessions} sessions ended, {len(tokens)} API tokens revoked",
            changes={"sessions": [sessions, 0], "tokens": [len(tokens), 0]},
        )
    )
    record_many(entries)
    return {"sessions": sessions, "tokens": len(tokens)}


class LockEverythingForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I understand that everyone, including me, is signed out and every API token stops working."
        ),
        required=True,
    )


@login_required
@require_http_methods(["GET", "POST"])
def lock_everything_view(request: HttpRequest) -> HttpResponse:
    """Administrators only; a GET explains and asks for confirmation, the POST acts."""
    if not can_lock_everything(request.user):
        raise PermissionDenied
    form = LockEverythingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = lock_everything(by=request.user, source=AuditEntry.Source.WEB)
        # The session is gone from the database; logging out also drops it from this request so that
        # it is not written back.
        logout(request)
        messages.success(
            request,
            _("Everything is locked: %(sessions)d sessions ended and %(tokens)d API tokens revoked.") % done,
        )
        return redirect(settings.LOGIN_URL)
    context = {
        "form": form,
        "sessions": Session.objects.filter(expire_date__gt=timezone.now()).count(),
        "tokens": ApiToken.objects.filter(revoked__isnull=True).count(),
    }
    return render(request, "accounts/lock_everything.html", context)
