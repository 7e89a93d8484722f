"""The OpenAPI document, and the API checked against it by schemathesis.

schemathesis generates requests from the document (valid ones, and invalid ones to see them
refused) and checks each answer: no server error, a documented status and content type, a body
that matches the documented schema, optional authentication really optional.
"""

import json
from collections import Counter

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from adolat.recommendations.models import AffectedGroup, Country, Mechanism, SdgGoal, SourceDocument, Theme

pytestmark = pytest.mark.django_db

OPENAPI = "/api/v1/openapi.json"

ENDPOINTS = {
    "/api/v1/recommendations",
    "/api/v1/recommendations/{id}",
    "/api/v1/mechanisms",
    "/api/v1/documents",
    "/api/v1/themes",
    "/api/v1/affected-groups",
    "/api/v1/sdg-goals",
    "/api/v1/countries",
}


@pytest.fixture
def document(client):
    return client.get(OPENAPI).json()


def test_it_is_a_valid_openapi_3_document(document):
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Adolat API"
    assert document["info"]["version"] == "1"
    # Raises with the first violation of the OpenAPI meta-schema.
    schemathesis.openapi.from_dict(document).validate()


# The follow-up (adolat/api/followup.py): reads, and writes that need a token.
FOLLOW_UP = {
    "/api/v1/clusters": {"get"},
    "/api/v1/clusters/{id}/confirm": {"post"},
    "/api/v1/clusters/{id}/reject": {"post"},
    "/api/v1/reporting-periods": {"get", "post"},
    "/api/v1/assignments": {"get", "post"},
    "/api/v1/assignments/{id}": {"get"},
    "/api/v1/progress-reports": {"get", "post"},
    "/api/v1/progress-reports/{id}": {"get", "patch"},
    "/api/v1/progress-reports/{id}/submit": {"post"},
    "/api/v1/progress-reports/{id}/return": {"post"},
    "/api/v1/progress-reports/{id}/resubmit": {"post"},
    "/api/v1/progress-reports/{id}/validate": {"post"},
    "/api/v1/progress-reports/{id}/evidence": {"post"},
    "/api/v1/assessments": {"get", "post"},
    "/api/v1/assessments/{id}": {"get"},
    "/api/v1/assessments/{id}/evidence": {"post"},
    "/api/v1/assessments/{id}/replies": {"post"},
}


def test_it_lists_every_endpoint(document):
    assert set(document["paths"]) == ENDPOINTS | set(FOLLOW_UP)
    for url, path in document["paths"].items():
        assert set(path) == FOLLOW_UP.get(url, {"get"}), url


def test_every_operation_documents_its_errors_and_optional_authentication(document):
    for url, path in document["paths"].items():
        for method, operation in path.items():
            assert operation["operationId"]
            assert "401" in operation["responses"], url
            if method == "get":
                assert operation["security"] == [{"BearerToken": []}, {"BrowserSession": []}, {}], url
            else:  # writes take a personal token only
                assert operation["security"] == [{"BearerToken": []}], (method, url)
            for status, response in operation["responses"].items():
                schema = response["content"]["application/json"]["schema"]
                if status == "409":  # a stale edit says what changed (lib/concurrency.py); a step, why
                    assert schema in (
                        {"$ref": "#/components/schemas/ConflictOut"},
                        {"$ref": "#/components/schemas/Error"},
                    ), (url, status)
                elif not status.startswith("2"):
                    assert schema == {"$ref": "#/components/schemas/Error"}, (url, status)
    schemes = document["components"]["securitySchemes"]
    assert schemes["BearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "adl_…",
        "description": schemes["BearerToken"]["description"],
    }
    assert schemes["BrowserSession"]["in"] == "cookie"


def test_it_documents_the_filters(document):
    params = {p["name"]: p for p in document["paths"]["/api/v1/recommendations"]["get"]["parameters"]}
    assert set(params) == {
        "q",
        "mechanism",
        "document",
        "theme",
        "group",
        "sdg",
        "position",
        "status",
        "year",
        "state",
        "country",
        "sort",
        "page",
        "page_size",
    }
    schemas = document["components"]["schemas"]
    for name in ("mechanism", "document", "theme", "group", "sdg", "position", "status", "year", "state"):
        assert params[name]["schema"]["type"] == "array", name
        assert params[name]["required"] is False
    assert params["position"]["schema"]["items"]["enum"] == [
        "supported",
        "supported_in_part",
        "noted",
        "pending",
        "not_applicable",
    ]
    assert params["status"]["schema"]["items"]["enum"][0] == "not_started"
    assert params["sort"]["schema"]["allOf"][0]["enum"] == ["newest", "oldest", "position", "status"]
    assert params["sort"]["schema"]["default"] == "newest"
    assert schemas["Status"]["enum"] == params["status"]["schema"]["items"]["enum"]
    assert params["page"]["schema"]["minimum"] == 1
    assert (params["page_size"]["schema"]["minimum"], params["page_size"]["schema"]["maximum"]) == (1, 100)
    assert params["page_size"]["schema"]["default"] == 20


def test_it_marks_nullable_fields(document):
    schemas = document["components"]["schemas"]
    recommendation = schemas["RecommendationOut"]
    assert set(recommendation["required"]) == set(recommendation["properties"])
    assert recommendation["properties"]["document"]["anyOf"][1] == {"type": "null"}
    assert recommendation["properties"]["year"]["anyOf"] == [{"type": "integer"}, {"type": "null"}]
    assert recommendation["properties"]["paragraph"] == {"title": "Paragraph", "type": "string"}
    page = schemas["RecommendationPage"]["properties"]
    assert page["next"]["anyOf"][1] == {"type": "null"}


def test_it_serves_no_documentation_page(client):
    # ninja's Swagger page would load its scripts from a CDN; only the JSON document is served.
    for url in ("/api/v1/docs", "/api/v1/docs/"):
        assert client.get(url).status_code == 404


# --- schemathesis -------------------------------------------------------------------------------

STATS: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_stats():
    yield
    if STATS:
        print(f"\nschemathesis: {STATS.total()} cases, by status: {dict(sorted(STATS.items()))}")


def served_document() -> dict:
    """The document as /api/v1/openapi.json serves it (test_it_is_the_document_tested checks),
    built without a request: schemathesis reads it while tests are collected, before the test
    settings (ALLOWED_HOSTS) are in place."""
    from adolat.api.api import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), cls=DjangoJSONEncoder))


def application(environ, start_response):
    """The project's WSGI application, imported on first use: building it at collection time
    would set up its middleware before the test settings exist."""
    from adolat.wsgi import application

    return application(environ, start_response)


schema = schemathesis.openapi.from_dict(served_document())
schema.app = application


def test_it_is_the_document_tested(document):
    assert document == served_document()


@pytest.fixture
def _keep_the_test_connection():
    """The WSGI application closes "old" database connections as each request starts and ends;
    on PostgreSQL that drops the connection holding the test's transaction (Django's test client
    avoids it the same way, by disconnecting the handler while a request runs)."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    yield
    for signal in signals:
        signal.connect(close_old_connections)


@pytest.fixture
def published_records(db, settings, make_recommendation, _keep_the_test_connection):
    """A handful of published recommendations (and one unpublished) tagged with whatever
    vocabulary exists, so that lists, filters and details have something to return."""
    # werkzeug's test client, which schemathesis drives the WSGI application with, says "localhost".
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    tj = Country.objects.get_or_create(code="TJ", defaults={"name_en": "Tajikistan"})[0]
    fr = Country.objects.get_or_create(code="FR", defaults={"name_en": "France"})[0]
    upr = Mechanism.objects.get_or_create(code="UPR", defaults={"kind": "upr", "name_en": "UPR"})[0]
    theme = Theme.objects.get_or_create(code="api-test-torture", defaults={"name_en": "Torture"})[0]
    group = AffectedGroup.objects.get_or_create(code="api-test-children", defaults={"name_en": "Children"})[0]
    goal = SdgGoal.objects.get_or_create(number=16, defaults={"title_en": "Peace"})[0]
    doc = SourceDocument.objects.create(mechanism=upr, country=tj, symbol="A/HRC/api-test/1", year=2022)
    for i, text in enumerate(["Ратифицировать протокол", "Ҳуқуқи инсонро таъмин намоед", "Abolish torture"]):
        make_recommendation(
            text_en=text if i == 2 else "",
            text_ru=text if i == 0 else "",
            text_tg=text if i == 1 else "",
            original_language=("ru", "tg", "en")[i],
            document=doc if i else None,
            paragraph=f"88.{i}",
            position=("supported", "noted", "pending")[i],
            recommending_states=[fr],
            themes=[theme],
            affected_groups=[group] if i else [],
            sdg_goals=[goal],
            is_published=True,
        )
    make_recommendation(text_en="Not published yet")


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@schema.parametrize()
def test_the_api_conforms_to_its_document(case, published_records):
    # Every check but one. `positive_data_acceptance` expects every value the document allows to
    # be accepted, but a code such as `theme=abc` is well formed and still names nothing: it is
    # refused with 400 by design, and the document cannot list codes that live in the database.
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    STATS[response.status_code] += 1
    assert response.status_code < 500
