"""Passkeys for real, in Debian's headless chromium with a virtual authenticator (Chrome DevTools
Protocol `WebAuthn.addVirtualAuthenticator`): a coordinator, whose role requires a second factor,
signs in with the password, is held at the sign-in security page, registers a passkey through
django-otp-webauthn's script, and signs in with it the next time."""

from urllib.parse import urlsplit

import pytest

from adolat.conftest import PASSWORD

# The launch arguments and the chromium-skip rule of adolat/tests/test_browser.py.
from adolat.tests.test_browser import _need_chromium, browser, shot  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("real_mfa"),
]


@pytest.fixture
def site(live_server, settings):
    """Browsers accept passkeys over plain http on "localhost" only."""
    url = live_server.url.replace("127.0.0.1", "localhost")
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [url]
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    # Plain http for the test server (production settings redirect to https, cookies secure only).
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = settings.LANGUAGE_COOKIE_SECURE = False
    settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME = "sessionid", "csrftoken"  # no __Host- prefix
    # The live server is shared by the session and built its middleware (SecurityMiddleware reads
    # SECURE_SSL_REDIRECT once) before function-scoped settings applied: build it again.
    app = live_server.thread.httpd.get_app()
    while hasattr(app, "application"):
        app = app.application
    app.load_middleware()
    return url


def sign_in(page, site, email):
    page.goto(f"{site}/accounts/login/?next=/follow-up/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_register_a_passkey_then_sign_in_with_it(site, browser, users):  # noqa: F811
    from django_otp_webauthn.models import WebAuthnCredential

    from adolat.lib.models import AuditEntry

    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    outside = []
    page.on("request", lambda r: None if r.url.startswith(site) else outside.append(r.url))
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    # The password alone leads to the sign-in security page, and nowhere else.
    sign_in(page, site, "coordinator@example.org")
    assert "/accounts/security/" in page.url, page.content()[-3000:]
    page.goto(f"{site}/follow-up/")
    assert "/accounts/security/" in page.url

    page.get_by_role("link", name="Add a passkey").click()
    page.wait_for_load_state()
    page.locator("#passkey-register-button").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/accounts/security/", timeout=20000)
    assert WebAuthnCredential.objects.filter(user=users["coordinator"], confirmed=True).count() == 1
    assert AuditEntry.objects.filter(object_type="django_otp_webauthn.webauthncredential").count() == 1
    assert "You have no passkeys." not in page.content()
    shot(page, "passkey-registered")
    # Registering the first passkey verified this session: the app is open.
    page.goto(f"{site}/follow-up/")
    assert page.url.rstrip("/").endswith("/follow-up")

    # Next time: the password, then the passkey.
    page.locator("header form[action$='/logout/'] button").click()
    page.wait_for_load_state()
    sign_in(page, site, "coordinator@example.org")
    assert "/accounts/verify/" in page.url
    page.locator("#passkey-verification-button").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/follow-up/", timeout=20000)
    page.goto(f"{site}/follow-up/")
    assert page.url.rstrip("/").endswith("/follow-up")
    assert outside == []
    context.close()
