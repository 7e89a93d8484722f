"""The follow-up flow through the real forms in Debian's headless chromium: a coordinator assigns,
a focal point reports and submits, the coordinator returns the report, the focal point resubmits,
the coordinator validates; the public page shows the new status, and a civil-society
contributor's assessment beside it."""

import pytest
from django.conf import settings
from django.test import Client

# The launch arguments and the chromium-skip rule of adolat/tests/test_browser.py (an imported
# fixture is a fixture of this module; `_need_chromium` is autouse).
from adolat.tests.test_browser import _need_chromium, browser, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(browser, live_server, user):  # noqa: F811
    """A browser context holding the person's session, as after signing in."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-GB")
    name = settings.SESSION_COOKIE_NAME  # secure and __Host- bound in production mode
    url = live_server.url.replace("http://", "https://", 1)  # chromium sends it to http://localhost too
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": url, "secure": True}])
    return context.new_page()


def submit(page, form_selector="form.narrow"):
    page.locator(f"{form_selector} button[type=submit]").click()
    page.wait_for_load_state()


def test_assign_report_return_resubmit_validate_assess(live_server, browser, users, rec, period):  # noqa: F811
    detail = f"{live_server.url}/recommendations/{rec.pk}/"

    # The coordinator assigns the recommendation to the Ministry of Justice.
    coordinator = signed_in(browser, live_server, users["coordinator"])
    coordinator.goto(detail)
    coordinator.get_by_role("link", name="Assign to a state body").click()
    coordinator.select_option("#id_lead_body", label="Ministry of Justice")
    coordinator.fill("#id_deadline", "2027-12-31")
    submit(coordinator)
    assert "Ministry of Justice" in coordinator.locator("table.assignments").inner_text()

    # The focal point writes a report from "My work" and submits it.
    focal = signed_in(browser, live_server, users["focal_point"])
    focal.goto(live_server.url + "/follow-up/")
    focal.locator("#assignments").get_by_role("link", name="Write a report").click()
    focal.fill("#id_text", "A draft law on the national preventive mechanism was sent to parliament.")
    focal.select_option("#id_proposed_status", "partially_implemented")
    focal.select_option("#id_period", str(period.pk))
    focal.select_option("#id_language", "en")
    submit(focal)
    focal.get_by_role("button", name="Submit to the coordinator").click()
    focal.wait_for_load_state()
    assert "submitted" in focal.locator("h1 .badge").inner_text()

    # The coordinator returns it with a comment.
    coordinator.goto(live_server.url + "/follow-up/")
    coordinator.locator("#waiting").get_by_role("link", name="Review").click()
    coordinator.fill("#id_comment", "Attach the text of the draft law.")
    submit(coordinator, "form#return")
    assert "returned" in coordinator.locator("h1 .badge").inner_text()

    # The focal point sees it returned, attaches the law and resubmits.
    focal.goto(live_server.url + "/follow-up/")
    assert "Attach the text of the draft law." in focal.locator("#returned").inner_text()
    focal.locator("#returned").get_by_role("link", name="Revise the report").click()
    focal.fill("#id_url", "https://example.org/draft-law.pdf")
    focal.fill("#id_description", "Draft law")
    submit(focal)
    focal.get_by_role("button", name="Resubmit").click()
    focal.wait_for_load_state()
    assert "submitted" in focal.locator("h1 .badge").inner_text()

    # The coordinator validates, after confirming.
    coordinator.goto(live_server.url + "/follow-up/")
    coordinator.locator("#waiting").get_by_role("link", name="Review").click()
    coordinator.get_by_role("link", name="Validate…").click()
    coordinator.get_by_role("button", name="Yes, validate").click()
    coordinator.wait_for_load_state()
    assert "validated" in coordinator.locator("h1 .badge").inner_text()

    # A civil-society contributor publishes an independent assessment.
    cso = signed_in(browser, live_server, users["cso_contributor"])
    cso.goto(detail)
    cso.get_by_role("link", name="Publish your organisation's assessment").click()
    cso.select_option("#id_rating", "in_progress")
    cso.fill("#id_reasoning", "The law is still a draft; nothing has changed in places of detention.")
    cso.select_option("#id_language", "en")
    submit(cso)

    # The public page shows both, side by side, without JavaScript.
    public = browser.new_context(locale="en-GB", java_script_enabled=False).new_page()
    public.goto(detail)
    assert public.locator("#state-status").inner_text() == "partially implemented"
    assert public.locator("#cso-rating").inner_text() == "in progress"
    assert "Civil Society Coalition against Torture" in public.locator(".cso-view").inner_text()
    timeline = public.locator("ol.timeline").inner_text()
    assert "report validated" in timeline
    assert "Attach the text of the draft law." not in timeline  # the return is the state's internal work
    shot(public, "followup-public")
