"""No lost updates: two people edit the same progress report; the second save is refused with
what changed (the page: a conflict screen, 409; the API: 409 with the fields), the first kept."""

import pytest
from django.test import Client
from django.urls import reverse

from adolat.accounts.services import api_token_create
from adolat.followup import services
from adolat.followup.models import ProgressReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(assignment, make_report):
    return make_report(assignment, "draft")


def _signed_in(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def test_the_second_save_gets_a_conflict_screen_with_both_values_and_the_first_is_kept(users, report):
    url = reverse("followup:report-edit", args=[report.pk])
    seen = report.version
    # Someone else (another focal point of the body, here through the service) saves first.
    services.progress_report_update(
        report=ProgressReport.objects.get(pk=report.pk),
        version=seen,
        text="Their text: the law was drafted.",
        proposed_status="in_progress",
        by=users["focal_point"],
    )
    mine = {"text": "My text: nothing yet.", "proposed_status": "not_implemented", "language": "en"}
    response = _signed_in(users["focal_point"]).post(url, {**mine, "version": seen})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved a change while you were editing" in page
    # Field by field, by their translated names: mine beside theirs.
    assert "What was done" in page and "Proposed status" in page
    assert "My text: nothing yet." in page and "Their text: the law was drafted." in page
    assert "<td>not implemented</td>" in page and "<td>in progress</td>" in page
    assert "changed by someone else" in page
    # Who changed what since.
    assert "Focal Point" in page
    # The form to re-apply carries my values on the current version.
    assert f'name="version" value="{seen + 1}"' in page
    report.refresh_from_db()
    assert report.text == "Their text: the law was drafted."


def test_re_applying_from_the_conflict_screen_saves_on_purpose(users, report):
    url = reverse("followup:report-edit", args=[report.pk])
    c = _signed_in(users["focal_point"])
    services.progress_report_update(
        report=ProgressReport.objects.get(pk=report.pk), version=1, text="Theirs", by=users["focal_point"]
    )
    mine = {"text": "Mine", "proposed_status": "in_progress", "language": "en"}
    assert c.post(url, {**mine, "version": 1}).status_code == 409
    assert c.post(url, {**mine, "version": 2}).status_code == 302
    report.refresh_from_db()
    assert (report.text, report.version) == ("Mine", 3)


def test_the_api_answers_409_with_the_changed_fields(client, users, report):
    token = api_token_create(user=users["focal_point"], name="test")[1]
    url = f"/api/v1/progress-reports/{report.pk}"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def patch(body):
        return client.patch(url, body, content_type="application/json", **headers)

    assert patch({"version": 1, "text": "First", "proposed_status": "implemented"}).status_code == 200
    response = patch({"version": 1, "text": "Second"})
    assert response.status_code == 409
    body = response.json()
    assert body["version"] == 2
    changed = {c["field"]: c for c in body["changed"]}
    assert changed["text"] == {"field": "text", "yours": "Second", "current": "First", "changed_since": True}
    assert changed["proposed_status"]["current"] == "implemented"
    assert changed["proposed_status"]["changed_since"] is True
    assert "language" not in changed
    assert ProgressReport.objects.get(pk=report.pk).text == "First"
    # With the version from the 409 the change goes through, on purpose.
    assert patch({"version": body["version"], "text": "Second"}).status_code == 200
