"""Refusals worth knowing about are in the audit log (failed sign-ins, lockouts, refused pages),
without personal data; and application logs hold no query strings nor exception messages."""

import io
import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import Client
from django.urls import path, reverse

from adolat.conftest import PASSWORD
from adolat.lib import audit
from adolat.lib.log import PrivacyFormatter
from adolat.lib.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_failed_sign_in_is_recorded_with_a_keyed_hash_of_the_address_and_no_password(client, users):
    response = client.post(
        reverse("accounts:login"), {"username": "Viewer@Example.org", "password": "not the password 123"}
    )
    assert response.status_code == 200  # the form again, with its error
    entry = AuditEntry.objects.get(action="login_failed")
    assert entry.actor is None
    stored = str(entry.changes) + entry.summary + entry.object_id
    assert "viewer@example.org" not in stored.casefold()
    assert "not the password" not in stored
    assert entry.changes["identifier_hash"][1] == audit.identifier_hash("viewer@example.org")
    assert audit.ACTION_LABELS["login_failed"]


def test_the_keyed_hash_depends_on_the_secret_key(settings):
    first = audit.identifier_hash("someone@example.org")
    settings.SECRET_KEY = "another secret key for this instance"  # noqa: S105
    assert audit.identifier_hash("someone@example.org") != first


def test_a_lockout_is_recorded(client, users, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(3):
        client.post(
            reverse("accounts:login"), {"username": "viewer@example.org", "password": "wrong password 1"}
        )
    entry = AuditEntry.objects.filter(action="locked_out").first()
    assert entry is not None
    assert entry.changes["identifier_hash"][1] == audit.identifier_hash("viewer@example.org")


def test_a_successful_sign_in_records_no_failure(client, users):
    client.post(reverse("accounts:login"), {"username": "viewer@example.org", "password": PASSWORD})
    assert not AuditEntry.objects.filter(action="login_failed").exists()


def test_a_page_refused_to_a_signed_in_person_is_recorded(client, users):
    client.force_login(users["viewer"])
    assert client.get(reverse("followup:periods")).status_code == 403
    entry = AuditEntry.objects.get(action="refused")
    assert entry.actor == users["viewer"]
    assert entry.object_id == "followup:periods"
    assert entry.changes == {"status": [None, 403]}


def test_a_record_out_of_reach_is_recorded_as_refused(client, users):
    client.force_login(users["viewer"])
    url = reverse("followup:report-detail", args=[987654])
    assert client.get(url).status_code == 404
    entry = AuditEntry.objects.get(action="refused")
    assert (entry.object_id, entry.summary) == ("followup:report-detail", f"GET {url}")


def test_anonymous_refusals_and_mistyped_addresses_are_not_recorded(client, users):
    assert client.get(reverse("followup:report-detail", args=[987654])).status_code == 404
    client.force_login(users["viewer"])
    assert client.get("/no/such/page/").status_code == 404
    assert not AuditEntry.objects.filter(action="refused").exists()


# --- Application logs ---------------------------------------------------------------------------


def _boom(request):
    raise ValueError(f"cannot parse {request.GET.get('email')}")


def _forbidden(request):
    raise PermissionDenied(f"not for {request.GET.get('email')}")


urlpatterns = [
    path("boom/", _boom, name="boom"),
    path("forbidden/", _forbidden, name="forbidden"),
    path("fine/", lambda request: HttpResponse("ok"), name="fine"),
]


@pytest.fixture
def log_output():
    """What the configured console handlers write (settings.LOGGING)."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h.formatter, PrivacyFormatter)]
    assert handlers, "settings.LOGGING formats the console through PrivacyFormatter"
    buffer = io.StringIO()
    previous = [h.setStream(buffer) for h in handlers]
    yield buffer
    for h, stream in zip(handlers, previous, strict=True):
        h.setStream(stream)


@pytest.mark.urls(__name__)
def test_a_server_error_with_personal_data_in_the_query_string_logs_none_of_it(log_output):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", {"email": "dilnoza.rahimova@example.tj", "q": "torture victim"})
    assert response.status_code == 500
    out = log_output.getvalue()
    assert "Internal Server Error: /boom/" in out
    assert "ValueError" in out  # enough to find the bug
    assert "_boom" in out
    assert "dilnoza" not in out
    assert "torture" not in out
    assert "example.tj" not in out


@pytest.mark.urls(__name__)
def test_a_refusal_is_logged_by_path_only(log_output):
    Client().get("/forbidden/", {"email": "dilnoza.rahimova@example.tj"})
    out = log_output.getvalue()
    assert "Forbidden (Permission denied): /forbidden/" in out
    assert "dilnoza" not in out


def test_the_formatter_strips_query_strings_from_request_lines():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /search/?q=secret HTTP/1.1", 200, 5),
        None,
    )
    formatted = PrivacyFormatter("{message}", style="{").format(record)
    assert formatted == '"GET /search/ HTTP/1.1" 200 5'
    assert record.getMessage().endswith("200 5")  # the record itself is left as it was
