"""Who may open which page: every page × anonymous, each role and an outsider.

The matrix must name every URL of Adolat's own apps (see test_every_url_is_in_the_matrix), so a new
view cannot land without deciding who may see it.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from adolat.accounts.services import api_token_create
from adolat.conftest import ROLE_USERS

WHO = ("anonymous", *ROLE_USERS, "outsider")
EVERYONE = dict.fromkeys(WHO, 200)


def signed_in(status_for_members: int, anonymous: int = 302) -> dict[str, int]:
    return {who: (anonymous if who == "anonymous" else status_for_members) for who in WHO}


def only(allowed: tuple[str, ...], *, yes: int = 200, no: int = 404, anonymous: int | None = None) -> dict:
    out = {who: (yes if who in allowed else no) for who in WHO}
    if anonymous is not None:
        out["anonymous"] = anonymous
    return out


# page name → (how to build its URL from the objects, expected status per person)
MATRIX = {
    "recommendations:list": (lambda o: reverse("recommendations:list"), EVERYONE),
    "recommendations:detail (published)": (
        lambda o: reverse("recommendations:detail", args=[o["published"].pk]),
        EVERYONE,
    ),
    "recommendations:detail (unpublished)": (
        lambda o: reverse("recommendations:detail", args=[o["draft"].pk]),
        only(("administrator", "coordinator")),
    ),
    "recommendations:detail (missing)": (
        lambda o: reverse("recommendations:detail", args=[987654]),
        dict.fromkeys(WHO, 404),
    ),
    # Everyone may export what the list shows them (anonymous: published records only; see
    # adolat/recommendations/tests/test_exports.py); an unknown format is no page.
    "recommendations:import-list": (
        lambda o: reverse("recommendations:import-list"),
        only(("administrator", "coordinator"), no=403, anonymous=302),
    ),
    "recommendations:import-detail": (
        lambda o: reverse("recommendations:import-detail", args=[o["import_run"].pk]),
        only(("administrator", "coordinator"), anonymous=302),
    ),
    "recommendations:near-matches": (
        lambda o: reverse("recommendations:near-matches"),
        only(("administrator", "coordinator"), no=403, anonymous=302),
    ),
    "recommendations:near-match-decide": (
        lambda o: reverse("recommendations:near-match-decide", args=[1]),
        signed_in(405),
    ),
    # Changes are POST only: a GET is refused once signed in.
    "recommendations:import-confirm": (
        lambda o: reverse("recommendations:import-confirm", args=[o["import_run"].pk]),
        signed_in(405),
    ),
    "recommendations:import-cancel": (
        lambda o: reverse("recommendations:import-cancel", args=[o["import_run"].pk]),
        signed_in(405),
    ),
    "recommendations:export (csv)": (lambda o: reverse("recommendations:export", args=["csv"]), EVERYONE),
    "recommendations:export (xlsx)": (lambda o: reverse("recommendations:export", args=["xlsx"]), EVERYONE),
    "recommendations:export (json)": (lambda o: reverse("recommendations:export", args=["json"]), EVERYONE),
    "recommendations:export (docx)": (lambda o: reverse("recommendations:export", args=["docx"]), EVERYONE),
    "recommendations:export (unknown format)": (
        lambda o: reverse("recommendations:export", args=["pdf"]),
        dict.fromkeys(WHO, 404),
    ),
    "accounts:login": (lambda o: reverse("accounts:login"), signed_in(302, anonymous=200)),
    "accounts:logout": (lambda o: reverse("accounts:logout"), dict.fromkeys(WHO, 405)),  # POST only
    "accounts:account": (lambda o: reverse("accounts:account"), signed_in(200)),
    "accounts:password-change": (lambda o: reverse("accounts:password-change"), signed_in(200)),
    "accounts:token-revoke (another user's token)": (
        lambda o: reverse("accounts:token-revoke", args=[o["token"].pk]),
        signed_in(404),
    ),
    "admin:index": (lambda o: reverse("admin:index"), only(("administrator",), no=302, anonymous=302)),
    "rosetta-file-list": (
        lambda o: reverse("rosetta-file-list", kwargs={"po_filter": "project"}),
        only(("administrator",), no=302, anonymous=302),
    ),
    "set_language": (lambda o: reverse("set_language"), dict.fromkeys(WHO, 302)),  # GET just redirects back
    "healthz": (lambda o: reverse("healthz"), EVERYONE),
    # Follow-up (adolat/followup/tests/test_views.py tests the actions): 403 for roles that may
    # never take the action, 404 for an object that is missing or not the person's.
    "followup:my-work": (lambda o: reverse("followup:my-work"), signed_in(200)),
    "followup:inbox": (lambda o: reverse("followup:inbox"), signed_in(200)),
    "followup:inbox-read-all": (lambda o: reverse("followup:inbox-read-all"), dict.fromkeys(WHO, 405)),
    "followup:notification-read": (
        lambda o: reverse("followup:notification-read", args=[o["notification"].pk]),
        dict.fromkeys(WHO, 405),
    ),
    "followup:periods": (
        lambda o: reverse("followup:periods"),
        only(("administrator", "coordinator"), no=403, anonymous=302),
    ),
    "followup:assignment-create": (
        lambda o: reverse("followup:assignment-create", args=[o["published"].pk]),
        only(("administrator", "coordinator"), no=403, anonymous=302),
    ),
    "followup:assignment-create (unpublished, for a coordinator)": (
        lambda o: reverse("followup:assignment-create", args=[o["draft"].pk]),
        only(("administrator", "coordinator"), no=403, anonymous=302),
    ),
    "followup:assessment-create": (
        lambda o: reverse("followup:assessment-create", args=[o["published"].pk]),
        only(("cso_contributor",), no=403, anonymous=302),
    ),
    "followup:report-create": (
        lambda o: reverse("followup:report-create", args=[o["assignment"].pk]),
        only(("focal_point",), no=403, anonymous=302),
    ),
    "followup:report-create (missing assignment)": (
        lambda o: reverse("followup:report-create", args=[987654]),
        only((), no=403, anonymous=302) | {"focal_point": 404},
    ),
    "followup:report-detail (validated)": (
        lambda o: reverse("followup:report-detail", args=[o["validated"].pk]),
        EVERYONE,
    ),
    "followup:report-detail (submitted)": (
        lambda o: reverse("followup:report-detail", args=[o["submitted"].pk]),
        only(("administrator", "coordinator", "focal_point")),
    ),
    "followup:report-detail (draft)": (
        lambda o: reverse("followup:report-detail", args=[o["report_draft"].pk]),
        only(("focal_point",)),
    ),
    "followup:report-edit (draft)": (
        lambda o: reverse("followup:report-edit", args=[o["report_draft"].pk]),
        only(("focal_point",), no=403, anonymous=302),
    ),
    "followup:report-submit": (
        lambda o: reverse("followup:report-submit", args=[o["report_draft"].pk]),
        dict.fromkeys(WHO, 405),
    ),
    "followup:report-resubmit": (
        lambda o: reverse("followup:report-resubmit", args=[o["report_draft"].pk]),
        dict.fromkeys(WHO, 405),
    ),
    "followup:evidence-add": (
        lambda o: reverse("followup:evidence-add", args=[o["report_draft"].pk]),
        dict.fromkeys(WHO, 405),
    ),
    "followup:report-return (submitted)": (
        lambda o: reverse("followup:report-return", args=[o["submitted"].pk]),
        only(("administrator", "coordinator"), no=403, anonymous=302),
    ),
    "followup:report-validate (submitted)": (
        lambda o: reverse("followup:report-validate", args=[o["submitted"].pk]),
        only(("administrator", "coordinator"), no=403, anonymous=302),
    ),
    "followup:report-validate (draft)": (
        lambda o: reverse("followup:report-validate", args=[o["report_draft"].pk]),
        only((), no=403, anonymous=302) | {"administrator": 404, "coordinator": 404},
    ),
    "followup:assessment-reply": (
        lambda o: reverse("followup:assessment-reply", args=[o["assessment"].pk]),
        only(("administrator", "coordinator", "focal_point"), no=403, anonymous=302),
    ),
}


@pytest.fixture
def objects(users, make_recommendation):
    from adolat.accounts.models import User

    owner = User.objects.create_user("token.owner@example.org", "another long password 1")
    token, _secret = api_token_create(user=owner, name="owner's script")
    published = make_recommendation(is_published=True)
    return {
        "published": published,
        "draft": make_recommendation(text_en="Not yet published", is_published=False),
        "token": token,
        "import_run": _import_run(users["coordinator"]),
        **_followup_objects(users, published),
    }


def _import_run(by):
    from django.core.files.base import ContentFile

    from adolat.recommendations.models import Country, ImportRun

    country, _ = Country.objects.get_or_create(code="TJ", defaults={"name_en": "Tajikistan"})
    run = ImportRun(created_by=by, filename="export.csv", country=country, state=ImportRun.State.CHECKED)
    run.file.save("upload", ContentFile(b"To,Text"), save=False)
    run.save()
    return run


def _followup_objects(users, rec) -> dict:
    """An assignment of the published recommendation to the Ministry of Justice (the focal point's
    body), its reports in three states, an assessment and a notification."""
    from datetime import date

    from adolat.accounts.models import Organisation
    from adolat.followup import services
    from adolat.followup.models import Notification

    coordinator, focal = users["coordinator"], users["focal_point"]
    justice = Organisation.objects.get(name_en="Ministry of Justice")
    assignment = services.assignment_create(recommendation=rec, lead_body=justice, by=coordinator)
    periods = [
        services.reporting_period_create(
            starts=date(year, 1, 1), ends=date(year, 12, 31), due=date(year + 1, 1, 31), by=coordinator
        )
        for year in (2023, 2024, 2025)
    ]

    def report(period):
        return services.progress_report_create(
            assignment=assignment, text="Draft law", proposed_status="in_progress", period=period, by=focal
        )

    validated = report(periods[0])
    services.progress_report_submit(report=validated, by=focal)
    services.progress_report_validate(report=validated, by=coordinator)
    submitted = report(periods[1])
    services.progress_report_submit(report=submitted, by=focal)
    return {
        "assignment": assignment,
        "validated": validated,
        "submitted": submitted,
        "report_draft": report(periods[2]),
        "assessment": services.assessment_create(
            recommendation=rec, rating="not_started", reasoning="Nothing done", by=users["cso_contributor"]
        ),
        "notification": Notification.objects.create(
            user=focal, kind="assigned", key="matrix", subject="Assigned", body="A new assignment"
        ),
    }


CASES = [(page, who) for page in MATRIX for who in WHO]


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "who"), CASES, ids=[f"{p}|{w}" for p, w in CASES])
def test_access(client, users, objects, page, who):
    build, expected = MATRIX[page]
    if who != "anonymous":
        client.force_login(users[who])
    response = client.get(build(objects))
    assert response.status_code == expected[who], f"{page} as {who}"


def _own_url_names(resolver=None, prefix="") -> set[str]:
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            if ns in ("admin", "api-v1"):
                continue  # the admin site has its own gate; the API has its own tests (adolat/api/tests)
            names |= _own_url_names(entry, f"{prefix}{ns}:" if ns else prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            if entry.name.startswith("rosetta") and entry.name != "rosetta-file-list":
                continue  # django-rosetta's pages share one access function, tested through its index
            names.add(prefix + entry.name)
    return names


def test_every_url_is_in_the_matrix():
    covered = {page.split(" (")[0] for page in MATRIX}
    missing = _own_url_names() - covered
    assert not missing, f"pages without an access rule in the matrix: {sorted(missing)}"
