"""API v1, follow-up: clusters, reporting periods, assignments, progress reports with their
review, evidence links, civil society's assessments and replies.

Endpoints are thin: they find objects through the follow-up gates and scopes
(adolat.followup.permissions, adolat.followup.selectors) and change them through the services,
the same ones the pages use, so the rules are the same whatever the path.

Reads accept a token, a browser session or nobody, like the rest of v1, and show what the caller
may see. Writes take a personal token only (`Authorization: Bearer <token>`): without one they are
answered with 401. Then, in this order:

- 403 when the caller's role may not take this step at all (a viewer validating a report);
- 404 when the object is outside the caller's reach, exactly as if it did not exist;
- 400 when a value is refused or the step is not allowed in the object's state (the message says
  which state and which step);
- 409 when a report has changed since the `version` the caller sent.
"""

import functools
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Body, Field, Path, Query, Router, Schema, Status

from adolat.accounts.models import Organisation
from adolat.followup import permissions, selectors, services
from adolat.followup.models import ReportingPeriod
from adolat.lib import concurrency
from adolat.recommendations.selectors import get_recommendation_for_user

from . import auth
from .pagination import paginate as _paginate
from .schemas import Error, Pagination
from .schemas_followup import (
    AssessmentFilters,
    AssessmentIn,
    AssessmentOut,
    AssessmentPage,
    AssignmentFilters,
    AssignmentIn,
    AssignmentOut,
    AssignmentPage,
    ClusterFilters,
    ClusterOut,
    ClusterPage,
    EvidenceLinkIn,
    EvidenceOut,
    Id,
    ProgressReportFilters,
    ProgressReportIn,
    ProgressReportOut,
    ProgressReportPage,
    ProgressReportUpdateIn,
    ReplyIn,
    ReplyOut,
    ReportingPeriodIn,
    ReportingPeriodOut,
    ReportingPeriodPage,
    ReturnIn,
    TransitionIn,
)

router = Router(tags=["follow-up"])

SOURCE = "api"


# --- Documentation of answers -------------------------------------------------------------------

READ_ERRORS = {
    400: "A parameter is malformed; `errors` names each value.",
    401: "The Authorization header does not hold a valid, unrevoked token.",
    404: "No such object is visible to the caller, or past the last page.",
}
WRITE_ERRORS = {
    400: "A value is refused, or the step is not allowed in the object's current state; `errors` says why.",
    401: "No valid, unrevoked token was sent: writes require `Authorization: Bearer <token>`.",
    403: "The caller's role may not take this step.",
    404: "The object does not exist or is outside the caller's reach.",
    409: "The report has changed since the `version` sent: reload it and try again.",
}


def _read(response: dict, statuses=(400, 401, 404)) -> dict:
    """Anyone may read (credentials optional: the empty security requirement)."""
    return {
        "response": {**response, **dict.fromkeys(statuses, Error)},
        "openapi_extra": {
            "security": [{}],
            "responses": {s: {"description": READ_ERRORS[s]} for s in statuses},
        },
    }


def _write(response: dict, statuses=(400, 401, 403, 404)) -> dict:
    return {
        "auth": auth.TOKEN,
        "response": {**response, **dict.fromkeys(statuses, Error)},
        "openapi_extra": {"responses": {s: {"description": WRITE_ERRORS[s]} for s in statuses}},
    }


WITH_CONFLICT = (400, 401, 403, 404, 409)


class FieldConflictOut(Schema):
    field: str
    yours: Any = Field(None, description="The value sent (null when the field was not sent).")
    current: Any = Field(None, description="The value stored now.")
    changed_since: bool = Field(description="Someone else changed this field since the version sent.")


class ConflictOut(Error):
    """A stale edit, refused: what differs from the stored record, and its current version."""

    version: int = Field(description="The current version: send it to save the change anyway.")
    changed: list[FieldConflictOut]


def _with_conflict_body(options: dict) -> dict:
    options["response"][409] = ConflictOut
    return options


# --- Helpers ------------------------------------------------------------------------------------


def _error_codes(exc: ValidationError) -> set[str]:
    if hasattr(exc, "error_dict"):
        return {e.code for errors in exc.error_dict.values() for e in errors}
    return {e.code for e in exc.error_list}


def _answers_refusals(view):
    """Services refuse with PermissionDenied (403) or ValidationError (400, or 409 for a stale
    version); answer them in the shape of every error of the API."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            detail = str(exc) or _("You may not do this.")
            return Status(403, {"detail": detail, "errors": [detail]})
        except ValidationError as exc:
            messages = list(dict.fromkeys(exc.messages))
            status = 409 if "conflict" in _error_codes(exc) else 400
            return Status(status, {"detail": " ".join(messages), "errors": messages})

    return wrapper


def _role(allowed: bool, message: str) -> None:
    """403 before anything is looked up: the caller's role may not take this step at all."""
    if not allowed:
        raise PermissionDenied(message)


def _organisations(ids: list[int], field: str) -> list[Organisation]:
    found = Organisation.objects.in_bulk(ids)
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise ValidationError(
            [
                _("“%(value)s” is not a valid value for the parameter “%(parameter)s”.")
                % {"value": pk, "parameter": field}
                for pk in missing
            ]
        )
    return [found[pk] for pk in ids]


def _period(pk: int | None) -> ReportingPeriod | None:
    if pk is None:
        return None
    period = ReportingPeriod.objects.filter(pk=pk).first()
    if period is None:
        raise ValidationError(
            _("“%(value)s” is not a valid value for the parameter “%(parameter)s”.")
            % {"value": pk, "parameter": "period"}
        )
    return period


# --- Clusters -----------------------------------------------------------------------------------


@router.get(
    "/clusters",
    operation_id="listClusters",
    summary="Clusters of near-identical recommendations",
    **_read({200: ClusterPage}),
)
def list_clusters(request, params: Query[ClusterFilters]):
    """Coordinators see every cluster, suggestions included; others see confirmed clusters."""
    clusters = selectors.cluster_list(user=request.auth, state=params.state)
    return _paginate(request, clusters, params.page, params.page_size)


@router.post(
    "/clusters/{id}/confirm",
    operation_id="confirmCluster",
    summary="Confirm a proposed cluster (coordinators)",
    **_write({200: ClusterOut}),
)
@_answers_refusals
def confirm_cluster(request, id: Path[Id]):
    _role(permissions.can_manage(request.auth), _("Only a coordinator may confirm clusters."))
    cluster = permissions.get_cluster_for_user(request.auth, id, write=True)
    services.cluster_confirm(cluster=cluster, by=request.auth, source=SOURCE)
    return Status(200, selectors.cluster_list(user=request.auth).get(pk=cluster.pk))


@router.post(
    "/clusters/{id}/reject",
    operation_id="rejectCluster",
    summary="Reject a cluster (coordinators)",
    **_write({200: ClusterOut}),
)
@_answers_refusals
def reject_cluster(request, id: Path[Id]):
    _role(permissions.can_manage(request.auth), _("Only a coordinator may reject clusters."))
    cluster = permissions.get_cluster_for_user(request.auth, id, write=True)
    services.cluster_reject(cluster=cluster, by=request.auth, source=SOURCE)
    return Status(200, selectors.cluster_list(user=request.auth).get(pk=cluster.pk))


# --- Reporting periods --------------------------------------------------------------------------


@router.get(
    "/reporting-periods",
    operation_id="listReportingPeriods",
    summary="The reporting calendar",
    **_read({200: ReportingPeriodPage}),
)
def list_reporting_periods(request, params: Query[Pagination]):
    return _paginate(request, selectors.reporting_period_list(), params.page, params.page_size)


@router.post(
    "/reporting-periods",
    operation_id="createReportingPeriod",
    summary="Add a reporting period (coordinators)",
    **_write({201: ReportingPeriodOut}, statuses=(400, 401, 403)),
)
@_answers_refusals
def create_reporting_period(request, payload: ReportingPeriodIn):
    _role(permissions.can_manage(request.auth), _("Only a coordinator may set the reporting calendar."))
    period = services.reporting_period_create(
        starts=payload.starts,
        ends=payload.ends,
        due=payload.due,
        title_tg=payload.title.tg,
        title_ru=payload.title.ru,
        title_en=payload.title.en,
        remind_days_before=payload.remind_days_before,
        by=request.auth,
        source=SOURCE,
    )
    return Status(201, period)


# --- Assignments --------------------------------------------------------------------------------


@router.get(
    "/assignments",
    operation_id="listAssignments",
    summary="Who in the state answers for what",
    **_read({200: AssignmentPage}),
)
def list_assignments(request, params: Query[AssignmentFilters]):
    assignments = selectors.assignment_list(
        user=request.auth, recommendation=params.recommendation, active=params.active
    )
    return _paginate(request, assignments, params.page, params.page_size)


@router.get(
    "/assignments/{id}",
    operation_id="getAssignment",
    summary="One assignment",
    **_read({200: AssignmentOut}),
)
def get_assignment(request, id: Path[Id]):
    return permissions.get_assignment_for_user(request.auth, id)


@router.post(
    "/assignments",
    operation_id="createAssignment",
    summary="Assign a recommendation or a cluster to a lead body (coordinators)",
    **_write({201: AssignmentOut}),
)
@_answers_refusals
def create_assignment(request, payload: AssignmentIn):
    """404 when the recommendation or cluster named does not exist."""
    user = request.auth
    _role(permissions.can_manage(user), _("Only a coordinator may assign recommendations."))
    recommendation = (
        get_recommendation_for_user(user, payload.recommendation) if payload.recommendation else None
    )
    cluster = permissions.get_cluster_for_user(user, payload.cluster) if payload.cluster else None
    (lead_body,) = _organisations([payload.lead_body], "lead_body")
    assignment = services.assignment_create(
        recommendation=recommendation,
        cluster=cluster,
        lead_body=lead_body,
        supporting_bodies=_organisations(list(dict.fromkeys(payload.supporting_bodies)), "supporting_bodies"),
        deadline=payload.deadline,
        note=payload.note,
        by=user,
        source=SOURCE,
    )
    return Status(201, permissions.get_assignment_for_user(user, assignment.pk))


# --- Progress reports ---------------------------------------------------------------------------


@router.get(
    "/progress-reports",
    operation_id="listProgressReports",
    summary="Progress reports of state bodies",
    **_read({200: ProgressReportPage}),
)
def list_progress_reports(request, params: Query[ProgressReportFilters]):
    """The public sees validated (and superseded) reports; the state's side also sees reports in
    review, and each body its own drafts."""
    reports = selectors.progress_report_list(
        user=request.auth, assignment=params.assignment, state=params.state
    )
    return _paginate(request, reports, params.page, params.page_size)


@router.get(
    "/progress-reports/{id}",
    operation_id="getProgressReport",
    summary="One progress report",
    **_read({200: ProgressReportOut}),
)
def get_progress_report(request, id: Path[Id]):
    return permissions.get_report_for_user(request.auth, id)


def _focal_point(user) -> None:
    _role(
        bool(permissions.focal_point_organisations(user)),
        _("Only focal points of state bodies write progress reports."),
    )


def _version(payload: TransitionIn | None) -> int | None:
    return payload.version if payload is not None else None


def _report(user, pk):
    """The report again after a step, with what the answer shows."""
    return permissions.get_report_for_user(user, pk)


@router.post(
    "/progress-reports",
    operation_id="createProgressReport",
    summary="Start a draft report on an assignment (focal points)",
    **_write({201: ProgressReportOut}),
)
@_answers_refusals
def create_progress_report(request, payload: ProgressReportIn):
    """404 when the assignment is not one the caller's organisation reports on."""
    user = request.auth
    _focal_point(user)
    assignment = permissions.get_assignment_for_user(user, payload.assignment, write=True)
    report = services.progress_report_create(
        assignment=assignment,
        period=_period(payload.period),
        organisation=payload.organisation,
        text=payload.text,
        proposed_status=payload.proposed_status,
        language=payload.language,
        by=user,
        source=SOURCE,
    )
    return Status(201, _report(user, report.pk))


@router.patch(
    "/progress-reports/{id}",
    operation_id="updateProgressReport",
    summary="Edit a draft or returned report (focal points of the reporting body)",
    **_with_conflict_body(_write({200: ProgressReportOut}, statuses=WITH_CONFLICT)),
)
@_answers_refusals
def update_progress_report(request, id: Path[Id], payload: ProgressReportUpdateIn):
    user = request.auth
    _focal_point(user)
    report = permissions.get_report_for_user(user, id, write=True)
    yours = {"text": payload.text, "proposed_status": payload.proposed_status, "language": payload.language}
    try:
        services.progress_report_update(
            report=report, version=payload.version, by=user, source=SOURCE, **yours
        )
    except ValidationError as exc:
        if "conflict" not in _error_codes(exc):
            raise
        # The service has reloaded the report as it is now: say what changed since.
        entries = concurrency.entries_since(report, count=report.version - payload.version)
        current = {name: getattr(report, name) for name in yours}
        rows = concurrency.value_differences(yours, current, changed=concurrency.changed_fields(entries))
        detail = " ".join(dict.fromkeys(exc.messages))
        return Status(409, concurrency.conflict_body(detail=detail, rows=rows, version=report.version))
    return Status(200, _report(user, id))


@router.post(
    "/progress-reports/{id}/submit",
    operation_id="submitProgressReport",
    summary="Submit a draft for validation (focal points of the reporting body)",
    **_write({200: ProgressReportOut}, statuses=WITH_CONFLICT),
)
@_answers_refusals
def submit_progress_report(request, id: Path[Id], payload: Body[TransitionIn | None] = None):
    user = request.auth
    _focal_point(user)
    report = permissions.get_report_for_user(user, id, write=True)
    services.progress_report_submit(report=report, version=_version(payload), by=user, source=SOURCE)
    return Status(200, _report(user, id))


@router.post(
    "/progress-reports/{id}/return",
    operation_id="returnProgressReport",
    summary="Return a submitted report for revision, with a comment (coordinators)",
    **_write({200: ProgressReportOut}, statuses=WITH_CONFLICT),
)
@_answers_refusals
def return_progress_report(request, id: Path[Id], payload: ReturnIn):
    user = request.auth
    _role(permissions.can_manage(user), _("Only a coordinator may return a report."))
    report = permissions.get_report_for_user(user, id, write=True)
    services.progress_report_return(
        report=report, comment=payload.comment, version=payload.version, by=user, source=SOURCE
    )
    return Status(200, _report(user, id))


@router.post(
    "/progress-reports/{id}/resubmit",
    operation_id="resubmitProgressReport",
    summary="Resubmit a returned report (focal points of the reporting body)",
    **_write({200: ProgressReportOut}, statuses=WITH_CONFLICT),
)
@_answers_refusals
def resubmit_progress_report(request, id: Path[Id], payload: Body[TransitionIn | None] = None):
    user = request.auth
    _focal_point(user)
    report = permissions.get_report_for_user(user, id, write=True)
    services.progress_report_resubmit(report=report, version=_version(payload), by=user, source=SOURCE)
    return Status(200, _report(user, id))


@router.post(
    "/progress-reports/{id}/validate",
    operation_id="validateProgressReport",
    summary="Validate a submitted report; the recommendation's status follows it (coordinators)",
    **_write({200: ProgressReportOut}, statuses=WITH_CONFLICT),
)
@_answers_refusals
def validate_progress_report(request, id: Path[Id], payload: Body[TransitionIn | None] = None):
    user = request.auth
    _role(permissions.can_manage(user), _("Only a coordinator may validate a report."))
    report = permissions.get_report_for_user(user, id, write=True)
    services.progress_report_validate(report=report, version=_version(payload), by=user, source=SOURCE)
    return Status(200, _report(user, id))


@router.post(
    "/progress-reports/{id}/evidence",
    operation_id="addProgressReportEvidence",
    summary="Add a link to evidence to a draft or returned report (focal points of the reporting body)",
    **_write({201: EvidenceOut}),
)
@_answers_refusals
def add_progress_report_evidence(request, id: Path[Id], payload: EvidenceLinkIn):
    user = request.auth
    _focal_point(user)
    report = permissions.get_report_for_user(user, id, write=True)
    evidence = services.evidence_add(
        report=report, url=payload.url, description=payload.description, by=user, source=SOURCE
    )
    return Status(201, evidence)


# --- Assessments --------------------------------------------------------------------------------


@router.get(
    "/assessments",
    operation_id="listAssessments",
    summary="Civil society's independent assessments",
    **_read({200: AssessmentPage}),
)
def list_assessments(request, params: Query[AssessmentFilters]):
    assessments = selectors.assessment_list(user=request.auth, recommendation=params.recommendation)
    return _paginate(request, assessments, params.page, params.page_size)


@router.get(
    "/assessments/{id}",
    operation_id="getAssessment",
    summary="One independent assessment, with the replies to it",
    **_read({200: AssessmentOut}),
)
def get_assessment(request, id: Path[Id]):
    return permissions.get_assessment_for_user(request.auth, id)


def _cso(user) -> None:
    _role(
        permissions.can_assess(user),
        _("Only civil-society contributors may publish an independent assessment."),
    )


@router.post(
    "/assessments",
    operation_id="createAssessment",
    summary="Publish an independent assessment of a recommendation (civil-society contributors)",
    **_write({201: AssessmentOut}),
)
@_answers_refusals
def create_assessment(request, payload: AssessmentIn):
    """Published at once under the organisation's name, without anyone's approval. 404 when the
    recommendation is not published."""
    user = request.auth
    _cso(user)
    recommendation = get_recommendation_for_user(user, payload.recommendation)
    assessment = services.assessment_create(
        recommendation=recommendation,
        rating=payload.rating,
        reasoning=payload.reasoning,
        language=payload.language,
        organisation=payload.organisation,
        links=[(link.url, link.description) for link in payload.links],
        by=user,
        source=SOURCE,
    )
    return Status(201, permissions.get_assessment_for_user(user, assessment.pk))


@router.post(
    "/assessments/{id}/evidence",
    operation_id="addAssessmentEvidence",
    summary="Add a link to evidence to an assessment (its organisation)",
    **_write({201: EvidenceOut}),
)
@_answers_refusals
def add_assessment_evidence(request, id: Path[Id], payload: EvidenceLinkIn):
    user = request.auth
    _cso(user)
    assessment = permissions.get_assessment_for_user(user, id, write=True)
    evidence = services.evidence_add(
        assessment=assessment, url=payload.url, description=payload.description, by=user, source=SOURCE
    )
    return Status(201, evidence)


@router.post(
    "/assessments/{id}/replies",
    operation_id="createAssessmentReply",
    summary="Reply to an assessment (coordinators and focal points)",
    **_write({201: ReplyOut}),
)
@_answers_refusals
def create_assessment_reply(request, id: Path[Id], payload: ReplyIn):
    """The state's side answers under its organisation's name; the assessment stays as written."""
    user = request.auth
    _role(
        permissions.can_reply(user),
        _("Only coordinators and focal points of state bodies may reply to an assessment."),
    )
    assessment = permissions.get_assessment_for_user(user, id)
    reply = services.assessment_reply_create(
        assessment=assessment, text=payload.text, organisation=payload.organisation, by=user, source=SOURCE
    )
    return Status(201, reply)
