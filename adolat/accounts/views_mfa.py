"""Pages of two-factor authentication: the second step of signing in, the sign-in security page
(authenticator app, recovery codes, passkeys), confirming one's identity again, the e-mail address;
and django-otp-webauthn's ceremony endpoints, adapted to Adolat's rules. See mfa.py."""

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn import exceptions as webauthn_exceptions
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.models import WebAuthnCredential

from . import mfa, mfa_services
from .forms import EmailChangeForm, PasswordConfirmForm, SecondFactorForm, TotpConfirmForm

WRONG_CODE = gettext_lazy("This code is not valid or has already been used.")


def safe_next(request: HttpRequest, default: str | None = None) -> str:
    """The page to continue to: a `next` of this site, or the default."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or resolve_url(settings.LOGIN_REDIRECT_URL)


def no_store(response: HttpResponse) -> HttpResponse:
    """Pages showing a secret (a key, recovery codes) stay out of caches and the history."""
    response["Cache-Control"] = "no-store"
    return response


def _verified(request, device) -> None:
    """The second factor was given: the session is verified, under a new key."""
    request.session.cycle_key()
    django_otp.login(request, device)
    mfa.mark_factor(request)


# --- The second step ------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Step 2 of signing in, and the second half of confirming one's identity again: a code from
    the authenticator app, a recovery code, or a passkey (through django-otp-webauthn's script)."""
    user = request.user
    if not mfa.has_second_factor(user):
        return redirect(safe_next(request))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _match_code(user, form.cleaned_data["code"])
        if device is not None:
            _verified(request, device)
            if isinstance(device, StaticDevice):
                left = mfa_services.recovery_code_used(device=device, by=user)
                messages.warning(
                    request,
                    _(
                        "You used a recovery code; %(n)s are left. "
                        "Create new ones on the sign-in security page."
                    )
                    % {"n": left},
                )
            return redirect(safe_next(request))
        form.add_error("code", WRONG_CODE)
    passkeys = WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    return render(
        request,
        "accounts/mfa_verify.html",
        {"form": form, "passkeys": passkeys, "next": safe_next(request, default="")},
    )


@transaction.atomic
def _match_code(user, code: str):
    """The device that accepts `code`, if any: six digits go to the authenticator app (django-otp
    refuses a code already used, and slows down guessing), anything else to the recovery codes
    (each one deleted when used)."""
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    for device in model.objects.select_for_update().filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    return None


# --- Confirming one's identity again -------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reauth(request: HttpRequest) -> HttpResponse:
    """Before a change of the second factor or the e-mail address: the password again, then the
    second factor again if the person has one."""
    next_url = safe_next(request, default=resolve_url("accounts:security"))
    form = PasswordConfirmForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        mfa.mark_password(request)
        if mfa.recently_authenticated(request):
            return redirect(next_url)
        verify_url = resolve_url("accounts:mfa-verify")
        return redirect(f"{verify_url}?{_next_query(next_url)}")
    return render(request, "accounts/reauth.html", {"form": form, "next": next_url})


def _next_query(next_url: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": next_url})


# --- The sign-in security page -------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET"])
def security(request: HttpRequest) -> HttpResponse:
    """The person's second factors and what they can do with them. The one page (besides the
    set-up pages) open to someone whose role requires a second factor they have not set up."""
    user = request.user
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    passkeys = list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at"))
    codes_left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return render(
        request,
        "accounts/security.html",
        {
            "totp": totp,
            "passkeys": passkeys,
            "codes_left": codes_left,
            "required": mfa.mfa_required(user),
            "enrolled": totp is not None or bool(passkeys),
            "next": safe_next(request, default=""),
        },
    )


def _recovery_codes_page(request, codes: list[str], *, first: bool) -> HttpResponse:
    response = render(
        request,
        "accounts/recovery_codes.html",
        {
            "codes": codes,
            "first": first,
            "next": safe_next(request, default=resolve_url("accounts:security")),
        },
    )
    return no_store(response)


@never_cache
@login_required
@mfa.recent_auth_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), confirm with a code. New
    recovery codes are shown once at the end."""
    user = request.user
    device = mfa_services.totp_device_pending(user=user)
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa_services.totp_device_confirm(device=device, token=form.cleaned_data["code"], by=user)
        if codes is not None:
            device.refresh_from_db()
            _verified(request, device)
            messages.success(request, _("Your authenticator app is set up."))
            if codes:
                return _recovery_codes_page(request, codes, first=True)
            return redirect(safe_next(request, default=resolve_url("accounts:security")))
        form.add_error("code", WRONG_CODE)
    secret = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    qr = segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", title=_("QR code for your authenticator app")
    )
    response = render(
        request,
        "accounts/mfa_totp.html",
        {
            "form": form,
            "qr_svg": qr,
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "next": safe_next(request, default=""),
        },
    )
    return no_store(response)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working); a GET only explains."""
    if not mfa.has_second_factor(request.user):
        return redirect("accounts:security")
    if request.method == "POST":
        if not mfa.recently_authenticated(request):
            return redirect(mfa.reauth_url(request.path))
        codes = mfa_services.recovery_codes_generate(user=request.user, by=request.user)
        return _recovery_codes_page(request, codes, first=False)
    return render(request, "accounts/recovery_codes_new.html")


@never_cache
@login_required
@mfa.recent_auth_required
@require_http_methods(["GET"])
def passkey_setup(request: HttpRequest) -> HttpResponse:
    """Register a passkey; the browser does it through django-otp-webauthn's script (this page
    says so when the browser cannot)."""
    return render(request, "accounts/mfa_passkey.html", {"next": safe_next(request, default="")})


DEVICE_KINDS = {"authenticator": TOTPDevice, "passkey": WebAuthnCredential}


def get_second_factor_for_user(user, kind: str, pk: int):
    """The gate for second factors: a person manages only their own; 404 otherwise."""
    model = DEVICE_KINDS.get(kind)
    device = (
        model.objects.filter(pk=pk, user=user, confirmed=True).first()
        if model and user.is_authenticated
        else None
    )
    if device is None:
        raise Http404
    return device


@never_cache
@login_required
@mfa.recent_auth_required
@require_http_methods(["GET", "POST"])
def device_remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    device = get_second_factor_for_user(request.user, kind, pk)
    if request.method == "POST":
        try:
            mfa_services.second_factor_remove(
                device=device, by=request.user, required=mfa.mfa_required(request.user)
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The second factor has been removed."))
        return redirect("accounts:security")
    return render(request, "accounts/mfa_remove.html", {"device": device, "kind": kind})


# --- The e-mail address --------------------------------------------------------------------------


@never_cache
@login_required
@mfa.recent_auth_required
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            mfa_services.user_email_change(
                user=request.user, email=form.cleaned_data["email"], by=request.user
            )
        except ValidationError as exc:
            form.add_error("email", exc.message_dict.get("email", exc.messages))
        else:
            messages.success(request, _("Your e-mail address has been changed."))
            return redirect("accounts:account")
    return render(request, "accounts/email_change.html", {"form": form})


# --- django-otp-webauthn's endpoints, with Adolat's rules ----------------------------------------


class ReauthRequired(webauthn_exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "reauth_required"
    default_detail = gettext_lazy("Confirm your identity again before adding a passkey.")


class BeginPasskeyRegistration(webauthn_views.BeginCredentialRegistrationView):
    def check_can_register(self):
        # The first second factor is set up right after the password; another one is a change
        # of the second factor and needs a recent sign-in.
        if mfa.has_second_factor(self.request.user) and not mfa.recently_authenticated(self.request):
            raise ReauthRequired()


class CompletePasskeyRegistration(webauthn_views.CompleteCredentialRegistrationView):
    def check_can_register(self):
        BeginPasskeyRegistration.check_can_register(self)

    def post(self, *args, **kwargs):
        was_verified = mfa.is_verified(self.request.user)
        with transaction.atomic():
            response = super().post(*args, **kwargs)
            if response.status_code == 200:
                import json

                credential = WebAuthnCredential.objects.get(pk=json.loads(response.content)["id"])
                mfa_services.passkey_added(credential=credential, by=self.request.user)
        if response.status_code == 200 and not was_verified:
            # django-otp-webauthn verified the session with the new passkey (its first factor).
            mfa.mark_factor(self.request)
        return response


class BeginPasskeyAuthentication(webauthn_views.BeginCredentialAuthenticationView):
    def check_can_authenticate(self):
        # Only as the second step: a passkey never replaces the password here.
        user = self.get_user()
        if not (user and user.is_active):
            raise webauthn_exceptions.PasswordlessLoginDisabled()


class CompletePasskeyAuthentication(webauthn_views.CompleteCredentialAuthenticationView):
    def check_can_authenticate(self):
        BeginPasskeyAuthentication.check_can_authenticate(self)

    def complete_auth(self, device):
        self.request.session.cycle_key()
        super().complete_auth(device)
        mfa.mark_factor(self.request)
