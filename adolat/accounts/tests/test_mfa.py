"""Two-factor authentication through the pages, as people use it: the password, then a code from
the authenticator app, a recovery code or a passkey; enrolment forced on the roles that require it;
confirming one's identity again before changing a second factor or the e-mail address.

These tests request `real_mfa`, so test clients sign in without the automatic second factor of
adolat/conftest.py.
"""

import time

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from adolat.accounts import mfa, mfa_services
from adolat.accounts.services import api_token_create
from adolat.conftest import PASSWORD
from adolat.lib.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_mfa")]

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:mfa-verify")
SECURITY = reverse("accounts:security")
MY_WORK = reverse("followup:my-work")


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    """The code the person's app shows now (offset: steps later)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset):06d}"


def enrol_totp(user) -> TOTPDevice:
    device = mfa_services.totp_device_pending(user=user)
    assert mfa_services.totp_device_confirm(device=device, token=code_for(device), by=user) is not None
    device.refresh_from_db()
    # Confirming used the current code; a sign-in in the same 30 seconds needs the next one.
    return device


def sign_in(client, email, password=PASSWORD, next_url=""):
    data = {"username": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def unthrottle(device):
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()


# --- Signing in -----------------------------------------------------------------------------------


def test_password_then_code_verifies_the_session(client, users):
    coordinator = users["coordinator"]
    device = enrol_totp(coordinator)

    response = sign_in(client, "coordinator@example.org", next_url=MY_WORK)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    # Signed in with the password only: every page leads to the second step.
    page = client.get(MY_WORK)
    assert page.status_code == 302 and page["Location"].startswith(VERIFY)
    assert "otp_device_id" not in client.session

    wrong = client.post(
        VERIFY, {"code": "000000" if code_for(device, 1) != "000000" else "111111", "next": MY_WORK}
    )
    assert wrong.status_code == 200
    assert "This code is not valid or has already been used." in wrong.content.decode()
    assert client.get(MY_WORK).status_code == 302

    unthrottle(device)
    ok = client.post(VERIFY, {"code": code_for(device, 1), "next": MY_WORK})
    assert ok.status_code == 302 and ok["Location"] == MY_WORK
    assert client.get(MY_WORK).status_code == 200


def test_guessing_is_slowed_down(client, users):
    device = enrol_totp(users["coordinator"])
    sign_in(client, "coordinator@example.org")
    good = code_for(device, 1)
    client.post(VERIFY, {"code": "123456" if good != "123456" else "654321"})
    # Right after a wrong code even the right one is refused (django-otp's throttling).
    assert client.post(VERIFY, {"code": good}).status_code == 200
    assert client.get(MY_WORK).status_code == 302


def test_a_code_is_accepted_only_once(client, users):
    device = enrol_totp(users["coordinator"])
    code = code_for(device, 1)
    sign_in(client, "coordinator@example.org")
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.post(reverse("accounts:logout"))

    sign_in(client, "coordinator@example.org")
    replay = client.post(VERIFY, {"code": code})
    assert replay.status_code == 200
    assert "already been used" in replay.content.decode()
    assert client.get(MY_WORK).status_code == 302


def test_a_recovery_code_works_once(client, users):
    coordinator = users["coordinator"]
    device = mfa_services.totp_device_pending(user=coordinator)
    codes = mfa_services.totp_device_confirm(device=device, token=code_for(device), by=coordinator)
    assert len(codes) == 10 and len(set(codes)) == 10

    sign_in(client, "coordinator@example.org")
    used = client.post(VERIFY, {"code": codes[0].upper()[:4] + "-" + codes[0][4:]}, follow=True)
    assert used.redirect_chain and client.get(MY_WORK).status_code == 200
    assert "9 are left" in used.content.decode()
    assert StaticToken.objects.filter(device__user=coordinator).count() == 9
    assert AuditEntry.objects.filter(
        object_type="otp_static.staticdevice", summary__contains="one used"
    ).exists()
    client.post(reverse("accounts:logout"))

    sign_in(client, "coordinator@example.org")
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 200
    assert client.get(MY_WORK).status_code == 302
    unthrottle(StaticDevice.objects.get(user=coordinator))
    assert client.post(VERIFY, {"code": codes[1]}).status_code == 302


def test_optional_roles_sign_in_with_the_password_unless_they_chose_a_second_factor(client, users):
    response = sign_in(client, "viewer@example.org", next_url=MY_WORK)
    assert response["Location"] == MY_WORK
    assert client.get(MY_WORK).status_code == 200
    client.post(reverse("accounts:logout"))

    enrol_totp(users["viewer"])
    response = sign_in(client, "viewer@example.org", next_url=MY_WORK)
    assert response["Location"].startswith(VERIFY)
    assert client.get(MY_WORK).status_code == 302


def test_wrong_password_says_nothing_about_second_factors(client, users):
    enrol_totp(users["coordinator"])
    response = sign_in(client, "coordinator@example.org", password="not the password at all")
    unknown = sign_in(client, "nobody@example.org", password="not the password at all")
    assert response.status_code == unknown.status_code == 200
    assert response.context["form"].errors == unknown.context["form"].errors
    assert client.get(VERIFY).status_code == 302  # to the sign-in page: nobody is signed in
    assert client.get(VERIFY)["Location"].startswith(LOGIN)


# --- Enrolment forced on the roles that require it ----------------------------------------------------


def test_required_role_without_a_second_factor_must_enrol_first(client, users):
    administrator = users["administrator"]
    response = sign_in(client, "administrator@example.org", next_url=MY_WORK)
    assert response["Location"].startswith(SECURITY)
    for url in (
        MY_WORK,
        reverse("accounts:account"),
        reverse("admin:index"),
        reverse("recommendations:list"),
    ):
        page = client.get(url)
        assert page.status_code == 302 and page["Location"].startswith(SECURITY), url
    # The session cannot read the API either; an API token is not a session and is not affected.
    api = "/api/v1/recommendations"
    assert client.get(api).status_code == 403
    _token, secret = api_token_create(user=administrator, name="script")
    assert client.get(api, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200

    page = client.get(SECURITY)
    assert page.status_code == 200
    assert "Your role requires a second factor." in page.content.decode()

    setup = client.get(reverse("accounts:mfa-totp"))
    assert setup.status_code == 200 and "no-store" in setup["Cache-Control"]
    body = setup.content.decode()
    assert "<svg" in body and "data:" not in body  # the QR code inline, no script, no data URI
    device = TOTPDevice.objects.get(user=administrator, confirmed=False)
    secret_key = body.split('class="secret">', 1)[1].split("</code>", 1)[0].replace(" ", "")
    assert secret_key and secret_key in device.config_url
    assert client.get(MY_WORK).status_code == 302  # still not enrolled

    done = client.post(reverse("accounts:mfa-totp"), {"code": code_for(device)})
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    codes = done.context["codes"]
    assert len(codes) == 10 and all(c in done.content.decode() for c in codes)
    assert client.get(MY_WORK).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditEntry.objects.filter(
        object_type="otp_totp.totpdevice", action="create", actor=administrator
    ).exists()
    assert AuditEntry.objects.filter(object_type="otp_static.staticdevice", action="create").exists()


def test_a_wrong_code_does_not_confirm_the_app(client, users):
    sign_in(client, "administrator@example.org")
    client.get(reverse("accounts:mfa-totp"))
    device = TOTPDevice.objects.get(user=users["administrator"])
    wrong = "000000" if code_for(device) != "000000" else "111111"
    response = client.post(reverse("accounts:mfa-totp"), {"code": wrong})
    assert response.status_code == 200 and "not valid" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(MY_WORK).status_code == 302


def test_staff_accounts_must_enrol_too(client, users):
    from adolat.accounts.models import User

    User.objects.create_user("staff@example.org", PASSWORD, is_staff=True)
    assert sign_in(client, "staff@example.org")["Location"].startswith(SECURITY)


def test_required_roles_are_configurable(client, users, settings):
    settings.ADOLAT_MFA_REQUIRED_ROLES = ["coordinator"]
    sign_in(client, "administrator@example.org")
    assert client.get(MY_WORK).status_code == 200
    settings.ADOLAT_MFA_REQUIRED_ROLES = ["administrator", "coordinator", "viewer"]
    client.post(reverse("accounts:logout"))
    sign_in(client, "viewer@example.org")
    assert client.get(MY_WORK)["Location"].startswith(SECURITY)


# --- The administration ---------------------------------------------------------------------------


def test_administration_needs_a_verified_session(client, users, rf):
    from django.contrib import admin
    from django.contrib.auth.models import AnonymousUser  # noqa: F401

    administrator = users["administrator"]
    device = enrol_totp(administrator)
    sign_in(client, "administrator@example.org")
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    # The admin site's own gate says the same, whatever the middleware does.
    request = rf.get("/admin/")
    administrator.is_verified = lambda: False
    request.user = administrator
    assert not admin.site.has_permission(request)
    administrator.is_verified = lambda: True
    assert admin.site.has_permission(request)

    client.post(VERIFY, {"code": code_for(device, 1)})
    assert client.get(reverse("admin:index")).status_code == 200


# --- Confirming one's identity again ---------------------------------------------------------------


def _age_sign_in(client, seconds=3600):
    session = client.session
    for key in (mfa.PASSWORD_AT, mfa.FACTOR_AT):
        if key in session:
            session[key] -= seconds
    session.save()


def test_changing_the_second_factor_asks_again_after_a_while(client, users):
    coordinator = users["coordinator"]
    device = enrol_totp(coordinator)
    sign_in(client, "coordinator@example.org")
    client.post(VERIFY, {"code": code_for(device, 1)})
    codes_url = reverse("accounts:mfa-codes")
    # Fresh sign-in: new recovery codes at once.
    fresh = client.post(codes_url)
    assert fresh.status_code == 200 and len(fresh.context["codes"]) == 10

    _age_sign_in(client)
    stale = client.post(codes_url)
    assert stale.status_code == 302 and stale["Location"].startswith(reverse("accounts:reauth"))
    assert client.get(reverse("accounts:mfa-passkey"))["Location"].startswith(reverse("accounts:reauth"))
    remove = reverse("accounts:mfa-device-remove", args=["authenticator", device.pk])
    assert client.post(remove)["Location"].startswith(reverse("accounts:reauth"))
    assert TOTPDevice.objects.filter(pk=device.pk).exists()

    reauth = f"{reverse('accounts:reauth')}?next={codes_url}"
    wrong = client.post(reauth, {"password": "not the password at all"})
    assert wrong.status_code == 200 and "This password is not correct." in wrong.content.decode()
    step = client.post(reauth, {"password": PASSWORD})
    # The password is not enough for someone with a second factor: the code comes next.
    assert step.status_code == 302 and step["Location"].startswith(VERIFY)
    assert client.post(codes_url)["Location"].startswith(reverse("accounts:reauth"))
    back = client.post(step["Location"], {"code": code_for(device, 2)})
    assert back.status_code == 302 and back["Location"] == codes_url
    assert client.post(codes_url).status_code == 200


def test_email_change_needs_the_password_and_a_recent_sign_in(client, users):
    viewer = users["viewer"]
    sign_in(client, "viewer@example.org")
    url = reverse("accounts:email-change")
    assert client.get(url).status_code == 200
    wrong = client.post(url, {"email": "new@example.org", "password": "not the password at all"})
    assert wrong.status_code == 200
    taken = client.post(url, {"email": "coordinator@example.org", "password": PASSWORD})
    assert taken.status_code == 200 and "already exists" in taken.content.decode()
    viewer.refresh_from_db()
    assert viewer.email == "viewer@example.org"

    _age_sign_in(client)
    assert client.get(url)["Location"].startswith(reverse("accounts:reauth"))
    client.post(f"{reverse('accounts:reauth')}?next={url}", {"password": PASSWORD})
    assert client.post(url, {"email": "New@Example.org", "password": PASSWORD}).status_code == 302
    viewer.refresh_from_db()
    assert viewer.email == "new@example.org"
    entry = AuditEntry.objects.get(object_type="accounts.user", object_id=str(viewer.pk), action="update")
    assert entry.changes == {"email": ["viewer@example.org", "new@example.org"]}


# --- Removing ---------------------------------------------------------------------------------------


def test_a_required_role_keeps_its_last_second_factor(client, users):
    device = enrol_totp(users["coordinator"])
    sign_in(client, "coordinator@example.org")
    client.post(VERIFY, {"code": code_for(device, 1)})
    url = reverse("accounts:mfa-device-remove", args=["authenticator", device.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, follow=True)
    assert "set up another one before removing this one" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_removing_the_last_second_factor_removes_the_recovery_codes(client, users):
    viewer = users["viewer"]
    device = enrol_totp(viewer)
    sign_in(client, "viewer@example.org")
    client.post(VERIFY, {"code": code_for(device, 1)})
    client.post(reverse("accounts:mfa-device-remove", args=["authenticator", device.pk]))
    assert not TOTPDevice.objects.filter(user=viewer).exists()
    assert not StaticDevice.objects.filter(user=viewer).exists()
    assert AuditEntry.objects.filter(object_type="otp_totp.totpdevice", action="delete").count() == 1
    # Next sign-in: the password alone.
    client.post(reverse("accounts:logout"))
    assert sign_in(client, "viewer@example.org", next_url=MY_WORK)["Location"] == MY_WORK


def test_nobody_removes_another_persons_second_factor(client, users):
    device = enrol_totp(users["coordinator"])
    sign_in(client, "viewer@example.org")
    url = reverse("accounts:mfa-device-remove", args=["authenticator", device.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert client.get(reverse("accounts:mfa-device-remove", args=["nothing", device.pk])).status_code == 404


# --- Passkeys (django-otp-webauthn) ---------------------------------------------------------------


def make_passkey(user) -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user,
        name="Test key",
        confirmed=True,
        credential_id=b"credential-" + str(user.pk).encode(),
        public_key=b"not a real key",
        sign_count=0,
    )


def test_a_passkey_counts_as_a_second_factor(client, users):
    make_passkey(users["coordinator"])
    assert mfa.has_second_factor(users["coordinator"])
    response = sign_in(client, "coordinator@example.org")
    assert response["Location"].startswith(VERIFY)
    page = client.get(VERIFY).content.decode()
    assert 'id="passkey-verification-placeholder"' in page
    assert "django_otp_webauthn/otp_webauthn_auth.js" in page
    assert "<script>" not in page  # configuration as JSON data, scripts from files only
    assert client.get(MY_WORK).status_code == 302


def test_passkey_endpoints_are_for_signed_in_people_only(client, users):
    begin_auth = reverse("otp_webauthn:credential-authentication-begin")
    begin_reg = reverse("otp_webauthn:credential-registration-begin")
    # No passwordless sign-in, no registration without an account.
    assert client.post(begin_auth).status_code in (401, 403)
    assert client.post(begin_reg).status_code in (401, 403)

    make_passkey(users["coordinator"])
    sign_in(client, "coordinator@example.org")
    options = client.post(begin_auth)
    assert options.status_code == 200
    assert options.json()["rpId"] == "localhost"
    assert options.json()["allowCredentials"]
    # Adding another passkey from a session that has not passed the second factor: refused.
    assert client.post(begin_reg).status_code == 403


def test_passkey_registration_needs_a_recent_sign_in(client, users):
    device = enrol_totp(users["viewer"])
    sign_in(client, "viewer@example.org")
    client.post(VERIFY, {"code": code_for(device, 1)})
    begin_reg = reverse("otp_webauthn:credential-registration-begin")
    fresh = client.post(begin_reg)
    assert fresh.status_code == 200 and "challenge" in fresh.json()
    _age_sign_in(client)
    stale = client.post(begin_reg)
    assert stale.status_code == 403 and stale.json()["code"] == "reauth_required"


def test_a_required_role_may_enrol_with_a_passkey(client, users):
    sign_in(client, "administrator@example.org")
    page = client.get(reverse("accounts:mfa-passkey"))
    assert page.status_code == 200
    assert "django_otp_webauthn/otp_webauthn_register.js" in page.content.decode()
    assert client.post(reverse("otp_webauthn:credential-registration-begin")).status_code == 200


def test_time_is_kept_in_the_session(client, users):
    sign_in(client, "viewer@example.org")
    assert abs(client.session[mfa.PASSWORD_AT] - time.time()) < 60


# --- The demo ---------------------------------------------------------------------------------------


def test_demo_accounts_of_required_roles_get_the_printed_authenticator_key(client, settings):
    import io
    from importlib import import_module

    from django.core.management import call_command

    load_demo = import_module("adolat.accounts.management.commands.load-demo")
    settings.DEBUG = True
    out = io.StringIO()
    call_command("load-demo", stdout=out)
    assert load_demo.DEMO_TOTP_KEY in out.getvalue()
    with_app = set(TOTPDevice.objects.filter(confirmed=True).values_list("user__email", flat=True))
    assert with_app == {"administrator@adolat.demo", "coordinator@adolat.demo"}
    call_command("load-demo", stdout=io.StringIO())  # a second run adds no second device
    assert TOTPDevice.objects.count() == 2

    # The printed key, or `adolat demo-code`, lets a person through the second step.
    code_out = io.StringIO()
    call_command("demo-code", stdout=code_out)
    code = code_out.getvalue().split("Code: ", 1)[1][:6]
    sign_in(client, "coordinator@adolat.demo", password=load_demo.DEMO_PASSWORD)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    assert client.get(MY_WORK).status_code == 200


def test_demo_code_refuses_outside_debug_mode(settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo-code")
