"""API v1, follow-up: every endpoint × every person (a table), the whole flow through the API
from assignment to the public status with civil society's assessment beside it, and the answers
to conflicts, refusals and malformed input."""

import json

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from adolat.accounts.models import Membership, User
from adolat.accounts.services import api_token_create
from adolat.followup import services
from adolat.followup.models import Assessment, Evidence, ProgressReport

from .conftest import PEOPLE

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


@pytest.fixture
def call(client, people):
    """`call("coordinator", "post", url, body)`: the request with that person's token (none for
    the anonymous)."""
    tokens = {}

    def call(who, method, url, body=None):
        headers = {}
        if who != "anonymous":
            if who not in tokens:
                tokens[who] = api_token_create(user=people[who], name="test")[1]
            headers["HTTP_AUTHORIZATION"] = f"Bearer {tokens[who]}"
        if method == "get":
            return client.get(url, **headers)
        return getattr(client, method)(
            url, body if body is not None else {}, content_type="application/json", **headers
        )

    return call


# --- Every endpoint × every person --------------------------------------------------------------

COORDINATORS = {"administrator", "coordinator"}
STATE_SIDE = COORDINATORS | {"focal_point"}


def write(ok: int, allowed: set, out_of_reach: frozenset = frozenset()) -> dict:
    """401 without a token, 403 for a role that may not act, 404 outside one's reach."""
    out = {}
    for who in PEOPLE:
        if who == "anonymous":
            out[who] = 401
        elif who in allowed:
            out[who] = ok
        elif who in out_of_reach:
            out[who] = 404
        else:
            out[who] = 403
    return out


def read(visible: set) -> dict:
    return {who: 200 if who in visible else 404 for who in PEOPLE}


EVERYONE = read(set(PEOPLE))


@pytest.fixture
def objs(rec, assignment, make_report, people, make_recommendation, orgs, unpublished_rec, period):
    coordinator = people["coordinator"]
    members = [make_recommendation(text_en=f"Invite {i}", is_published=True) for i in range(2)]
    assessment = services.assessment_create(
        recommendation=rec, rating="not_implemented", reasoning="Nothing.", by=people["cso_contributor"]
    )
    return {
        "rec": rec,
        "assignment": assignment,
        "hidden_assignment": services.assignment_create(
            recommendation=unpublished_rec, lead_body=orgs["justice"], by=coordinator
        ),
        "proposed": services.cluster_create(
            country=rec.country, recommendations=members, origin="suggested", source="system"
        ),
        "period": period,
        "report": lambda state: make_report(assignment, state),
        "assessment": assessment,
        "orgs": orgs,
    }


def _report_url(state, suffix=""):
    return lambda o: f"{V1}/progress-reports/{o['report'](state).pk}{suffix}"


FOCAL = ({"focal_point"}, frozenset({"focal_point_interior"}))

# name → (method, url, body, expected status per person)
ENDPOINTS = {
    "list clusters": ("get", lambda o: f"{V1}/clusters", None, EVERYONE),
    "confirm cluster": (
        "post",
        lambda o: f"{V1}/clusters/{o['proposed'].pk}/confirm",
        None,
        write(200, COORDINATORS),
    ),
    "reject cluster": (
        "post",
        lambda o: f"{V1}/clusters/{o['proposed'].pk}/reject",
        None,
        write(200, COORDINATORS),
    ),
    "list reporting periods": ("get", lambda o: f"{V1}/reporting-periods", None, EVERYONE),
    "create reporting period": (
        "post",
        lambda o: f"{V1}/reporting-periods",
        lambda o: {
            "title": {"en": "2026"},
            "starts": "2026-01-01",
            "ends": "2026-12-31",
            "due": "2027-01-31",
        },
        write(201, COORDINATORS),
    ),
    "list assignments": ("get", lambda o: f"{V1}/assignments", None, EVERYONE),
    "get assignment": ("get", lambda o: f"{V1}/assignments/{o['assignment'].pk}", None, EVERYONE),
    "get assignment (unpublished recommendation)": (
        "get",
        lambda o: f"{V1}/assignments/{o['hidden_assignment'].pk}",
        None,
        read(STATE_SIDE),
    ),
    "create assignment": (
        "post",
        lambda o: f"{V1}/assignments",
        lambda o: {"recommendation": o["rec"].pk, "lead_body": o["orgs"]["ombudsman"].pk},
        write(201, COORDINATORS),
    ),
    "list progress reports": ("get", lambda o: f"{V1}/progress-reports", None, EVERYONE),
    "get progress report (draft)": ("get", _report_url("draft"), None, read({"focal_point"})),
    "get progress report (submitted)": ("get", _report_url("submitted"), None, read(STATE_SIDE)),
    "get progress report (validated)": ("get", _report_url("validated"), None, EVERYONE),
    "create progress report": (
        "post",
        lambda o: f"{V1}/progress-reports",
        lambda o: {"assignment": o["assignment"].pk, "text": "Done", "proposed_status": "in_progress"},
        write(201, *FOCAL),
    ),
    "update progress report": (
        "patch",
        _report_url("draft"),
        lambda o: {"version": 1, "text": "More"},
        write(200, *FOCAL),
    ),
    "submit progress report": ("post", _report_url("draft", "/submit"), None, write(200, *FOCAL)),
    "return progress report": (
        "post",
        _report_url("submitted", "/return"),
        lambda o: {"comment": "Attach the law"},
        write(200, COORDINATORS),
    ),
    "resubmit progress report": ("post", _report_url("returned", "/resubmit"), None, write(200, *FOCAL)),
    "validate progress report": (
        "post",
        _report_url("submitted", "/validate"),
        None,
        write(200, COORDINATORS),
    ),
    "add evidence to a progress report": (
        "post",
        _report_url("draft", "/evidence"),
        lambda o: {"url": "https://example.org/law.pdf"},
        write(201, *FOCAL),
    ),
    "list assessments": ("get", lambda o: f"{V1}/assessments", None, EVERYONE),
    "get assessment": ("get", lambda o: f"{V1}/assessments/{o['assessment'].pk}", None, EVERYONE),
    "create assessment": (
        "post",
        lambda o: f"{V1}/assessments",
        lambda o: {"recommendation": o["rec"].pk, "rating": "in_progress", "reasoning": "Some progress."},
        write(201, {"cso_contributor", "cso_other"}),
    ),
    "add evidence to an assessment": (
        "post",
        lambda o: f"{V1}/assessments/{o['assessment'].pk}/evidence",
        lambda o: {"url": "https://example.org/shadow.pdf"},
        write(201, {"cso_contributor"}, frozenset({"cso_other"})),
    ),
    "reply to an assessment": (
        "post",
        lambda o: f"{V1}/assessments/{o['assessment'].pk}/replies",
        lambda o: {"text": "See our report."},
        write(201, COORDINATORS | {"focal_point", "focal_point_interior"}),
    ),
}

CASES = [(name, who) for name in ENDPOINTS for who in PEOPLE]


@pytest.mark.parametrize(("name", "who"), CASES, ids=[f"{n}|{w}" for n, w in CASES])
def test_endpoint_matrix(call, objs, name, who):
    method, url, body, expected = ENDPOINTS[name]
    response = call(who, method, url(objs), body(objs) if body else None)
    assert response.status_code == expected[who], (name, who, response.content)
    if response.status_code >= 400:
        assert set(response.json()) == {"detail", "errors"}


def test_every_follow_up_operation_is_in_the_matrix(client):
    document = client.get(f"{V1}/openapi.json").json()
    operations = {
        item[method]["summary"]
        for item in document["paths"].values()
        for method in item
        if "follow-up" in item[method].get("tags", [])
    }
    # Named by their summary's operation: each of the document's operations has a row, some two.
    tested = {name.split(" (")[0] for name in ENDPOINTS}
    assert len(operations) == len(tested)


def test_the_document_says_writes_need_a_token_and_reads_do_not(client):
    document = client.get(f"{V1}/openapi.json").json()
    for url, item in document["paths"].items():
        for method, operation in item.items():
            if "follow-up" not in operation.get("tags", []):
                continue
            if method == "get":
                assert operation["security"] == [{"BearerToken": []}, {"BrowserSession": []}, {}], url
            else:
                assert operation["security"] == [{"BearerToken": []}], url
                assert {"401", "403"} <= set(operation["responses"]), url
            for status, response in operation["responses"].items():
                if not status.startswith("2"):
                    # A refused edit's 409 is an Error that also lists the fields that changed.
                    schemas = ["Error", "ConflictOut"] if status == "409" else ["Error"]
                    assert response["content"]["application/json"]["schema"] in [
                        {"$ref": f"#/components/schemas/{name}"} for name in schemas
                    ], (url, status)


def test_writes_refuse_the_browser_session(client, users, objs):
    client.force_login(users["coordinator"])
    response = client.post(
        f"{V1}/clusters/{objs['proposed'].pk}/confirm", {}, content_type="application/json"
    )
    assert response.status_code == 401


def test_a_coordinator_cannot_reach_a_draft(call, objs):
    draft = objs["report"]("draft")
    assert call("coordinator", "post", f"{V1}/progress-reports/{draft.pk}/validate").status_code == 404
    assert call("coordinator", "post", f"{V1}/progress-reports/987654/validate").status_code == 404


# --- The whole flow -----------------------------------------------------------------------------


def test_assign_report_return_resubmit_validate_and_the_public_sees_both_views(call, rec, orgs, period):
    # The coordinator assigns.
    response = call(
        "coordinator",
        "post",
        f"{V1}/assignments",
        {
            "recommendation": rec.pk,
            "lead_body": orgs["justice"].pk,
            "supporting_bodies": [orgs["ombudsman"].pk],
            "deadline": "2027-12-31",
            "note": "Lead the drafting",
        },
    )
    assert response.status_code == 201, response.content
    assignment = response.json()
    assert assignment["lead_body"]["name"]["en"] == "Ministry of Justice"
    assert [b["kind"] for b in assignment["supporting_bodies"]] == ["nhri"]
    assert assignment["overdue"] is False

    # The Ministry of Justice reports.
    response = call(
        "focal_point",
        "post",
        f"{V1}/progress-reports",
        {
            "assignment": assignment["id"],
            "period": period.pk,
            "text": "A draft law on the NPM is ready.",
            "proposed_status": "partially_implemented",
            "language": "en",
        },
    )
    assert response.status_code == 201, response.content
    report = response.json()
    assert (report["state"], report["version"], report["organisation"]["name"]["en"]) == (
        "draft",
        1,
        "Ministry of Justice",
    )
    url = f"{V1}/progress-reports/{report['id']}"
    evidence = call("focal_point", "post", f"{url}/evidence", {"url": "https://example.org/draft-law.pdf"})
    assert evidence.status_code == 201
    assert call("focal_point", "post", f"{url}/submit").json()["state"] == "submitted"

    # Nothing shows to the public yet.
    assert call("anonymous", "get", f"{V1}/progress-reports").json()["count"] == 0
    assert call("anonymous", "get", f"{V1}/recommendations/{rec.pk}").json()["status"] == "not_started"

    # The coordinator returns it, with a comment.
    returned = call("coordinator", "post", f"{url}/return", {"comment": "Attach the adopted text."}).json()
    assert (returned["state"], returned["coordinator_comment"]) == ("returned", "Attach the adopted text.")

    # The focal point revises and resubmits.
    revised = call(
        "focal_point",
        "patch",
        url,
        {"version": returned["version"], "text": "The law was adopted.", "proposed_status": "implemented"},
    )
    assert revised.status_code == 200, revised.content
    resubmitted = call("focal_point", "post", f"{url}/resubmit", {"version": revised.json()["version"]})
    assert resubmitted.json()["state"] == "submitted"

    # The coordinator validates: the public status follows.
    validated = call("coordinator", "post", f"{url}/validate")
    assert validated.status_code == 200
    assert validated.json()["state"] == "validated"
    public = call("anonymous", "get", f"{V1}/recommendations/{rec.pk}").json()
    assert public["status"] == "implemented"

    # Civil society disagrees, publicly and at once.
    response = call(
        "cso_contributor",
        "post",
        f"{V1}/assessments",
        {
            "recommendation": rec.pk,
            "rating": "partially_implemented",
            "reasoning": "The law is adopted but the NPM has no budget.",
            "language": "en",
            "links": [{"url": "https://example.org/shadow-report.pdf", "description": "Shadow report"}],
        },
    )
    assert response.status_code == 201, response.content
    assessment = response.json()
    assert assessment["is_published"] is True
    assert assessment["evidence"][0]["kind"] == "link"
    reply = call(
        "coordinator", "post", f"{V1}/assessments/{assessment['id']}/replies", {"text": "Budget is planned."}
    )
    assert reply.status_code == 201
    assert reply.json()["organisation"]["kind"] == "coordinating"

    # Side by side, for anyone: the state's validated report and status, civil society's rating.
    reports = call("anonymous", "get", f"{V1}/progress-reports?assignment={assignment['id']}").json()[
        "results"
    ]
    assert [(r["state"], r["proposed_status"]) for r in reports] == [("validated", "implemented")]
    assert reports[0]["coordinator_comment"] == "", "the review stays inside the state's work"
    assert reports[0]["evidence"][0]["url"] == "https://example.org/draft-law.pdf"
    assessments = call("anonymous", "get", f"{V1}/assessments?recommendation={rec.pk}").json()["results"]
    assert [(a["rating"], a["organisation"]["name"]["en"]) for a in assessments] == [
        ("partially_implemented", "Civil Society Coalition against Torture")
    ]
    assert [r["text"] for r in assessments[0]["replies"]] == ["Budget is planned."]

    # A validated report is sealed.
    sealed = call("focal_point", "patch", url, {"version": validated.json()["version"], "text": "Rewritten"})
    assert sealed.status_code == 400
    assert "validated" in sealed.json()["detail"]


# --- Refusals -----------------------------------------------------------------------------------


def test_a_stale_version_is_answered_with_409(call, objs):
    draft = objs["report"]("draft")
    url = f"{V1}/progress-reports/{draft.pk}"
    assert call("focal_point", "patch", url, {"version": 1, "text": "First"}).status_code == 200
    response = call("focal_point", "patch", url, {"version": 1, "text": "Second"})
    assert response.status_code == 409
    assert "you saw version 1; it is now at version 2" in response.json()["detail"]
    assert call("focal_point", "post", f"{url}/submit", {"version": 1}).status_code == 409
    assert call("focal_point", "post", f"{url}/submit", {"version": 2}).status_code == 200
    assert ProgressReport.objects.get(pk=draft.pk).text == "First"


def test_an_illegal_step_is_answered_with_400_naming_state_and_step(call, objs):
    validated = objs["report"]("validated")
    response = call(
        "coordinator", "post", f"{V1}/progress-reports/{validated.pk}/return", {"comment": "Late"}
    )
    assert response.status_code == 400
    body = response.json()
    assert (
        body["detail"]
        == "This report cannot be returned: it is validated, and only a submitted report can be."
    )
    assert body["errors"] == [body["detail"]]


def test_returning_without_a_comment_is_refused(call, objs):
    submitted = objs["report"]("submitted")
    url = f"{V1}/progress-reports/{submitted.pk}/return"
    response = call("coordinator", "post", url, {"comment": "  "})
    assert response.status_code == 400
    assert response.json()["errors"] == ["Say why the report is returned: the comment is required."]
    missing = call("coordinator", "post", url, {})
    assert missing.status_code == 400
    assert missing.json()["errors"] == ["The parameter “comment” is required."]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"lead_body": "cso"}, 400, "is a civil-society organisation"),
        ({"lead_body": 987654}, 400, "“987654” is not a valid value for the parameter “lead_body”."),
        (
            {"supporting_bodies": [987654]},
            400,
            "“987654” is not a valid value for the parameter “supporting_bodies”.",
        ),
        ({"recommendation": 987654}, 404, "Not found."),
        ({"recommendation": None}, 400, "Assign either one recommendation or one cluster."),
    ],
)
def test_assignment_input_is_checked(call, objs, body, status, message):
    payload = {"recommendation": objs["rec"].pk, "lead_body": objs["orgs"]["ombudsman"].pk, **body}
    if payload["lead_body"] == "cso":
        payload["lead_body"] = objs["orgs"]["cso"].pk
    response = call("coordinator", "post", f"{V1}/assignments", payload)
    assert response.status_code == status, response.content
    assert message in response.json()["detail"]


def test_an_unpublished_recommendation_cannot_be_assessed(call, objs, unpublished_rec):
    response = call(
        "cso_contributor",
        "post",
        f"{V1}/assessments",
        {"recommendation": unpublished_rec.pk, "rating": "in_progress", "reasoning": "…"},
    )
    assert response.status_code == 404
    assert not Assessment.objects.filter(recommendation=unpublished_rec).exists()


def test_a_link_must_be_a_web_address(call, objs):
    draft = objs["report"]("draft")
    url = f"{V1}/progress-reports/{draft.pk}/evidence"
    response = call("focal_point", "post", url, {"url": "javascript:alert(1)"})
    assert response.status_code == 400
    assert response.json()["errors"] == ["Enter a link that starts with http:// or https://."]
    assert not Evidence.objects.exists()


def test_free_text_refuses_the_nul_character(call, objs):
    response = call(
        "focal_point",
        "post",
        f"{V1}/progress-reports",
        {"assignment": objs["assignment"].pk, "text": "a\x00b", "proposed_status": "in_progress"},
    )
    assert response.status_code == 400


def test_errors_follow_the_language_of_the_request(client, objs, people):
    _token, raw = api_token_create(user=people["viewer"], name="ru")
    response = client.post(
        f"{V1}/clusters/{objs['proposed'].pk}/confirm",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 403
    assert response["Content-Language"] == "ru"


# --- Lists: scope, filters, queries -------------------------------------------------------------


def test_lists_are_scoped_and_filtered(call, objs):
    validated = objs["report"]("validated")
    objs["report"]("draft")
    focal = call("focal_point", "get", f"{V1}/progress-reports").json()
    assert sorted(r["state"] for r in focal["results"]) == ["draft", "validated"]
    coordinator = call("coordinator", "get", f"{V1}/progress-reports").json()
    assert [r["id"] for r in coordinator["results"]] == [validated.pk]
    only = call("focal_point", "get", f"{V1}/progress-reports?state=validated").json()
    assert [r["id"] for r in only["results"]] == [validated.pk]
    clusters = call("coordinator", "get", f"{V1}/clusters?state=proposed").json()
    assert [c["id"] for c in clusters["results"]] == [objs["proposed"].pk]
    assert call("viewer", "get", f"{V1}/clusters").json()["count"] == 0
    assignments = call("viewer", "get", f"{V1}/assignments").json()
    assert [a["id"] for a in assignments["results"]] == [objs["assignment"].pk]
    assert call("viewer", "get", f"{V1}/assignments?active=false").json()["count"] == 0
    by_rec = call("anonymous", "get", f"{V1}/assignments?recommendation={objs['rec'].pk}").json()
    assert [a["id"] for a in by_rec["results"]] == [objs["assignment"].pk]


def test_list_pages_cost_the_same_queries_whatever_their_length(call, objs, people, rec):
    assignment = objs["assignment"]
    focal, cso, coordinator = people["focal_point"], people["cso_contributor"], people["coordinator"]

    def counts() -> dict[str, int]:
        out = {}
        for url in ("progress-reports", "assignments", "assessments", "clusters"):
            with CaptureQueriesContext(connection) as queries:
                response = call("coordinator", "get", f"{V1}/{url}?page_size=100")
            assert response.status_code == 200
            out[url] = len(queries)
        return out

    def add(n):
        for i in range(n):
            report = services.progress_report_create(
                assignment=assignment, text=f"Report {i}", proposed_status="in_progress", by=focal
            )
            services.evidence_add(report=report, url="https://example.org/e", by=focal)
            services.progress_report_submit(report=report, by=focal)
            services.progress_report_validate(report=report, by=coordinator)
            a = services.assessment_create(recommendation=rec, rating="in_progress", reasoning="…", by=cso)
            services.evidence_add(assessment=a, url="https://example.org/s", by=cso)
            services.assessment_reply_create(assessment=a, text="Noted", by=coordinator)

    call("coordinator", "get", f"{V1}/themes")  # the token's first use is recorded once
    add(1)
    small = counts()
    add(12)
    assert counts() == small
    print("\nlist queries (coordinator token):", small)


# --- schemathesis, with a token -----------------------------------------------------------------
#
# adolat/api/tests/test_openapi.py drives every operation anonymously, so writes stop at 401 there.
# Here the follow-up operations are driven with the token of someone holding every role (so every
# request passes the role check and reaches the gates and services): whatever the input, no
# server error, and every answer as documented.


def served_document() -> dict:
    from adolat.api.api import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), cls=DjangoJSONEncoder))


def application(environ, start_response):
    from adolat.wsgi import application

    return application(environ, start_response)


SCHEMA = schemathesis.openapi.from_dict(served_document()).include(tag="follow-up")
SCHEMA.app = application


@pytest.fixture
def _keep_the_test_connection():
    """As in adolat/api/tests/test_openapi.py: the WSGI application must not close the connection
    that holds the test's transaction."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    yield
    for signal in signals:
        signal.connect(close_old_connections)


@pytest.fixture
def everything(objs, people, orgs, settings, _keep_the_test_connection):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    person = User.objects.create_user("all.roles@example.org", "a long enough password 1")
    for org, role in (("eop", "coordinator"), ("justice", "focal_point"), ("cso", "cso_contributor")):
        Membership.objects.create(user=person, organisation=orgs[org], role=role)
    objs["report"]("submitted")
    return {"Authorization": f"Bearer {api_token_create(user=person, name='fuzz')[1]}"}


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@SCHEMA.parametrize()
def test_the_follow_up_api_conforms_to_its_document_with_a_token(case, everything):
    response = case.call_and_validate(headers=everything, excluded_checks=[positive_data_acceptance])
    assert response.status_code < 500
