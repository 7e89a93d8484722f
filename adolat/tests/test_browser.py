"""What only a browser shows: searching, filtering, opening a recommendation and switching the
language in Debian's headless chromium, with and without JavaScript."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _need_chromium():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("ADOLAT_REQUIRE_BROWSER"):
            pytest.fail(f"chromium is required here but missing at {CHROMIUM}")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); CI installs it")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures
    # around it are ordinary synchronous ones.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def registry(make_recommendation):
    from adolat.recommendations.models import Country

    brazil, _ = Country.objects.get_or_create(code="BR", defaults={"name_en": "Brazil"})
    make_recommendation(
        text_en="Criminalise torture as defined in the Convention against Torture",
        text_ru="Криминализировать пытки в соответствии с Конвенцией против пыток",
        position="supported",
        is_published=True,
        year=2011,
        recommending_states=[brazil],
    )
    make_recommendation(
        text_en="Investigate all allegations of torture promptly and impartially",
        position="noted",
        is_published=True,
        year=2011,
    )
    make_recommendation(
        text_en="Issue a standing invitation to special procedures",
        position="supported",
        is_published=True,
        year=2011,
    )


def open_facet(page, name):
    details = page.locator("details.facet", has=page.locator(f"input[name={name}]"))
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_search_filter_open_and_switch_language(live_server, browser, registry):
    from playwright.sync_api import expect

    # A browser set to Tajik, as the product's default readers' are.
    page = browser.new_context(locale="tg-TJ").new_page()
    requests_elsewhere = []
    page.on(
        "request", lambda r: None if r.url.startswith(live_server.url) else requests_elsewhere.append(r.url)
    )
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "tg"
    assert page.locator("li.rec").count() == 3

    page.fill("#q", "torture")
    page.press("#q", "Enter")
    expect(page.locator("li.rec")).to_have_count(2)  # polls without eval, which the CSP forbids
    assert "q=torture" in page.url  # htmx pushed the search into the address bar

    open_facet(page, "position")
    page.check("input[name=position][value=noted]")
    expect(page.locator("li.rec")).to_have_count(1)
    assert "Investigate all allegations" in page.locator("li.rec").inner_text()
    shot(page, "list-filtered")

    page.click("li.rec .text a")
    page.wait_for_url("**/recommendations/*/**")
    assert "Investigate all allegations" in page.locator("blockquote.rec-text").inner_text()

    page.click("form.languages button[value=ru]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ru"
    page.click("form.languages button[value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Recommendation" in page.locator("h1").inner_text()
    shot(page, "detail-en")

    # The choice is remembered on the next visit.
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert requests_elsewhere == []


def test_works_without_javascript(live_server, browser, registry):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/?q=torture")
    assert page.locator("li.rec").count() == 2
    open_facet(page, "position")
    page.check("input[name=position][value=supported]")
    page.locator("aside.facets noscript button, aside.facets button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator("li.rec").count() == 1
    assert "position=supported" in page.url
    context.close()
