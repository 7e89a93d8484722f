"""Sign-in lockout, breached passwords, sessions, "lock everything" and the security headers
(adolat/accounts/security.py and the Security section of adolat/settings.py)."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from adolat.accounts import security
from adolat.accounts.models import ApiToken, User
from adolat.accounts.services import api_token_create
from adolat.conftest import PASSWORD
from adolat.lib.models import AuditEntry

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client, email, password):
    return client.post(LOGIN, {"username": email, "password": password})


def comparable(response, email) -> str:
    """The page without what legitimately differs between two answers: the CSRF token and the
    address the person typed, which the form shows back."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", body)
    return body.replace(email, "EMAIL")


def is_signed_in(client) -> bool:
    return client.get(reverse("accounts:account")).status_code == 200


# --- Lockout ------------------------------------------------------------------------------------


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def test_a_locked_account_answers_exactly_like_an_unknown_one_and_a_wrong_password(client, users, limit):
    for _ in range(limit):
        assert sign_in(client, "viewer@example.org", "a wrong password, again").status_code == 200
        sign_in(client, "nobody@example.org", "a wrong password, again")

    # Locked: even the right password gets the ordinary answer, and no session.
    locked = sign_in(client, "viewer@example.org", PASSWORD)
    unknown = sign_in(client, "nobody@example.org", PASSWORD)
    wrong = sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), "monitor@example.org", "not the monitor's password")

    assert locked.status_code == unknown.status_code == wrong.status_code == 200
    assert "The e-mail address or the password is not correct." in locked.content.decode()
    assert comparable(locked, "viewer@example.org") == comparable(unknown, "nobody@example.org")
    assert comparable(locked, "viewer@example.org") == comparable(wrong, "monitor@example.org")
    assert set(locked.headers) == set(unknown.headers) == set(wrong.headers)
    assert not is_signed_in(client)


def test_the_lockout_counts_the_account_ignoring_case_and_ends_after_a_reset(client, users, limit):
    for i in range(limit):
        sign_in(client, "Viewer@Example.org" if i % 2 else "viewer@example.org", "a wrong password, again")
    sign_in(client, "viewer@example.org", PASSWORD)
    assert not is_signed_in(client)

    from axes.utils import reset

    reset(username="viewer@example.org")
    assert sign_in(client, "viewer@example.org", PASSWORD).status_code == 302
    assert is_signed_in(client)


def test_other_accounts_are_not_locked_by_failures_on_one(client, users, limit):
    for _ in range(limit + 1):
        sign_in(client, "viewer@example.org", "a wrong password, again")
    assert sign_in(client, "monitor@example.org", PASSWORD).status_code == 302


class CountingHasher(MD5PasswordHasher):
    """The test suite's fast hasher, counting each time a password is hashed."""

    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings, users):
    settings.PASSWORD_HASHERS = ["adolat.accounts.tests.test_security.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def hashes_for(client, email, password, hasher) -> int:
    before = hasher.calls
    sign_in(client, email, password)
    return hasher.calls - before


def test_every_answer_costs_one_password_hash(client, counting_hasher, limit):
    """Time is not measured (the suite's machines vary); the work is counted: known and unknown
    addresses, open and locked accounts each hash the password exactly once."""
    assert hashes_for(client, "viewer@example.org", "a wrong password, again", counting_hasher) == 1
    assert hashes_for(client, "nobody@example.org", "a wrong password, again", counting_hasher) == 1
    User.objects.filter(email="monitor@example.org").update(is_active=False)
    assert hashes_for(client, "monitor@example.org", PASSWORD, counting_hasher) == 1  # inactive
    for _ in range(limit):
        sign_in(client, "viewer@example.org", "a wrong password, again")
    assert hashes_for(client, "viewer@example.org", PASSWORD, counting_hasher) == 1  # locked
    assert hashes_for(client, "viewer@example.org", "a wrong password, again", counting_hasher) == 1


# --- Passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["qwertyuiop123", "iloveyou1234", "1qaz2wsx3edc4rfv", "PASSWORD1234"])
def test_passwords_from_breaches_are_refused(password):
    with pytest.raises(ValidationError) as err:
        validate_password(password)
    assert "password_too_common" in [e.code for e in err.value.error_list]


def test_the_breached_list_adds_to_djangos_common_list():
    from django.contrib.auth.password_validation import CommonPasswordValidator

    breached = security.BreachedPasswordValidator()
    extra = breached.passwords - CommonPasswordValidator().passwords
    assert len(breached.passwords) > 40_000
    assert len(extra) > 30_000
    assert all(len(p) >= 12 for p in breached.passwords)
    sample = sorted(extra)[:: len(extra) // 5][:5]
    for password in sample:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_a_long_uncommon_password_passes():
    validate_password("quiet lanterns over the Varzob river")


def test_password_change_page_refuses_a_breached_password(client, users):
    client.force_login(users["viewer"])
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": "qwertyuiop123", "new_password2": "qwertyuiop123"},
    )
    assert response.status_code == 200
    assert "data breaches" in response.content.decode()
    users["viewer"].refresh_from_db()
    assert users["viewer"].check_password(PASSWORD)


# --- Sessions -----------------------------------------------------------------------------------


def test_signing_in_starts_a_new_session(client, users):
    session = client.session
    session["before"] = "anonymous visit"
    session.save()
    old_key = session.session_key
    assert sign_in(client, "viewer@example.org", PASSWORD).status_code == 302
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert is_signed_in(client)


def test_changing_the_password_ends_the_other_sessions_only(users):
    here, elsewhere = Client(), Client()
    here.force_login(users["viewer"])
    elsewhere.force_login(users["viewer"])
    new = "a brand new passphrase for the viewer"
    response = here.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)


def test_deactivating_a_person_ends_their_sessions_for_good(client, users):
    viewer = users["viewer"]
    client.force_login(viewer)
    other = Client()
    other.force_login(users["monitor"])
    viewer.is_active = False
    viewer.save()
    assert Session.objects.count() == 1  # the monitor's
    viewer.is_active = True
    viewer.save()
    assert not is_signed_in(client)
    assert is_signed_in(other)


def test_a_session_of_a_deactivated_person_is_not_revived(client, users):
    """Even when deactivated behind the model's back (a bulk update), the session is emptied at its
    next request, so reactivating the account does not bring it back."""
    client.force_login(users["viewer"])
    User.objects.filter(pk=users["viewer"].pk).update(is_active=False)
    assert not is_signed_in(client)
    User.objects.filter(pk=users["viewer"].pk).update(is_active=True)
    assert not is_signed_in(client)


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = 1_900_000_000

    monkeypatch.setattr(security, "_now", lambda: Clock.now)
    return Clock


def test_a_session_ends_when_idle(client, users, clock, settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    client.force_login(users["viewer"])
    for _ in range(3):  # active every 25 minutes: still signed in
        clock.now += 25 * 60
        assert is_signed_in(client)
    clock.now += 31 * 60
    response = client.get(reverse("accounts:account"))
    assert response.status_code == 302
    assert not is_signed_in(client)


def test_a_session_ends_at_its_maximum_age_however_active(client, users, clock, settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    settings.SESSION_MAX_AGE_SECONDS = 2 * 3600
    client.force_login(users["viewer"])
    for _ in range(7):  # 1 h 45 min of activity
        clock.now += 15 * 60
        assert is_signed_in(client)
    clock.now += 16 * 60
    assert not is_signed_in(client)


def test_idle_timeout_is_also_the_servers_expiry(client, users):
    from django.utils import timezone

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    client.force_login(users["viewer"])
    remaining = (Session.objects.get().expire_date - timezone.now()).total_seconds()
    assert settings.SESSION_IDLE_SECONDS - 5 <= remaining <= settings.SESSION_IDLE_SECONDS + 61


def test_cookies_are_secure_httponly_samesite_and_host_bound(client, users):
    # The suite runs in production mode (DEBUG off), where cookies are secure.
    page = client.get(LOGIN)
    csrf = page.cookies["__Host-csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    assert csrf["path"] == "/" and not csrf["domain"]
    response = sign_in(client, "viewer@example.org", PASSWORD)
    cookie = response.cookies["__Host-sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/" and not cookie["domain"]
    assert "sessionid" not in response.cookies


# --- Lock everything ----------------------------------------------------------------------------


@pytest.fixture
def everyone_signed_in(users):
    clients = {}
    for role in ("administrator", "coordinator", "viewer"):
        clients[role] = Client(HTTP_ACCEPT_LANGUAGE="en")
        clients[role].force_login(users[role])
    tokens = [
        api_token_create(user=users["coordinator"], name="statistics")[1],
        api_token_create(user=users["viewer"], name="a script")[1],
    ]
    return clients, tokens


def api_status(secret) -> int:
    return Client().get("/api/v1/recommendations", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


def assert_everything_locked(clients, tokens):
    for client in clients.values():
        assert not is_signed_in(client)
    for secret in tokens:
        assert api_status(secret) == 401
    assert not ApiToken.objects.filter(revoked__isnull=True).exists()
    assert AuditEntry.objects.filter(action="lock_everything").count() == 1
    assert AuditEntry.objects.filter(action="revoke", object_type="accounts.apitoken").count() == len(tokens)


def test_an_administrator_locks_everything(everyone_signed_in):
    clients, tokens = everyone_signed_in
    assert all(api_status(secret) == 200 for secret in tokens)
    admin = clients["administrator"]
    url = reverse("accounts:lock-everything")
    page = admin.get(url)
    assert page.status_code == 200
    assert "3 open sessions" in page.content.decode()

    # Without the confirmation nothing happens.
    assert admin.post(url, {}).status_code == 200
    assert all(is_signed_in(c) for c in clients.values())

    response = admin.post(url, {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert_everything_locked(clients, tokens)
    entry = AuditEntry.objects.get(action="lock_everything")
    assert entry.actor.email == "administrator@example.org" and entry.source == "web"


def test_only_administrators_may_lock_everything(everyone_signed_in):
    clients, tokens = everyone_signed_in
    assert (
        clients["coordinator"].post(reverse("accounts:lock-everything"), {"confirm": "on"}).status_code == 403
    )
    assert all(is_signed_in(c) for c in clients.values())
    assert all(api_status(secret) == 200 for secret in tokens)


def test_the_command_locks_everything(everyone_signed_in):
    clients, tokens = everyone_signed_in
    with pytest.raises(CommandError):
        call_command("lock-everything")  # no terminal to confirm on
    assert all(is_signed_in(c) for c in clients.values())
    call_command("lock-everything", "--yes")
    assert_everything_locked(clients, tokens)
    assert AuditEntry.objects.get(action="lock_everything").source == "command"


# --- Headers ------------------------------------------------------------------------------------


def test_security_headers_on_every_page(client):
    response = client.get("/", secure=True)
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_plain_http_is_redirected_to_https_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True  # the suite's own client speaks plain HTTP (conftest)
    response = client.get("/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200  # health checks stay on plain HTTP


@pytest.mark.parametrize(
    "name",
    [
        "recommendations:list",
        "accounts:account",
        "followup:my-work",
        "followup:inbox",
        "accounts:lock-everything",
    ],
)
def test_pages_for_a_signed_in_person_are_never_stored(client, users, name):
    client.force_login(users["administrator"])
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_api_answers_to_a_token_are_never_stored(users):
    _token, secret = api_token_create(user=users["viewer"], name="script")
    response = Client().get("/api/v1/recommendations", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_public_pages_may_be_cached(client):
    assert "no-store" not in client.get("/").get("Cache-Control", "")


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> element"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"\bhx-on", re.I), "htmx inline handler"),
    (re.compile(r"\ssrc=\"(https?:)?//", re.I), "resource from another origin"),
    (re.compile(r"<link[^>]+href=\"(https?:)?//", re.I), "resource from another origin"),
]


def test_no_page_template_has_inline_script_style_or_foreign_resources():
    """The Content-Security-Policy forbids them; e-mails (not pages) may style inline."""
    from pathlib import Path

    root = Path(settings.PACKAGE_DIR)
    offenders = []
    for template in root.glob("**/templates/**/*.html"):
        if "/email/" in template.as_posix():
            continue
        text = template.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            if pattern.search(text):
                offenders.append(f"{template.relative_to(root)}: {what}")
    assert offenders == []
