"""The Content-Security-Policy in a real browser: the main pages, signed out and signed in, load in
Debian's headless chromium with no policy violation and no request to another origin."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

# The launch arguments and the chromium-skip rule of adolat/tests/test_browser.py (an imported
# fixture is a fixture of this module; `_need_chromium` is autouse).
from adolat.conftest import PASSWORD
from adolat.tests.test_access_matrix import _followup_objects
from adolat.tests.test_browser import _need_chromium, browser, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Watch:
    """Everything a page does that the policy or the no-third-party rule forbids."""

    def __init__(self, page, origin):
        self.problems = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"script error: {exc}"))
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith((origin, "data:"))
                else self.problems.append(f"request elsewhere: {r.url}")
            ),
        )
        # Reported by the browser for each blocked inline script, style or foreign resource.
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
        )

    def _console(self, message):
        text = message.text
        if any(s in text for s in ("Content Security Policy", "CSP violation", "Refused to")):
            self.problems.append(f"console {message.type}: {text}")


@pytest.fixture
def records(users, make_recommendation):
    published = make_recommendation(
        text_en="Criminalise torture as defined in the Convention against Torture", is_published=True
    )
    return {"published": published, **_followup_objects(users, published)}


def visit(page, watch, url, name):
    response = page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # reports of violations arrive as events just after the load
    assert response.status == 200, f"{url}: {response.status}"
    assert "script-src 'self';" in response.headers.get("content-security-policy", "") + ";"
    shot(page, f"csp-{name}")
    assert watch.problems == [], f"{url}: {watch.problems}"


def test_pages_load_under_the_policy_signed_out_and_signed_in(live_server, browser, records):  # noqa: F811
    from playwright.sync_api import expect

    base = live_server.url
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    watch = Watch(page, base)

    visit(page, watch, base + "/", "list")
    # htmx's live search runs under the policy too.
    page.fill("#q", "torture")
    page.press("#q", "Enter")
    expect(page.locator("li.rec")).to_have_count(1)  # polls without eval, which the CSP forbids
    page.wait_for_load_state("networkidle")
    visit(page, watch, base + reverse("recommendations:detail", args=[records["published"].pk]), "detail")
    visit(page, watch, base + reverse("followup:report-detail", args=[records["validated"].pk]), "report")
    visit(page, watch, base + reverse("accounts:login"), "login")

    # Signing in through the form: the secure, host-bound session cookie is accepted.
    page.fill("#id_username", "focal_point@example.org")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    names = {c["name"] for c in context.cookies()}
    assert settings.SESSION_COOKIE_NAME in names
    for name, url in [
        ("account", reverse("accounts:account")),
        ("my-work", reverse("followup:my-work")),
        ("inbox", reverse("followup:inbox")),
        ("report-create", reverse("followup:report-create", args=[records["assignment"].pk])),
        ("report-draft", reverse("followup:report-detail", args=[records["report_draft"].pk])),
        ("security", reverse("accounts:security")),
        ("mfa-totp", reverse("accounts:mfa-totp")),
        ("mfa-passkey", reverse("accounts:mfa-passkey")),
    ]:
        visit(page, watch, base + url, name)
    assert watch.problems == []
    context.close()


def test_administration_pages_load_under_the_policy(live_server, browser, users, records):  # noqa: F811
    base = live_server.url
    client = Client()
    client.force_login(users["administrator"])  # with the second factor verified (conftest)
    context = browser.new_context(locale="en-GB")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                # A secure, host-bound cookie; chromium sends it to http://localhost too.
                "url": base.replace("http://", "https://", 1),
                "secure": True,
            }
        ]
    )
    page = context.new_page()
    watch = Watch(page, base)
    for name, url in [
        ("lock-everything", reverse("accounts:lock-everything")),
        ("periods", reverse("followup:periods")),
        ("imports", reverse("recommendations:import-list")),
        ("admin", reverse("admin:index")),
        ("admin-users", reverse("admin:accounts_user_changelist")),
        ("admin-user", reverse("admin:accounts_user_change", args=[users["viewer"].pk])),
        ("translations", reverse("rosetta-file-list", kwargs={"po_filter": "project"})),
    ]:
        visit(page, watch, base + url, name)
    context.close()
