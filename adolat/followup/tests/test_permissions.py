"""Who may do and see what in the follow-up, as two tables: every service × every person, and
every gate × every kind of object × every person (reading and writing). The lists
(`visible_to`) must agree with the gates."""

import inspect
from datetime import date
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from adolat.accounts.models import Membership
from adolat.followup import permissions, services
from adolat.followup.models import Assessment, Assignment, Cluster, ProgressReport
from adolat.recommendations.services import recommendation_set_published

from .conftest import PEOPLE

pytestmark = pytest.mark.django_db

COORDINATORS = {"administrator", "coordinator"}
EVERYONE = set(PEOPLE)


@pytest.fixture
def w(people, orgs, rec, assignment, period, make_report, make_recommendation, unpublished_rec):
    """Everything the tables act on, made on demand so each case starts clean."""
    coordinator = people["coordinator"]

    def cluster(state):
        members = [
            make_recommendation(text_en=f"Standing invitation {i}", is_published=True) for i in range(2)
        ]
        return services.cluster_create(
            country=rec.country, recommendations=members, origin="suggested", state=state, source="system"
        )

    def assessment(**kw):
        return services.assessment_create(
            recommendation=kw.pop("recommendation", rec),
            rating="not_implemented",
            reasoning="Nothing has changed.",
            by=people["cso_contributor"],
        )

    def action():
        return services.action_create(
            assignment=assignment, responsible_body=orgs["justice"], title_en="Draft a law", by=coordinator
        )

    def unpublished_assignment():
        return services.assignment_create(
            recommendation=unpublished_rec, lead_body=orgs["justice"], by=coordinator
        )

    return SimpleNamespace(
        people=people,
        orgs=orgs,
        rec=rec,
        assignment=assignment,
        period=period,
        report=lambda state, on=assignment: make_report(on, state),
        cluster=cluster,
        assessment=assessment,
        action=action,
        indicator=lambda: services.indicator_create(action=action(), name_en="Visits", by=coordinator),
        unpublished_rec=unpublished_rec,
        unpublished_assignment=unpublished_assignment,
    )


# --- Services × people --------------------------------------------------------------------------

# service → (how to call it for person `by`, who may)
SERVICES = {
    "cluster_create": (
        lambda w, by: services.cluster_create(
            country=w.rec.country, recommendations=[w.rec], origin="manual", by=by, source="web"
        ),
        COORDINATORS,
    ),
    "cluster_update": (
        lambda w, by: services.cluster_update(cluster=w.cluster("proposed"), title_en="Invitation", by=by),
        COORDINATORS,
    ),
    "cluster_confirm": (
        lambda w, by: services.cluster_confirm(cluster=w.cluster("proposed"), by=by),
        COORDINATORS,
    ),
    "cluster_reject": (
        lambda w, by: services.cluster_reject(cluster=w.cluster("proposed"), by=by),
        COORDINATORS,
    ),
    "assignment_create": (
        lambda w, by: services.assignment_create(
            recommendation=w.unpublished_rec, lead_body=w.orgs["justice"], by=by
        ),
        COORDINATORS,
    ),
    "assignment_update": (
        lambda w, by: services.assignment_update(
            assignment=w.assignment,
            lead_body=w.orgs["justice"],
            supporting_bodies=[],
            deadline=None,
            note="",
            by=by,
        ),
        COORDINATORS,
    ),
    "assignment_deactivate": (
        lambda w, by: services.assignment_deactivate(assignment=w.assignment, by=by),
        COORDINATORS,
    ),
    "action_create": (
        lambda w, by: services.action_create(
            assignment=w.assignment, responsible_body=w.orgs["justice"], title_en="Train judges", by=by
        ),
        COORDINATORS,
    ),
    "indicator_create": (
        lambda w, by: services.indicator_create(action=w.action(), name_en="Judges trained", by=by),
        COORDINATORS,
    ),
    "indicator_value_record": (
        lambda w, by: services.indicator_value_record(
            indicator=w.indicator(), measured_on=date(2025, 6, 30), value=3, by=by
        ),
        COORDINATORS | {"focal_point"},
    ),
    "reporting_period_create": (
        lambda w, by: services.reporting_period_create(
            starts=date(2026, 1, 1), ends=date(2026, 12, 31), due=date(2027, 1, 31), by=by
        ),
        COORDINATORS,
    ),
    "progress_report_create": (
        lambda w, by: services.progress_report_create(
            assignment=w.assignment, text="Done", proposed_status="in_progress", by=by
        ),
        {"focal_point"},
    ),
    "progress_report_update": (
        lambda w, by: services.progress_report_update(
            report=w.report("draft"), version=1, text="More", by=by
        ),
        {"focal_point"},
    ),
    "progress_report_submit": (
        lambda w, by: services.progress_report_submit(report=w.report("draft"), by=by),
        {"focal_point"},
    ),
    "progress_report_return": (
        lambda w, by: services.progress_report_return(report=w.report("submitted"), comment="Why?", by=by),
        COORDINATORS,
    ),
    "progress_report_resubmit": (
        lambda w, by: services.progress_report_resubmit(report=w.report("returned"), by=by),
        {"focal_point"},
    ),
    "progress_report_validate": (
        lambda w, by: services.progress_report_validate(report=w.report("submitted"), by=by),
        COORDINATORS,
    ),
    "evidence_add (report)": (
        lambda w, by: services.evidence_add(report=w.report("draft"), url="https://example.org/a", by=by),
        {"focal_point"},
    ),
    "assessment_create": (
        lambda w, by: services.assessment_create(
            recommendation=w.rec, rating="in_progress", reasoning="…", by=by
        ),
        {"cso_contributor", "cso_other"},
    ),
    "assessment_update": (
        lambda w, by: services.assessment_update(assessment=w.assessment(), rating="implemented", by=by),
        {"cso_contributor"},
    ),
    "evidence_add (assessment)": (
        lambda w, by: services.evidence_add(assessment=w.assessment(), url="https://example.org/a", by=by),
        {"cso_contributor"},
    ),
    "assessment_reply_create": (
        lambda w, by: services.assessment_reply_create(assessment=w.assessment(), text="We disagree.", by=by),
        COORDINATORS | {"focal_point", "focal_point_interior"},
    ),
}

SERVICE_CASES = [(name, who) for name in SERVICES for who in PEOPLE]


@pytest.mark.parametrize(("name", "who"), SERVICE_CASES, ids=[f"{n}|{w}" for n, w in SERVICE_CASES])
def test_service_matrix(w, name, who):
    call, allowed = SERVICES[name]
    by = w.people[who]
    if who in allowed:
        call(w, by)
        return
    with pytest.raises(PermissionDenied) as refused:
        call(w, by)
    assert str(refused.value), "a refusal says who may"


def test_every_service_is_in_the_matrix():
    public = {
        name
        for name, value in vars(services).items()
        if inspect.isfunction(value) and value.__module__ == services.__name__ and not name.startswith("_")
    }
    covered = {name.split(" ")[0] for name in SERVICES}
    assert public - covered == set(), "a new service needs its row in the matrix"


# --- Gates × objects × people -------------------------------------------------------------------

PUBLIC_STATE_SIDE = COORDINATORS | {"focal_point"}

# object → (how to make it, its gate, who may see it, who may write to it)
GATES = {
    "report, draft": (
        lambda w: w.report("draft"),
        permissions.get_report_for_user,
        {"focal_point"},
        {"focal_point"},
    ),
    "report, submitted": (
        lambda w: w.report("submitted"),
        permissions.get_report_for_user,
        PUBLIC_STATE_SIDE,
        PUBLIC_STATE_SIDE,
    ),
    "report, returned": (
        lambda w: w.report("returned"),
        permissions.get_report_for_user,
        PUBLIC_STATE_SIDE,
        PUBLIC_STATE_SIDE,
    ),
    "report, validated": (
        lambda w: w.report("validated"),
        permissions.get_report_for_user,
        EVERYONE,
        PUBLIC_STATE_SIDE,
    ),
    "report, validated, of an unpublished recommendation": (
        lambda w: w.report("validated", on=w.unpublished_assignment()),
        permissions.get_report_for_user,
        PUBLIC_STATE_SIDE,
        PUBLIC_STATE_SIDE,
    ),
    "assignment": (lambda w: w.assignment, permissions.get_assignment_for_user, EVERYONE, PUBLIC_STATE_SIDE),
    "assignment of an unpublished recommendation": (
        lambda w: w.unpublished_assignment(),
        permissions.get_assignment_for_user,
        PUBLIC_STATE_SIDE,
        PUBLIC_STATE_SIDE,
    ),
    "cluster, proposed": (
        lambda w: w.cluster("proposed"),
        permissions.get_cluster_for_user,
        COORDINATORS,
        COORDINATORS,
    ),
    "cluster, confirmed": (
        lambda w: w.cluster("confirmed"),
        permissions.get_cluster_for_user,
        EVERYONE,
        COORDINATORS,
    ),
    "cluster, rejected": (
        lambda w: w.cluster("rejected"),
        permissions.get_cluster_for_user,
        COORDINATORS,
        COORDINATORS,
    ),
    "assessment, published": (
        lambda w: w.assessment(),
        permissions.get_assessment_for_user,
        EVERYONE,
        {"cso_contributor"},
    ),
    "assessment, withdrawn": (
        lambda w: _withdrawn(w),
        permissions.get_assessment_for_user,
        {"cso_contributor"},
        {"cso_contributor"},
    ),
    "assessment of a recommendation withdrawn from publication": (
        lambda w: _of_unpublished(w),
        permissions.get_assessment_for_user,
        COORDINATORS | {"cso_contributor"},
        {"cso_contributor"},
    ),
}


def _withdrawn(w):
    assessment = w.assessment()
    services.assessment_update(assessment=assessment, is_published=False, by=w.people["cso_contributor"])
    return assessment


def _of_unpublished(w):
    assessment = w.assessment()
    recommendation_set_published(
        recommendation=w.rec, published=False, by=w.people["coordinator"], source="web"
    )
    return assessment


GATE_CASES = [(name, who, write) for name in GATES for who in PEOPLE for write in (False, True)]


@pytest.mark.parametrize(
    ("name", "who", "write"),
    GATE_CASES,
    ids=[f"{n}|{w}|{'write' if wr else 'read'}" for n, w, wr in GATE_CASES],
)
def test_gate_matrix(w, name, who, write):
    make, gate, readers, writers = GATES[name]
    obj = make(w)
    person = w.people[who]
    allowed = writers if write else readers
    if who in allowed:
        assert gate(person, obj.pk, write=write) == obj
    else:
        with pytest.raises(Http404):
            gate(person, obj.pk, write=write)
    # The list agrees with the gate.
    if not write:
        assert type(obj).objects.visible_to(person).filter(pk=obj.pk).exists() == (who in readers)


@pytest.mark.parametrize(
    "gate",
    [
        permissions.get_report_for_user,
        permissions.get_assignment_for_user,
        permissions.get_cluster_for_user,
        permissions.get_assessment_for_user,
    ],
)
@pytest.mark.parametrize("pk", [987654, "abc", None, "1.5"])
def test_gates_answer_404_for_what_does_not_exist(people, gate, pk):
    for person in people.values():
        with pytest.raises(Http404):
            gate(person, pk)


def test_lists_show_no_row_twice(w, orgs, interior):
    """Scopes filter through subqueries: an assignment with several supporting bodies of the
    person's organisations is listed once."""
    w.report("validated")
    both = Membership.objects.create(user=w.people["focal_point"], organisation=interior, role="focal_point")
    services.assignment_update(
        assignment=w.assignment,
        lead_body=orgs["justice"],
        supporting_bodies=[interior, orgs["ombudsman"]],
        deadline=None,
        note="",
        by=w.people["coordinator"],
    )
    person = type(w.people["focal_point"]).objects.get(pk=w.people["focal_point"].pk)
    assert both.pk
    assert list(Assignment.objects.visible_to(person)) == [w.assignment]
    assert ProgressReport.objects.visible_to(person).count() == 1
    w.cluster("confirmed")
    assert Cluster.objects.visible_to(w.people["viewer"]).count() == 1


# --- Several memberships ------------------------------------------------------------------------


def test_each_role_counts_in_its_own_organisation(w, orgs, interior):
    """A person who is a civil-society contributor in one organisation and a viewer in the ministry
    may assess, but not report for the ministry; a focal point of another ministry who also
    contributes to a CSO reports only for that ministry."""
    person = w.people["cso_contributor"]
    Membership.objects.create(user=person, organisation=orgs["justice"], role="viewer")
    with pytest.raises(PermissionDenied):
        services.progress_report_create(
            assignment=w.assignment, text="x", proposed_status="in_progress", by=person
        )
    assessment = services.assessment_create(
        recommendation=w.rec, rating="in_progress", reasoning="…", by=person
    )
    assert assessment.organisation == orgs["cso"]

    fresh = type(person).objects.get(pk=person.pk)
    Membership.objects.create(user=fresh, organisation=interior, role="focal_point")
    with pytest.raises(PermissionDenied):
        services.progress_report_create(
            assignment=w.assignment, text="x", proposed_status="in_progress", by=fresh
        )
    # As a focal point they may reply, for the ministry where they hold that role.
    reply = services.assessment_reply_create(assessment=assessment, text="For the ministry", by=fresh)
    assert reply.organisation == interior


def test_a_membership_of_an_inactive_organisation_counts_for_nothing(w, orgs):
    orgs["justice"].is_active = False
    orgs["justice"].save()
    focal = type(w.people["focal_point"]).objects.get(pk=w.people["focal_point"].pk)
    with pytest.raises(PermissionDenied):
        services.progress_report_create(
            assignment=w.assignment, text="x", proposed_status="in_progress", by=focal
        )


def test_a_deactivated_user_may_do_nothing(w):
    coordinator = w.people["coordinator"]
    coordinator.is_active = False
    coordinator.save()
    fresh = type(coordinator).objects.get(pk=coordinator.pk)
    with pytest.raises(PermissionDenied):
        services.assignment_deactivate(assignment=w.assignment, by=fresh)
    # Reads fall back to what the public sees: no report in review.
    w.report("submitted")
    assert not ProgressReport.objects.visible_to(fresh).exists()
    assert (
        Assessment.objects.visible_to(fresh).count() == Assessment.objects.filter(is_published=True).count()
    )


# --- The administration -------------------------------------------------------------------------


def test_the_admin_shows_reports_and_assessments_but_cannot_change_them(w, admin_client):
    """Not even an administrator of the state's side may rewrite civil society's assessments or a
    report outside its workflow."""
    report, assessment = w.report("validated"), w.assessment()
    for model in (
        "cluster",
        "reportingperiod",
        "assignment",
        "action",
        "indicatorvalue",
        "progressreport",
        "evidence",
        "assessment",
        "assessmentreply",
        "notification",
    ):
        assert admin_client.get(reverse(f"admin:followup_{model}_changelist")).status_code == 200, model
    assert (
        admin_client.get(reverse("admin:followup_assignment_change", args=[w.assignment.pk])).status_code
        == 200
    )
    for model, obj in (("progressreport", report), ("assessment", assessment)):
        assert admin_client.get(reverse(f"admin:followup_{model}_change", args=[obj.pk])).status_code == 200
        response = admin_client.post(reverse(f"admin:followup_{model}_change", args=[obj.pk]), {})
        assert response.status_code == 403
        assert (
            admin_client.post(
                reverse(f"admin:followup_{model}_delete", args=[obj.pk]), {"post": "yes"}
            ).status_code
            == 403
        )
        assert admin_client.get(reverse(f"admin:followup_{model}_add")).status_code == 403
    assessment.refresh_from_db()
    assert assessment.reasoning == "Nothing has changed."
