"""Who may open which page: every page × anonymous, each role and an outsider.

The matrix must name every URL of Adolat's own apps (see test_every_url_is_in_the_matrix), so a new
view cannot land without deciding who may see it.

Each entry: `"url-name (what is tried)": (build the URL from the objects, expected status per
person[, "POST"])`. Without a method the page is fetched with GET; views that take POST only get a
POST entry too (test_every_post_only_url_is_tried_with_post). `objects` holds the users' own records
and, under `other_*` keys, records of organisations none of them belongs to
(adolat/tests/other_organisation.py): every URL with an id is tried with one of those
(test_every_url_with_an_id_is_tried_with_another_organisations_record). Every answer is also
searched for the other organisations' private texts: a page that shows one to somebody who may not
read it fails, whatever its status.
"""

import contextlib

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from adolat.accounts.services import api_token_create
from adolat.conftest import ROLE_USERS
from adolat.tests import other_organisation

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
    "accounts:email-change": (lambda o: reverse("accounts:email-change"), signed_in(200)),
    # Two-factor authentication (adolat/accounts/tests/test_mfa.py tests the flows). Without a
    # second factor there is no second step to take: it sends people on (302).
    "accounts:mfa-verify": (lambda o: reverse("accounts:mfa-verify"), signed_in(302)),
    "accounts:reauth": (lambda o: reverse("accounts:reauth"), signed_in(200)),
    "accounts:security": (lambda o: reverse("accounts:security"), signed_in(200)),
    "accounts:mfa-totp": (lambda o: reverse("accounts:mfa-totp"), signed_in(200)),
    "accounts:mfa-passkey": (lambda o: reverse("accounts:mfa-passkey"), signed_in(200)),
    "accounts:mfa-codes": (lambda o: reverse("accounts:mfa-codes"), signed_in(302)),
    "accounts:mfa-device-remove (another user's authenticator)": (
        lambda o: reverse("accounts:mfa-device-remove", args=["authenticator", o["totp"].pk]),
        signed_in(404),
    ),
    # django-otp-webauthn's endpoints take POSTs from its script; no passkey without an account.
    "otp_webauthn:credential-registration-begin": (
        lambda o: reverse("otp_webauthn:credential-registration-begin"),
        signed_in(405, anonymous=403),
    ),
    "otp_webauthn:credential-registration-complete": (
        lambda o: reverse("otp_webauthn:credential-registration-complete"),
        signed_in(405, anonymous=403),
    ),
    "otp_webauthn:credential-authentication-begin": (
        lambda o: reverse("otp_webauthn:credential-authentication-begin"),
        signed_in(405, anonymous=403),
    ),
    "otp_webauthn:credential-authentication-complete": (
        lambda o: reverse("otp_webauthn:credential-authentication-complete"),
        signed_in(405, anonymous=403),
    ),
    "otp_webauthn:js-i18n-catalog": (lambda o: reverse("otp_webauthn:js-i18n-catalog"), EVERYONE),
    # Ends every session and revokes every token (adolat/accounts/tests/test_security.py): the GET
    # only asks for confirmation.
    "accounts:lock-everything": (
        lambda o: reverse("accounts:lock-everything"),
        only(("administrator",), no=403, anonymous=302),
    ),
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
    # Attached files: whoever may see the report (validated reports are public).
    "followup:evidence-file (validated report)": (
        lambda o: reverse("followup:evidence-file", args=[o["evidence_validated"].pk]),
        EVERYONE,
    ),
    "followup:evidence-file (draft report)": (
        lambda o: reverse("followup:evidence-file", args=[o["evidence_draft"].pk]),
        only(("focal_point",)),
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
    # --- Another organisation's records (adolat/tests/other_organisation.py) and POST-only views ---
    "recommendations:detail (another organisation's unpublished)": (
        lambda o: reverse("recommendations:detail", args=[o["other_unpublished"].pk]),
        only(("administrator", "coordinator")),
    ),
    "recommendations:import-detail (another organisation's import)": (
        lambda o: reverse("recommendations:import-detail", args=[o["other_import_run"].pk]),
        only(("administrator", "coordinator"), anonymous=302),
    ),
    "recommendations:import-confirm (POST, another organisation's import)": (
        lambda o: reverse("recommendations:import-confirm", args=[o["other_import_run"].pk]),
        only(("administrator", "coordinator"), yes=302, anonymous=302),
        "POST",
    ),
    "recommendations:import-cancel (POST, another organisation's import)": (
        lambda o: reverse("recommendations:import-cancel", args=[o["other_import_run"].pk]),
        only(("administrator", "coordinator"), yes=302, anonymous=302),
        "POST",
    ),
    "recommendations:near-match-decide (POST, missing)": (
        lambda o: reverse("recommendations:near-match-decide", args=[987654]),
        only(("administrator", "coordinator"), yes=404, no=403, anonymous=302),
        "POST",
    ),
    "accounts:logout (POST)": (lambda o: reverse("accounts:logout"), dict.fromkeys(WHO, 302), "POST"),
    "accounts:token-revoke (POST, another organisation's token)": (
        lambda o: reverse("accounts:token-revoke", args=[o["other_token"].pk]),
        signed_in(404),
        "POST",
    ),
    "accounts:mfa-device-remove (POST, another organisation's authenticator)": (
        lambda o: reverse("accounts:mfa-device-remove", args=["authenticator", o["other_totp"].pk]),
        signed_in(404),
        "POST",
    ),
    "otp_webauthn:credential-registration-begin (POST)": (
        lambda o: reverse("otp_webauthn:credential-registration-begin"),
        signed_in(200, anonymous=403),
        "POST",
    ),
    "otp_webauthn:credential-registration-complete (POST)": (
        lambda o: reverse("otp_webauthn:credential-registration-complete"),
        signed_in(400, anonymous=403),
        "POST",
    ),
    "otp_webauthn:credential-authentication-begin (POST)": (
        lambda o: reverse("otp_webauthn:credential-authentication-begin"),
        signed_in(200, anonymous=403),
        "POST",
    ),
    "otp_webauthn:credential-authentication-complete (POST)": (
        lambda o: reverse("otp_webauthn:credential-authentication-complete"),
        signed_in(400, anonymous=403),
        "POST",
    ),
    "followup:inbox-read-all (POST)": (
        lambda o: reverse("followup:inbox-read-all"),
        dict.fromkeys(WHO, 302),
        "POST",
    ),
    "followup:notification-read (POST, another person's notification)": (
        lambda o: reverse("followup:notification-read", args=[o["other_notification"].pk]),
        signed_in(404),
        "POST",
    ),
    "followup:assignment-create (another organisation's unpublished)": (
        lambda o: reverse("followup:assignment-create", args=[o["other_unpublished"].pk]),
        only(("administrator", "coordinator"), no=403, anonymous=302),
    ),
    "followup:assessment-create (another organisation's unpublished)": (
        lambda o: reverse("followup:assessment-create", args=[o["other_unpublished"].pk]),
        only(("cso_contributor",), yes=404, no=403, anonymous=302),
    ),
    "followup:report-create (another body's assignment)": (
        lambda o: reverse("followup:report-create", args=[o["other_assignment"].pk]),
        only(("focal_point",), yes=404, no=403, anonymous=302),
    ),
    "followup:report-detail (another body's draft)": (
        lambda o: reverse("followup:report-detail", args=[o["other_report_draft"].pk]),
        dict.fromkeys(WHO, 404),
    ),
    "followup:report-detail (another body's submitted)": (
        lambda o: reverse("followup:report-detail", args=[o["other_report_submitted"].pk]),
        only(("administrator", "coordinator")),
    ),
    "followup:report-detail (another body's returned)": (
        lambda o: reverse("followup:report-detail", args=[o["other_report_returned"].pk]),
        only(("administrator", "coordinator")),
    ),
    "followup:report-edit (another body's draft)": (
        lambda o: reverse("followup:report-edit", args=[o["other_report_draft"].pk]),
        only(("focal_point",), yes=404, no=403, anonymous=302),
    ),
    "followup:report-submit (POST, another body's draft)": (
        lambda o: reverse("followup:report-submit", args=[o["other_report_draft"].pk]),
        only(("focal_point",), yes=404, no=403, anonymous=302),
        "POST",
    ),
    "followup:report-resubmit (POST, another body's returned)": (
        lambda o: reverse("followup:report-resubmit", args=[o["other_report_returned"].pk]),
        only(("focal_point",), yes=404, no=403, anonymous=302),
        "POST",
    ),
    "followup:evidence-add (POST, another body's draft)": (
        lambda o: reverse("followup:evidence-add", args=[o["other_report_draft"].pk]),
        only(("focal_point",), yes=404, no=403, anonymous=302),
        "POST",
    ),
    "followup:evidence-file (another body's draft)": (
        lambda o: reverse("followup:evidence-file", args=[o["other_evidence_draft"].pk]),
        dict.fromkeys(WHO, 404),
    ),
    "followup:report-return (POST, another body's submitted)": (
        lambda o: reverse("followup:report-return", args=[o["other_report_submitted"].pk]),
        only(("administrator", "coordinator"), yes=400, no=403, anonymous=302),
        "POST",
    ),
    "followup:report-validate (POST, another body's submitted)": (
        lambda o: reverse("followup:report-validate", args=[o["other_report_submitted"].pk]),
        only(("administrator", "coordinator"), yes=302, no=403, anonymous=302),
        "POST",
    ),
    "followup:report-validate (POST, another body's draft)": (
        lambda o: reverse("followup:report-validate", args=[o["other_report_draft"].pk]),
        only(("administrator", "coordinator"), yes=404, no=403, anonymous=302),
        "POST",
    ),
    "followup:assessment-reply (another organisation's withdrawn)": (
        lambda o: reverse("followup:assessment-reply", args=[o["other_assessment_withdrawn"].pk]),
        only(("administrator", "coordinator", "focal_point"), yes=404, no=403, anonymous=302),
    ),
    "followup:assessment-reply (POST, another organisation's)": (
        lambda o: reverse("followup:assessment-reply", args=[o["other_assessment"].pk]),
        only(("administrator", "coordinator", "focal_point"), no=403, anonymous=302),
        "POST",
    ),
}


@pytest.fixture
def objects(users, make_recommendation):
    from adolat.accounts.models import User

    owner = User.objects.create_user("token.owner@example.org", "another long password 1")
    token, _secret = api_token_create(user=owner, name="owner's script")
    totp = TOTPDevice.objects.create(user=owner, name="Authenticator app", confirmed=True)
    published = make_recommendation(is_published=True)
    return {
        "published": published,
        "draft": make_recommendation(text_en="Not yet published", is_published=False),
        "token": token,
        "totp": totp,
        "import_run": _import_run(users["coordinator"]),
        **_followup_objects(users, published),
        **other_organisation.build(users, make_recommendation),
    }


def _import_run(by):
    from django.core.files.base import ContentFile

    from adolat.recommendations.models import Country, ImportRun

    country, _ = Country.objects.get_or_create(code="TJ", defaults={"name_en": "Tajikistan"})
    run = ImportRun(created_by=by, filename="export.csv", country=country, state=ImportRun.State.CHECKED)
    run.file.save("upload", ContentFile(b"To,Text"), save=False)
    run.save()
    return run


def _pdf() -> bytes:
    """A one-page PDF (an attached file must be a well-formed one)."""
    import io

    from pypdf import PdfWriter

    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=10, height=10)
    writer.write(out)
    return out.getvalue()


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

    def attach(report):
        from django.core.files.uploadedfile import SimpleUploadedFile

        pdf = SimpleUploadedFile("law.pdf", _pdf())
        return services.evidence_add(report=report, file=pdf, by=focal)

    validated = report(periods[0])
    evidence_validated = attach(validated)
    services.progress_report_submit(report=validated, by=focal)
    services.progress_report_validate(report=validated, by=coordinator)
    submitted = report(periods[1])
    services.progress_report_submit(report=submitted, by=focal)
    return {
        "assignment": assignment,
        "validated": validated,
        "submitted": submitted,
        "report_draft": (draft := report(periods[2])),
        "evidence_validated": evidence_validated,
        "evidence_draft": attach(draft),
        "assessment": services.assessment_create(
            recommendation=rec, rating="not_started", reasoning="Nothing done", by=users["cso_contributor"]
        ),
        "notification": Notification.objects.create(
            user=focal, kind="assigned", key="matrix", subject="Assigned", body="A new assignment"
        ),
    }


def _entry(page: str):
    build, expected, *method = MATRIX[page]
    return build, expected, (method[0] if method else "GET")


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
@pytest.mark.parametrize("page", list(MATRIX))
def test_access(client, users, objects, page):
    """The page as each person: the expected status, and no other organisation's private text."""
    build, expected, method = _entry(page)
    url = build(objects)
    wrong = []
    for who in WHO:
        client.logout()
        # Each request in a savepoint rolled back afterwards: a POST that succeeds changes nothing
        # for the next person.
        with transaction.atomic():
            if who != "anonymous":
                client.force_login(users[who])
            response = client.post(url) if method == "POST" else client.get(url)
            body = _body(response)
            transaction.set_rollback(True)
        if response.status_code != expected[who]:
            wrong.append(f"{who}: {response.status_code}, expected {expected[who]}")
        elif leaks := other_organisation.leaked(who, body):
            wrong.append(f"{who}: {response.status_code} showing another organisation's private {leaks}")
    assert not wrong, f"{method} {url} [{page}]: " + "; ".join(wrong)


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


def _own_url_routes(resolver=None, prefix="", route="") -> dict[str, str]:
    """URL name → route, for the names _own_url_names() lists."""
    routes = {}
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            if ns in ("admin", "api-v1"):
                continue
            routes |= _own_url_routes(entry, f"{prefix}{ns}:" if ns else prefix, route + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            routes[prefix + entry.name] = route + str(entry.pattern)
    names = _own_url_names()
    return {name: r for name, r in routes.items() if name in names}


class _Keys(dict):
    """Stands in for `objects`: records which records an entry builds its URL from."""

    def __init__(self):
        super().__init__()
        self.used = set()

    def __getitem__(self, key):
        from types import SimpleNamespace

        self.used.add(key)
        return SimpleNamespace(pk=1, id=1)


def _objects_used(page: str) -> set[str]:
    keys = _Keys()
    # An entry that needs more than a pk still names what it used before failing.
    with contextlib.suppress(Exception):
        _entry(page)[0](keys)
    return keys.used


# Records of the whole instance, belonging to no organisation: name → why.
INSTANCE_WIDE = {
    "recommendations:near-match-decide": "near matches come from imports; any coordinator decides them",
}


def test_every_url_with_an_id_is_tried_with_another_organisations_record():
    """A URL that names a record must also be tried with another organisation's record (an
    `other_*` object; a missing id alone proves nothing about the gate)."""
    with_id = {name for name, route in _own_url_routes().items() if "<int:" in route} - INSTANCE_WIDE.keys()
    tried = {
        page.split(" (")[0] for page in MATRIX if any(k.startswith("other_") for k in _objects_used(page))
    }
    missing = with_id - tried
    assert not missing, f"URLs never tried with another organisation's record: {sorted(missing)}"


def test_every_post_only_url_is_tried_with_post():
    """A view that answers GET with 405 for everyone signed in takes POST only: the matrix must
    POST to it, or its gate is never reached."""
    post_only = {
        page.split(" (")[0]
        for page in MATRIX
        if _entry(page)[2] == "GET" and all(_entry(page)[1][who] == 405 for who in WHO if who != "anonymous")
    }
    posted = {page.split(" (")[0] for page in MATRIX if _entry(page)[2] == "POST"}
    missing = post_only - posted
    assert not missing, f"POST-only URLs never tried with POST: {sorted(missing)}"
