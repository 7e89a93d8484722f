"""The API attacked from its own OpenAPI document: every generated request is sent as anonymous, as
each role with a personal token and as an outsider with one, and every `{id}` in a path is swapped
for the id of another organisation's record (adolat/tests/other_organisation.py).

For every answer: no server error, a documented status and a body matching the documented schema,
none of the other organisation's private texts unless the caller may read them, and no success on
another organisation's record unless the caller's role may act on it. Each request runs in a
savepoint rolled back afterwards, so every one meets the same records.

adolat/api/tests/test_openapi.py checks the document itself and the generated requests as the
public sends them, with random ids.
"""

from collections import Counter

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from adolat.accounts.services import api_token_create
from adolat.api.tests.test_openapi import _keep_the_test_connection, application, served_document
from adolat.conftest import ROLE_USERS
from adolat.tests.other_organisation import COORDINATORS, build, leaked

__all__ = ["_keep_the_test_connection"]  # a fixture used by name

pytestmark = pytest.mark.django_db

WHO = ("anonymous", *ROLE_USERS, "outsider")
EVERYONE = frozenset(WHO)
STATE_SIDE = COORDINATORS | {"focal_point"}

# Path prefix → the other organisation's records its `{id}` is swapped for, in turn.
OTHER_IDS = {
    "/api/v1/recommendations/{id}": ("other_unpublished",),
    "/api/v1/clusters/{id}": ("other_cluster",),
    "/api/v1/assignments/{id}": ("other_hidden_assignment", "other_assignment"),
    "/api/v1/progress-reports/{id}": (
        "other_report_draft",
        "other_report_submitted",
        "other_report_returned",
    ),
    "/api/v1/assessments/{id}": ("other_assessment_withdrawn", "other_assessment"),
}
# Who may get a 2xx answer about each record: (reading it, acting on it).
MAY = {
    "other_unpublished": (COORDINATORS, frozenset()),
    "other_cluster": (COORDINATORS, COORDINATORS),  # coordinators confirm or reject any cluster
    "other_hidden_assignment": (COORDINATORS, frozenset()),
    "other_assignment": (EVERYONE, frozenset()),  # public: its recommendation is published
    "other_report_draft": (frozenset(), frozenset()),
    "other_report_submitted": (COORDINATORS, COORDINATORS),  # coordinators return or validate it
    "other_report_returned": (COORDINATORS, frozenset()),
    "other_assessment_withdrawn": (frozenset(), frozenset()),
    "other_assessment": (EVERYONE, STATE_SIDE),  # the state's side may reply to it
}

STATS: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_stats():
    yield
    if STATS:
        print(
            f"\nAPI attack: {STATS['cases']} generated requests ({STATS['examples']} examples × callers), "
            f"{STATS['server_errors']} server errors, {STATS['other_ids']} with another organisation's id, "
            f"{STATS['2xx']} successful"
        )


schema = schemathesis.openapi.from_dict(served_document())
schema.app = application
# Fuzzing only: the coverage phase (dozens of boundary cases per operation, whatever max_examples
# says) runs in test_openapi.py; here every example is sent eight times already.
schema.config.phases.coverage.enabled = False


@pytest.fixture
def world(settings, users, make_recommendation, _keep_the_test_connection):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    objects = build(users, make_recommendation)
    headers = {"anonymous": {}}
    for who in WHO[1:]:
        _token, raw = api_token_create(user=users[who], name="attack")
        headers[who] = {"Authorization": f"Bearer {raw}"}
    return objects, headers


def _other_record(case) -> str | None:
    for prefix, keys in OTHER_IDS.items():
        if case.path.startswith(prefix):
            key = keys[STATS[case.path] % len(keys)]
            STATS[case.path] += 1
            return key
    return None


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@schema.parametrize()
def test_the_api_under_attack(case, world):
    objects, headers = world
    record = _other_record(case)
    if record is not None:
        case.path_parameters = {**(case.path_parameters or {}), "id": objects[record].pk}
    STATS["examples"] += 1
    for who in WHO:
        with transaction.atomic():
            response = case.call(headers=headers[who])
            transaction.set_rollback(True)
        STATS["cases"] += 1
        STATS["other_ids"] += record is not None
        if response.status_code >= 500:
            STATS["server_errors"] += 1
        where = f"{case.method} {case.formatted_path} as {who}"
        assert response.status_code < 500, f"{where}: server error {response.status_code}"
        assert not leaked(who, response.content), (
            f"{where}: {leaked(who, response.content)} in {response.text}"
        )
        if 200 <= response.status_code < 300:
            STATS["2xx"] += 1
            if record is not None:
                reading, acting = MAY[record]
                allowed = reading if case.method == "GET" else acting
                assert who in allowed, f"{where}: {response.status_code} on {record}: {response.text[:300]}"
        # The documented statuses, content type and body schema. Left out: positive_data_acceptance
        # (see test_openapi.py) and negative_data_rejection, as the id and the credentials sent are
        # no longer the ones generated (test_openapi.py checks invalid requests as generated).
        case.validate_response(
            response,
            excluded_checks=[positive_data_acceptance, negative_data_rejection],
            headers=headers[who],
        )
