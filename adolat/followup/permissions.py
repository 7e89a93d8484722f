"""Who may see and do what in the follow-up.

Roles are held per organisation (accounts.Membership), and a person may hold several: every rule
here asks "in which organisations does this person hold the role that is needed?", never "does
this person hold the role somewhere?", whenever the organisation matters.

- Coordinators and administrators organise the follow-up (clusters, assignments, action plans,
  indicators, reporting periods) and review reports (return, validate). They see every report
  once it has been submitted; a draft belongs to the body writing it.
- A focal point writes reports for their organisation on the assignments where it is the lead or
  a supporting body, and sees the reports of those assignments once submitted.
- A civil-society contributor publishes assessments under their organisation; only members of that
  organisation with the same role can change them. They never touch state reports.
- Everyone else (monitors, viewers, outsiders, the public) reads what is public: published
  recommendations, their assignments, validated reports and published assessments.

Two kinds of answers: `visibility()` gives the scope of lists (`Model.objects.visible_to(user)`),
and one gate per noun (`get_<noun>_for_user`) gives a single object or raises Http404, the same
answer for "does not exist" and "not yours", so ids reveal nothing. With `write=True` a gate also
requires that the person may change the object in some way; the services then check the exact
action and raise PermissionDenied.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from adolat.accounts.models import Organisation, Role
from adolat.accounts.permissions import can_see_unpublished_recommendations

from .models import Assessment, Assignment, Cluster, Evidence, Indicator, ProgressReport

COORDINATING_ROLES = (Role.ADMINISTRATOR, Role.COORDINATOR)
# Who may answer for a recommendation in the state: a ministry or agency, the coordinating body
# itself, or the national human rights institution (which leads on some treaty recommendations).
ACCOUNTABLE_KINDS = (
    Organisation.Kind.STATE_BODY,
    Organisation.Kind.COORDINATING,
    Organisation.Kind.NHRI,
)
# A report once validated is public; before that it is the state's internal work.
PUBLIC_REPORT_STATES = (ProgressReport.State.VALIDATED, ProgressReport.State.SUPERSEDED)


# --- Who holds which role where -----------------------------------------------------------------


def _is_active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def memberships(user) -> list[tuple[int, str]]:
    """(organisation id, role) of each membership in an active organisation; one query, cached on
    the user object for the rest of the request."""
    if not _is_active(user):
        return []
    cached = getattr(user, "_followup_memberships", None)
    if cached is None:
        cached = list(
            user.memberships.filter(organisation__is_active=True).values_list("organisation_id", "role")
        )
        user._followup_memberships = cached
    return cached


def organisations_with_role(user, *roles: str) -> frozenset[int]:
    return frozenset(org for org, role in memberships(user) if role in roles)


def is_coordinator(user) -> bool:
    """Coordinators and administrators organise the follow-up and review reports."""
    return _is_active(user) and (
        user.is_superuser or any(role in COORDINATING_ROLES for _org, role in memberships(user))
    )


def focal_point_organisations(user) -> frozenset[int]:
    return organisations_with_role(user, Role.FOCAL_POINT)


def cso_organisations(user) -> frozenset[int]:
    return organisations_with_role(user, Role.CSO_CONTRIBUTOR)


def reply_organisations(user) -> frozenset[int]:
    """Organisations on whose behalf the person may reply to an assessment: the state's side."""
    return organisations_with_role(user, Role.ADMINISTRATOR, Role.COORDINATOR, Role.FOCAL_POINT)


# --- Rules about one object ---------------------------------------------------------------------


def assignment_bodies(assignment: Assignment) -> frozenset[int]:
    """The lead and supporting bodies (from the prefetch cache when there is one)."""
    return frozenset({assignment.lead_body_id, *(o.pk for o in assignment.supporting_bodies.all())})


def reporting_organisations(user, assignment: Assignment) -> list[int]:
    """The person's organisations that may report on `assignment`, in id order."""
    orgs = focal_point_organisations(user)
    if not orgs:
        return []
    return sorted(orgs & assignment_bodies(assignment))


def can_manage(user) -> bool:
    """Clusters, assignments, actions, indicators and reporting periods; returning and validating
    reports."""
    return is_coordinator(user)


def can_report_on(user, assignment: Assignment) -> bool:
    return assignment.is_active and bool(reporting_organisations(user, assignment))


def can_edit_report(user, report: ProgressReport) -> bool:
    """Focal points of the reporting body, while that body is still on the assignment. The state of
    the report (sealed once validated) is checked by the services."""
    return report.organisation_id in focal_point_organisations(user) and (
        report.organisation_id in assignment_bodies(report.assignment)
    )


def sees_report_workflow(user, report: ProgressReport) -> bool:
    """Whether the person may see how a report got where it is (drafts, returns and the
    coordinator's comments): coordinators and the focal points of the assignment's bodies."""
    if is_coordinator(user):
        return True
    orgs = focal_point_organisations(user)
    return bool(orgs) and (
        report.organisation_id in orgs or bool(orgs & assignment_bodies(report.assignment))
    )


def sees_reports_workflow(user, reports) -> dict[int, bool]:
    """sees_report_workflow for many reports at once: {report id: bool}, without asking per report
    what holds for all of them (a coordinator sees every workflow, a person who is no focal point
    none)."""
    if is_coordinator(user) or not focal_point_organisations(user):
        sees = is_coordinator(user)
        return {r.pk: sees for r in reports}
    return {r.pk: sees_report_workflow(user, r) for r in reports}


def can_assess(user) -> bool:
    return bool(cso_organisations(user))


def can_edit_assessment(user, assessment: Assessment) -> bool:
    """Only the author's organisation; coordinators neither edit nor delete assessments."""
    return assessment.organisation_id in cso_organisations(user)


def can_reply(user) -> bool:
    return bool(reply_organisations(user))


def can_record_indicator_values(user, indicator: Indicator) -> bool:
    """Coordinators, and focal points of the bodies of the assignment or of the action."""
    if is_coordinator(user):
        return True
    orgs = focal_point_organisations(user)
    action = indicator.action
    return bool(orgs & (assignment_bodies(action.assignment) | {action.responsible_body_id}))


# --- Scopes for lists ---------------------------------------------------------------------------


# The scopes below take `via`, the path from the filtered model to the assignment ("" for
# assignments, "assignment__" for reports): a report's scope then joins its own assignment and
# recommendation rather than listing every visible assignment in a subquery, which at scale would
# read the whole table for a page about one recommendation.


def _public_assignments(via: str = "") -> Q:
    """Assignments of a published recommendation, or of a confirmed cluster holding one."""
    return Q(**{f"{via}recommendation__is_published": True}) | Q(
        **{
            f"{via}cluster__in": Cluster.objects.filter(
                state=Cluster.State.CONFIRMED, recommendations__is_published=True
            ).values("pk")
        }
    )


def assignments_of(orgs, via: str = "") -> Q:
    # A subquery rather than a join on the many-to-many, so no row is ever listed twice.
    return Q(**{f"{via}lead_body_id__in": orgs}) | Q(
        **{
            f"{via}pk__in": Assignment.supporting_bodies.through.objects.filter(
                organisation_id__in=orgs
            ).values("assignment_id")
        }
    )


def _cluster_visibility(user) -> Q:
    if is_coordinator(user):
        return Q()
    q = Q(state=Cluster.State.CONFIRMED, pk__in=Cluster.objects.filter(recommendations__is_published=True))
    orgs = focal_point_organisations(user)
    if orgs:
        q |= Q(pk__in=Assignment.objects.filter(assignments_of(orgs)).values("cluster_id"))
    return q


def _assignment_visibility(user) -> Q:
    if is_coordinator(user):
        return Q()
    q = _public_assignments()
    orgs = focal_point_organisations(user)
    if orgs:
        q |= assignments_of(orgs)
    return q


def _report_visibility(user) -> Q:
    orgs = focal_point_organisations(user)
    own = Q(organisation_id__in=orgs) if orgs else Q(pk__in=[])
    if is_coordinator(user):
        return ~Q(state=ProgressReport.State.DRAFT) | own
    q = Q(state__in=PUBLIC_REPORT_STATES) & _public_assignments("assignment__")
    if orgs:
        q |= own | (~Q(state=ProgressReport.State.DRAFT) & assignments_of(orgs, "assignment__"))
    return q


def _assessment_visibility(user) -> Q:
    if can_see_unpublished_recommendations(user):
        q = Q(is_published=True)
    else:
        q = Q(is_published=True, recommendation__is_published=True)
    orgs = cso_organisations(user)
    if orgs:
        q |= Q(organisation_id__in=orgs)
    return q


_VISIBILITY = {
    Cluster: _cluster_visibility,
    Assignment: _assignment_visibility,
    ProgressReport: _report_visibility,
    Assessment: _assessment_visibility,
}


def visibility(model, user) -> Q:
    """The filter behind `Model.objects.visible_to(user)`."""
    return _VISIBILITY[model](user)


# --- Gates --------------------------------------------------------------------------------------


def _one(queryset: QuerySet, pk):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def get_cluster_for_user(user, pk, *, write: bool = False) -> Cluster:
    """A cluster the person may see; with `write`, one they may confirm, edit or reject."""
    if write and not can_manage(user):
        raise Http404
    return _one(Cluster.objects.visible_to(user).select_related("country", "document"), pk)


def get_assignment_for_user(user, pk, *, write: bool = False) -> Assignment:
    """An assignment the person may see; with `write`, one they may change (coordinators) or
    report on (focal points of its bodies)."""
    assignment = _one(
        Assignment.objects.visible_to(user)
        .select_related("recommendation", "cluster", "lead_body")
        .prefetch_related("supporting_bodies"),
        pk,
    )
    if write and not (can_manage(user) or reporting_organisations(user, assignment)):
        raise Http404
    return assignment


def get_report_for_user(user, pk, *, write: bool = False) -> ProgressReport:
    """A progress report the person may see; with `write`, one they may act on: coordinators
    (return, validate) and focal points of the reporting body (edit, submit, resubmit)."""
    report = _one(
        ProgressReport.objects.visible_to(user)
        .select_related("assignment__lead_body", "period", "organisation")
        .prefetch_related("assignment__supporting_bodies", "evidence"),
        pk,
    )
    if write and not (can_manage(user) or can_edit_report(user, report)):
        raise Http404
    return report


def get_assessment_for_user(user, pk, *, write: bool = False) -> Assessment:
    """An assessment the person may see; with `write`, one of their own organisation."""
    assessment = _one(
        Assessment.objects.visible_to(user)
        .select_related("organisation", "recommendation")
        .prefetch_related("evidence", "replies__organisation"),
        pk,
    )
    if write and not can_edit_assessment(user, assessment):
        raise Http404
    return assessment


def get_evidence_file_for_user(user, pk) -> Evidence:
    """An attached file the person may download: whoever may see its report or its assessment."""
    return _one(
        Evidence.objects.exclude(file="").filter(
            Q(report__in=ProgressReport.objects.visible_to(user))
            | Q(assessment__in=Assessment.objects.visible_to(user))
        ),
        pk,
    )
