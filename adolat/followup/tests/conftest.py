"""Fixtures of the follow-up: the people of adolat/conftest.py plus those a permission matrix needs
(a focal point of another ministry, a contributor of another organisation, someone holding roles
in two organisations), a published recommendation assigned to the Ministry of Justice, a
reporting period, and reports brought to any state through the services."""

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser

from adolat.accounts.models import Membership, Organisation, User
from adolat.conftest import PASSWORD
from adolat.followup import services
from adolat.followup.models import ProgressReport

# Everyone a matrix asks about: the named users of adolat/conftest.py, and the public.
PEOPLE = (
    "anonymous",
    "administrator",
    "coordinator",
    "focal_point",
    "focal_point_interior",
    "cso_contributor",
    "cso_other",
    "monitor",
    "viewer",
    "outsider",
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded evidence goes to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def interior(orgs):
    return Organisation.objects.create(
        kind=Organisation.Kind.STATE_BODY,
        name_en="Ministry of Internal Affairs",
        name_ru="Министерство внутренних дел",
        name_tg="Вазорати корҳои дохилӣ",
    )


@pytest.fixture
def other_cso(orgs):
    return Organisation.objects.create(kind=Organisation.Kind.CSO, name_en="Bureau on Human Rights")


def _user(email: str, *placements) -> User:
    user = User.objects.create_user(email, PASSWORD, full_name=email.split("@")[0].replace(".", " ").title())
    for org, role in placements:
        Membership.objects.create(user=user, organisation=org, role=role)
    return user


@pytest.fixture
def people(users, orgs, interior, other_cso):
    """users of adolat/conftest.py, the public, a focal point of the Ministry of Internal Affairs
    (a state body with no part in the assignments below unless a test gives it one) and a
    contributor of another civil-society organisation."""
    return {
        **users,
        "anonymous": AnonymousUser(),
        "focal_point_interior": _user("focal.interior@example.org", (interior, "focal_point")),
        "cso_other": _user("cso.other@example.org", (other_cso, "cso_contributor")),
    }


@pytest.fixture
def two_hats(orgs, interior):
    """A focal point of both ministries."""
    return _user("two.hats@example.org", (orgs["justice"], "focal_point"), (interior, "focal_point"))


@pytest.fixture
def rec(make_recommendation):
    return make_recommendation(
        text_en="Establish a national preventive mechanism", paragraph="88.1", is_published=True
    )


@pytest.fixture
def unpublished_rec(make_recommendation):
    return make_recommendation(text_en="Not yet published", paragraph="88.2")


@pytest.fixture
def period(users):
    return services.reporting_period_create(
        title_en="2025",
        starts=date(2025, 1, 1),
        ends=date(2025, 12, 31),
        due=date(2026, 1, 31),
        by=users["coordinator"],
    )


@pytest.fixture
def assignment(rec, orgs, users):
    """The published recommendation, led by the Ministry of Justice, supported by the Ombudsman."""
    return services.assignment_create(
        recommendation=rec,
        lead_body=orgs["justice"],
        supporting_bodies=[orgs["ombudsman"]],
        deadline=date(2027, 12, 31),
        by=users["coordinator"],
    )


@pytest.fixture
def make_report(users, period):
    """`make_report(assignment, "validated", proposed_status="implemented")`: a report of the
    Ministry of Justice brought to that state through the services."""

    def make(assignment, state="draft", *, proposed_status="in_progress", text="Draft law prepared", **kw):
        focal, coordinator = users["focal_point"], users["coordinator"]
        kw.setdefault("period", period)
        report = services.progress_report_create(
            assignment=assignment, text=text, proposed_status=proposed_status, by=focal, **kw
        )
        steps = {
            "draft": [],
            "submitted": ["submit"],
            "returned": ["submit", "return"],
            "resubmitted": ["submit", "return", "resubmit"],
            "validated": ["submit", "validate"],
        }[state]
        for step in steps:
            if step == "submit":
                services.progress_report_submit(report=report, by=focal)
            elif step == "return":
                services.progress_report_return(report=report, comment="Add the draft law", by=coordinator)
            elif step == "resubmit":
                services.progress_report_resubmit(report=report, by=focal)
            else:
                services.progress_report_validate(report=report, by=coordinator)
        return ProgressReport.objects.get(pk=report.pk)

    return make
