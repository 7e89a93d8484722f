"""Writes for the follow-up: clusters, assignments and action plans, reporting periods, progress
reports with their review, evidence, civil society's assessments and the replies to them.

Every function is the one way its change is made (pages, API, commands and imports all call it):
keyword-only, one transaction, validated with `full_clean()` and recorded in the audit log. Each
checks that `by` may act and raises PermissionDenied when not; refused values and illegal steps of
the workflow raise ValidationError with a message for people, in their language. A stale
`version` of a progress report raises ValidationError with the code "conflict".
"""

import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from adolat.accounts.models import Organisation
from adolat.lib import audit, uploads
from adolat.recommendations.models import Recommendation
from adolat.recommendations.services import recommendation_set_cso_rating, recommendation_set_status

from . import permissions
from .models import (
    Action,
    Assessment,
    AssessmentReply,
    Assignment,
    Cluster,
    Evidence,
    Indicator,
    IndicatorValue,
    ProgressReport,
    ReportingPeriod,
)

State = ProgressReport.State
# A report in one of these states is still being worked on; a body has at most one per assignment
# and period.
OPEN_STATES = (State.DRAFT, State.SUBMITTED, State.RETURNED)
EDITABLE_STATES = (State.DRAFT, State.RETURNED)
SEALED_STATES = (State.VALIDATED, State.SUPERSEDED)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _pk(value) -> int | None:
    return getattr(value, "pk", value)


def _choose_organisation(candidates: Iterable[int], organisation, *, not_member: str) -> int:
    """The organisation a person acts for: the one given (which must be among `candidates`), or
    their only candidate. Someone holding the role in several organisations must say which."""
    candidates = sorted(candidates)
    if organisation is not None:
        _require(_pk(organisation) in candidates, not_member)
        return _pk(organisation)
    if len(candidates) > 1:
        raise ValidationError(
            {
                "organisation": ValidationError(
                    _("You act for several organisations here: say for which one."), code="required"
                )
            }
        )
    return candidates[0]


def _check_titles(obj, field: str, message: str) -> None:
    if not any((getattr(obj, f"{field}_{lang}") or "").strip() for lang in ("tg", "ru", "en")):
        raise ValidationError({f"{field}_en": ValidationError(message, code="required")})


# --- Clusters -----------------------------------------------------------------------------------


@transaction.atomic
def cluster_create(
    *,
    country,
    recommendations,
    origin: str,
    state: str = Cluster.State.PROPOSED,
    title_en: str = "",
    title_ru: str = "",
    title_tg: str = "",
    document=None,
    paragraph: str = "",
    by=None,
    source: str,
) -> Cluster:
    """Create a cluster of recommendations of one state under review. A cluster from a document
    paragraph is unique per (document, paragraph): creating it again returns the existing one with
    its members brought up to date. Importers and the suggestion engine call this without a
    person (`by=None`); a person must be a coordinator."""
    if by is not None:
        _require(permissions.can_manage(by), _("Only a coordinator may make clusters."))
    if origin == Cluster.Origin.DOCUMENT and document is not None and paragraph:
        existing = Cluster.objects.filter(origin=origin, document=document, paragraph=paragraph).first()
        if existing is not None:
            before = sorted(existing.recommendations.values_list("pk", flat=True))
            after = sorted({r.pk for r in recommendations} | set(before))
            if after != before:
                existing.recommendations.add(*recommendations)
                audit.record(
                    instance=existing,
                    action="update",
                    by=by,
                    source=source,
                    changes={"recommendations": [before, after]},
                )
            return existing
    cluster = Cluster(
        country=country,
        origin=origin,
        state=state,
        title_en=title_en,
        title_ru=title_ru,
        title_tg=title_tg,
        document=document,
        paragraph=paragraph,
        created_by=by if getattr(by, "pk", None) else None,
    )
    cluster.full_clean()
    cluster.save()
    cluster.recommendations.set(recommendations)
    audit.record(
        instance=cluster,
        action="create",
        by=by,
        source=source,
        summary=cluster.title or paragraph,
        changes={
            "origin": [None, origin],
            "state": [None, state],
            "recommendations": [None, sorted(r.pk for r in recommendations)],
        },
    )
    return cluster


def _lock_cluster(cluster: Cluster) -> Cluster:
    cluster.refresh_from_db(from_queryset=Cluster.objects.select_for_update())
    return cluster


@transaction.atomic
def cluster_update(
    *,
    cluster: Cluster,
    by,
    source: str = "web",
    title_en: str | None = None,
    title_ru: str | None = None,
    title_tg: str | None = None,
    recommendations: Iterable[Recommendation] | None = None,
) -> dict:
    """Edit a proposed or confirmed cluster: its titles (None leaves one as it is) and its
    members, at least two recommendations of the cluster's state. Returns the changes; empty when
    nothing changed and nothing was written."""
    _require(permissions.can_manage(by), _("Only a coordinator may edit clusters."))
    _lock_cluster(cluster)
    if cluster.state == Cluster.State.REJECTED:
        raise ValidationError(
            _("This cluster cannot be edited: it is %(state)s.") % {"state": cluster.get_state_display()},
            code="invalid_transition",
        )
    before = {
        "title_en": cluster.title_en,
        "title_ru": cluster.title_ru,
        "title_tg": cluster.title_tg,
        "recommendations": sorted(cluster.recommendations.values_list("pk", flat=True)),
    }
    for name, value in (("title_en", title_en), ("title_ru", title_ru), ("title_tg", title_tg)):
        if value is not None:
            setattr(cluster, name, value.strip())
    members = None
    if recommendations is not None:
        members = list(recommendations)
        if len({r.pk for r in members}) < 2:
            raise ValidationError(
                {
                    "recommendations": ValidationError(
                        _("A cluster groups at least two recommendations."), code="too_few"
                    )
                }
            )
        foreign = [r for r in members if r.country_id != cluster.country_id]
        if foreign:
            raise ValidationError(
                {
                    "recommendations": ValidationError(
                        _("Every recommendation of a cluster must concern the same state."),
                        code="other_state",
                    )
                }
            )
    after = {
        "title_en": cluster.title_en,
        "title_ru": cluster.title_ru,
        "title_tg": cluster.title_tg,
        "recommendations": sorted({r.pk for r in members})
        if members is not None
        else before["recommendations"],
    }
    changes = audit.diff(before, after)
    if not changes:
        return {}
    cluster.full_clean()
    cluster.save()
    if members is not None:
        cluster.recommendations.set(members)
    audit.record(
        instance=cluster, action="update", by=by, source=source, changes=changes, summary=cluster.title
    )
    return changes


def _cluster_transition(cluster: Cluster, *, to: str, allowed_from: tuple, message: str, by, source: str):
    _lock_cluster(cluster)
    if cluster.state not in allowed_from:
        raise ValidationError(message % {"state": cluster.get_state_display()}, code="invalid_transition")
    before = cluster.state
    cluster.state = to
    cluster.full_clean()
    cluster.save(update_fields=["state", "updated"])
    action = "confirm" if to == Cluster.State.CONFIRMED else "reject"
    audit.record(
        instance=cluster,
        action=action,
        by=by,
        source=source,
        changes={"state": [before, to]},
        summary=cluster.title,
    )
    return cluster


@transaction.atomic
def cluster_confirm(*, cluster: Cluster, by, source: str = "web") -> Cluster:
    """A coordinator confirms a proposed cluster; from then on it can be assigned as one."""
    _require(permissions.can_manage(by), _("Only a coordinator may confirm clusters."))
    return _cluster_transition(
        cluster,
        to=Cluster.State.CONFIRMED,
        allowed_from=(Cluster.State.PROPOSED,),
        message=_("This cluster cannot be confirmed: it is %(state)s, and only a proposed cluster can be."),
        by=by,
        source=source,
    )


@transaction.atomic
def cluster_reject(*, cluster: Cluster, by, source: str = "web") -> Cluster:
    """A coordinator rejects a suggestion, or dissolves a confirmed cluster nobody answers for
    (no active assignment)."""
    _require(permissions.can_manage(by), _("Only a coordinator may reject clusters."))
    if cluster.assignments.filter(is_active=True).exists():
        raise ValidationError(
            _("This cluster cannot be rejected while it is assigned: deactivate its assignments first."),
            code="assigned",
        )
    return _cluster_transition(
        cluster,
        to=Cluster.State.REJECTED,
        allowed_from=(Cluster.State.PROPOSED, Cluster.State.CONFIRMED),
        message=_("This cluster cannot be rejected: it is %(state)s."),
        by=by,
        source=source,
    )


# --- Assignments and action plans ---------------------------------------------------------------


def _check_accountable(org: Organisation, field: str) -> None:
    if org.kind not in permissions.ACCOUNTABLE_KINDS:
        raise ValidationError(
            {
                field: ValidationError(
                    _(
                        "%(organisation)s is a %(kind)s: only a state body, the coordinating body or "
                        "the national human rights institution can answer for a recommendation."
                    )
                    % {"organisation": org, "kind": org.get_kind_display()},
                    code="not_accountable",
                )
            }
        )
    if not org.is_active:
        raise ValidationError(
            {
                field: ValidationError(
                    _("%(organisation)s is no longer active.") % {"organisation": org}, code="inactive"
                )
            }
        )


def _check_bodies(lead_body: Organisation, supporting_bodies: list[Organisation]) -> None:
    _check_accountable(lead_body, "lead_body")
    for org in supporting_bodies:
        _check_accountable(org, "supporting_bodies")
    if any(org.pk == lead_body.pk for org in supporting_bodies):
        raise ValidationError(
            {
                "supporting_bodies": ValidationError(
                    _("The lead body cannot also be a supporting body."), code="lead_supporting"
                )
            }
        )


def _assignment_snapshot(assignment: Assignment, supporting: list) -> dict:
    return {
        "recommendation": assignment.recommendation_id,
        "cluster": assignment.cluster_id,
        "lead_body": assignment.lead_body_id,
        "supporting_bodies": sorted(_pk(o) for o in supporting),
        "deadline": assignment.deadline,
        "note": assignment.note,
        "is_active": assignment.is_active,
    }


@transaction.atomic
def assignment_create(
    *,
    lead_body: Organisation,
    recommendation: Recommendation | None = None,
    cluster: Cluster | None = None,
    supporting_bodies: Iterable[Organisation] = (),
    deadline: date | None = None,
    note: str = "",
    by,
    source: str = "web",
) -> Assignment:
    """A coordinator makes a state body answer for a recommendation or for a confirmed cluster
    (one of the two), with supporting bodies and a deadline. The lead and supporting bodies are
    state bodies, the coordinating body or the NHRI. The same target is assigned to the same lead
    body once while active."""
    _require(permissions.can_manage(by), _("Only a coordinator may assign recommendations."))
    supporting_bodies = list(dict.fromkeys(supporting_bodies))
    if (recommendation is None) == (cluster is None):
        raise ValidationError(
            _("Assign either one recommendation or one cluster."), code="recommendation_or_cluster"
        )
    if cluster is not None and cluster.state != Cluster.State.CONFIRMED:
        raise ValidationError(
            {
                "cluster": ValidationError(
                    _(
                        "This cluster cannot be assigned: it is %(state)s, and only a confirmed cluster "
                        "can be."
                    )
                    % {"state": cluster.get_state_display()},
                    code="invalid_transition",
                )
            }
        )
    _check_bodies(lead_body, supporting_bodies)
    target = Q(recommendation=recommendation) if recommendation is not None else Q(cluster=cluster)
    if Assignment.objects.filter(target, lead_body=lead_body, is_active=True).exists():
        raise ValidationError(
            {
                "lead_body": ValidationError(
                    _("This is already assigned to %(organisation)s.") % {"organisation": lead_body},
                    code="duplicate",
                )
            }
        )
    assignment = Assignment(
        recommendation=recommendation,
        cluster=cluster,
        lead_body=lead_body,
        deadline=deadline,
        note=note.strip(),
        created_by=by if getattr(by, "pk", None) else None,
    )
    assignment.full_clean()
    assignment.save()
    assignment.supporting_bodies.set(supporting_bodies)
    audit.record(
        instance=assignment,
        action="create",
        by=by,
        source=source,
        changes=audit.diff({}, _assignment_snapshot(assignment, supporting_bodies)),
        summary=str(lead_body),
    )
    return assignment


@transaction.atomic
def assignment_update(
    *,
    assignment: Assignment,
    lead_body: Organisation,
    supporting_bodies: Iterable[Organisation],
    deadline: date | None,
    note: str,
    by,
    source: str = "web",
) -> dict:
    """A coordinator changes who answers for an active assignment and by when (every field given,
    as a form sends it). Returns the changes; empty when nothing changed."""
    _require(permissions.can_manage(by), _("Only a coordinator may change assignments."))
    assignment.refresh_from_db(from_queryset=Assignment.objects.select_for_update())
    if not assignment.is_active:
        raise ValidationError(
            _("This assignment is no longer active; it cannot be changed."), code="inactive"
        )
    supporting_bodies = list(dict.fromkeys(supporting_bodies))
    _check_bodies(lead_body, supporting_bodies)
    before = _assignment_snapshot(assignment, list(assignment.supporting_bodies.all()))
    assignment.lead_body = lead_body
    assignment.deadline = deadline
    assignment.note = note.strip()
    changes = audit.diff(before, _assignment_snapshot(assignment, supporting_bodies))
    if not changes:
        return {}
    if "lead_body" in changes:
        target = (
            Q(recommendation=assignment.recommendation_id)
            if assignment.recommendation_id
            else Q(cluster=assignment.cluster_id)
        )
        if (
            Assignment.objects.filter(target, lead_body=lead_body, is_active=True)
            .exclude(pk=assignment.pk)
            .exists()
        ):
            raise ValidationError(
                {
                    "lead_body": ValidationError(
                        _("This is already assigned to %(organisation)s.") % {"organisation": lead_body},
                        code="duplicate",
                    )
                }
            )
    assignment.full_clean()
    assignment.save()
    assignment.supporting_bodies.set(supporting_bodies)
    audit.record(instance=assignment, action="update", by=by, source=source, changes=changes)
    return changes


@transaction.atomic
def assignment_deactivate(*, assignment: Assignment, by, source: str = "web") -> Assignment:
    """A coordinator ends an assignment: no new report can be written on it; what was reported
    stays. Deactivating an inactive assignment changes nothing."""
    _require(permissions.can_manage(by), _("Only a coordinator may end assignments."))
    assignment.refresh_from_db(from_queryset=Assignment.objects.select_for_update())
    if assignment.is_active:
        assignment.is_active = False
        assignment.save(update_fields=["is_active", "updated"])
        audit.record(
            instance=assignment,
            action="deactivate",
            by=by,
            source=source,
            changes={"is_active": [True, False]},
        )
    return assignment


@transaction.atomic
def action_create(
    *,
    assignment: Assignment,
    responsible_body: Organisation,
    title_en: str = "",
    title_ru: str = "",
    title_tg: str = "",
    starts: date | None = None,
    ends: date | None = None,
    by,
    source: str = "web",
) -> Action:
    """A coordinator adds an action of a National Action Plan to an assignment."""
    _require(permissions.can_manage(by), _("Only a coordinator may plan actions."))
    _check_accountable(responsible_body, "responsible_body")
    action = Action(
        assignment=assignment,
        responsible_body=responsible_body,
        title_en=title_en.strip(),
        title_ru=title_ru.strip(),
        title_tg=title_tg.strip(),
        starts=starts,
        ends=ends,
    )
    _check_titles(action, "title", _("An action needs its title in at least one language."))
    if starts and ends and ends < starts:
        raise ValidationError(
            {"ends": ValidationError(_("An action cannot end before it starts."), code="order")}
        )
    action.full_clean()
    action.save()
    audit.record(
        instance=action,
        action="create",
        by=by,
        source=source,
        changes=audit.diff(
            {},
            {
                "assignment": assignment,
                "responsible_body": responsible_body,
                "title_en": action.title_en,
                "title_ru": action.title_ru,
                "title_tg": action.title_tg,
                "starts": starts,
                "ends": ends,
            },
        ),
        summary=str(action),
    )
    return action


@transaction.atomic
def indicator_create(
    *,
    action: Action,
    name_en: str = "",
    name_ru: str = "",
    name_tg: str = "",
    unit: str = "",
    baseline: Decimal | None = None,
    target: Decimal | None = None,
    by,
    source: str = "web",
) -> Indicator:
    """A coordinator adds an indicator, with its baseline and target, to an action."""
    _require(permissions.can_manage(by), _("Only a coordinator may define indicators."))
    indicator = Indicator(
        action=action,
        name_en=name_en.strip(),
        name_ru=name_ru.strip(),
        name_tg=name_tg.strip(),
        unit=unit.strip(),
        baseline=baseline,
        target=target,
    )
    _check_titles(indicator, "name", _("An indicator needs its name in at least one language."))
    indicator.full_clean()
    indicator.save()
    audit.record(
        instance=indicator,
        action="create",
        by=by,
        source=source,
        changes=audit.diff(
            {},
            {
                "action": action,
                "name_en": indicator.name_en,
                "name_ru": indicator.name_ru,
                "name_tg": indicator.name_tg,
                "unit": indicator.unit,
                "baseline": baseline,
                "target": target,
            },
        ),
        summary=str(indicator),
    )
    return indicator


@transaction.atomic
def indicator_value_record(
    *,
    indicator: Indicator,
    measured_on: date,
    value: Decimal,
    note: str = "",
    by,
    source: str = "web",
) -> IndicatorValue:
    """Record a measured value. Values are kept over time: a new measurement is a new row, never an
    overwrite. Coordinators, and focal points of the bodies concerned, record them."""
    _require(
        permissions.can_record_indicator_values(by, indicator),
        _("Only a coordinator or a focal point of a body concerned may record values of this indicator."),
    )
    if measured_on > timezone.localdate():
        raise ValidationError(
            {"measured_on": ValidationError(_("A value cannot be measured in the future."), code="future")}
        )
    row = IndicatorValue(
        indicator=indicator,
        measured_on=measured_on,
        value=value,
        note=note.strip(),
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    row.full_clean()
    row.save()
    audit.record(
        instance=row,
        action="create",
        by=by,
        source=source,
        changes=audit.diff({}, {"indicator": indicator, "measured_on": measured_on, "value": value}),
        summary=str(indicator),
    )
    return row


@transaction.atomic
def reporting_period_create(
    *,
    starts: date,
    ends: date,
    due: date,
    title_en: str = "",
    title_ru: str = "",
    title_tg: str = "",
    remind_days_before: int = 14,
    by,
    source: str = "web",
) -> ReportingPeriod:
    """A coordinator adds a period of the reporting calendar, with the date its reports are due."""
    _require(permissions.can_manage(by), _("Only a coordinator may set the reporting calendar."))
    if ends < starts:
        raise ValidationError(
            {"ends": ValidationError(_("A period cannot end before it starts."), code="order")}
        )
    if due < starts:
        raise ValidationError(
            {"due": ValidationError(_("Reports cannot be due before the period starts."), code="order")}
        )
    period = ReportingPeriod(
        starts=starts,
        ends=ends,
        due=due,
        title_en=title_en.strip(),
        title_ru=title_ru.strip(),
        title_tg=title_tg.strip(),
        remind_days_before=remind_days_before,
    )
    period.full_clean()
    period.save()
    audit.record(
        instance=period,
        action="create",
        by=by,
        source=source,
        changes=audit.diff(
            {},
            {
                "starts": starts,
                "ends": ends,
                "due": due,
                "title_en": period.title_en,
                "title_ru": period.title_ru,
                "title_tg": period.title_tg,
                "remind_days_before": remind_days_before,
            },
        ),
        summary=str(period),
    )
    return period


# --- Progress reports ---------------------------------------------------------------------------


def _lock_report(report: ProgressReport) -> ProgressReport:
    """Reload the report under a row lock, so that two people acting on it at once are serialised
    and each sees what the other did."""
    report.refresh_from_db(from_queryset=ProgressReport.objects.select_for_update())
    return report


def _check_version(report: ProgressReport, version: int | None) -> None:
    """Optimistic locking: refuse a change made on an older version than the current one."""
    if version is not None and version != report.version:
        raise ValidationError(
            _(
                "This report has changed since you opened it (you saw version %(seen)s; it is now at "
                "version %(current)s). Reload it and make your change again."
            )
            % {"seen": version, "current": report.version},
            code="conflict",
        )


def _refuse(report: ProgressReport, message: str) -> ValidationError:
    return ValidationError(message % {"state": report.get_state_display()}, code="invalid_transition")


def _check_editable(report: ProgressReport) -> None:
    if report.state in SEALED_STATES:
        raise _refuse(
            report,
            _(
                "This report cannot be changed: it is %(state)s, and a validated report is sealed. "
                "Write a new report to supersede it."
            ),
        )
    if report.state not in EDITABLE_STATES:
        raise _refuse(
            report,
            _(
                "This report cannot be changed: it is %(state)s, and only a draft or a report returned "
                "for revision can be changed."
            ),
        )


def _transition(
    report: ProgressReport, *, to: str, action: str, by, source: str, extra: dict | None = None
) -> ProgressReport:
    extra = {"state": to, **(extra or {})}
    changes = audit.diff({name: getattr(report, name) for name in extra}, extra)
    for name, value in extra.items():
        setattr(report, name, value)
    report.version += 1
    report.full_clean()
    report.save()
    audit.record(
        instance=report, action=action, by=by, source=source, changes=changes, summary=str(report.pk)
    )
    return report


@transaction.atomic
def progress_report_create(
    *,
    assignment: Assignment,
    text: str,
    proposed_status: str,
    period: ReportingPeriod | None = None,
    language: str = "tg",
    organisation: Organisation | None = None,
    by,
    source: str = "web",
) -> ProgressReport:
    """A focal point starts a draft report for their organisation, the lead or a supporting body
    of an active assignment. One report at a time per body, assignment and period is in progress;
    a validated one is superseded by the next validated one."""
    # The assignment's row lock serialises reports on one assignment (creation, validation).
    assignment = (
        Assignment.objects.select_for_update().prefetch_related("supporting_bodies").get(pk=assignment.pk)
    )
    candidates = permissions.reporting_organisations(by, assignment)
    _require(
        bool(candidates),
        _("Only a focal point of the lead body or of a supporting body may report on this assignment."),
    )
    if not assignment.is_active:
        raise ValidationError(
            _("This assignment is no longer active; no new report can be written on it."), code="inactive"
        )
    org = _choose_organisation(
        candidates,
        organisation,
        not_member=_("You are not a focal point of this organisation on this assignment."),
    )
    if ProgressReport.objects.filter(
        assignment=assignment, organisation_id=org, period=period, state__in=OPEN_STATES
    ).exists():
        raise ValidationError(
            _(
                "Your organisation already has a report in progress on this assignment for this period: "
                "continue that one."
            ),
            code="duplicate",
        )
    report = ProgressReport(
        assignment=assignment,
        period=period,
        organisation_id=org,
        author=by,
        state=State.DRAFT,
        text=text.strip(),
        language=language,
        proposed_status=proposed_status,
    )
    report.full_clean()
    report.save()
    audit.record(
        instance=report,
        action="create",
        by=by,
        source=source,
        changes=audit.diff(
            {},
            {
                "assignment": assignment,
                "period": period,
                "organisation": org,
                "state": report.state,
                "text": report.text,
                "language": language,
                "proposed_status": proposed_status,
            },
        ),
        summary=str(report.pk),
    )
    return report


@transaction.atomic
def progress_report_update(
    *,
    report: ProgressReport,
    version: int,
    by,
    source: str = "web",
    text: str | None = None,
    proposed_status: str | None = None,
    language: str | None = None,
) -> ProgressReport:
    """A focal point of the reporting body edits a draft or a returned report (None leaves a field
    as it is). `version` is the one the person saw: if the report changed since, the edit is
    refused ("conflict") rather than silently overwriting someone else's work."""
    _require(
        permissions.can_edit_report(by, report),
        _("Only a focal point of the reporting body may change this report."),
    )
    _lock_report(report)
    _check_editable(report)
    _check_version(report, version)
    before = {"text": report.text, "proposed_status": report.proposed_status, "language": report.language}
    if text is not None:
        report.text = text.strip()
    if proposed_status is not None:
        report.proposed_status = proposed_status
    if language is not None:
        report.language = language
    changes = audit.diff(
        before, {"text": report.text, "proposed_status": report.proposed_status, "language": report.language}
    )
    if not changes:
        return report
    report.full_clean()
    report.version += 1
    report.save()
    audit.record(
        instance=report, action="update", by=by, source=source, changes=changes, summary=str(report.pk)
    )
    return report


@transaction.atomic
def progress_report_submit(
    *, report: ProgressReport, by, source: str = "web", version: int | None = None
) -> ProgressReport:
    """A focal point of the reporting body sends a draft to the coordinator: draft → submitted."""
    _require(
        permissions.can_edit_report(by, report),
        _("Only a focal point of the reporting body may submit this report."),
    )
    _lock_report(report)
    if report.state != State.DRAFT:
        message = _("This report cannot be submitted: it is %(state)s, and only a draft can be submitted.")
        if report.state == State.RETURNED:
            message = _("This report cannot be submitted: it is %(state)s. Resubmit it instead.")
        raise _refuse(report, message)
    _check_version(report, version)
    return _transition(
        report,
        to=State.SUBMITTED,
        action="submit",
        by=by,
        source=source,
        extra={"submitted_at": timezone.now()},
    )


@transaction.atomic
def progress_report_return(
    *, report: ProgressReport, comment: str, by, source: str = "web", version: int | None = None
) -> ProgressReport:
    """A coordinator sends a submitted report back for revision, saying why (the comment is
    required and kept in the report's history): submitted → returned."""
    _require(permissions.can_manage(by), _("Only a coordinator may return a report."))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(
            {
                "comment": ValidationError(
                    _("Say why the report is returned: the comment is required."), code="required"
                )
            }
        )
    _lock_report(report)
    if report.state != State.SUBMITTED:
        raise _refuse(
            report, _("This report cannot be returned: it is %(state)s, and only a submitted report can be.")
        )
    _check_version(report, version)
    return _transition(
        report,
        to=State.RETURNED,
        action="return",
        by=by,
        source=source,
        extra={"coordinator_comment": comment},
    )


@transaction.atomic
def progress_report_resubmit(
    *, report: ProgressReport, by, source: str = "web", version: int | None = None
) -> ProgressReport:
    """A focal point of the reporting body sends a revised report back: returned → submitted."""
    _require(
        permissions.can_edit_report(by, report),
        _("Only a focal point of the reporting body may resubmit this report."),
    )
    _lock_report(report)
    if report.state != State.RETURNED:
        raise _refuse(
            report,
            _(
                "This report cannot be resubmitted: it is %(state)s, and only a report returned for "
                "revision can be."
            ),
        )
    _check_version(report, version)
    return _transition(
        report,
        to=State.SUBMITTED,
        action="resubmit",
        by=by,
        source=source,
        extra={"submitted_at": timezone.now()},
    )


def _set_status_from(report: ProgressReport, *, by, source: str) -> list[Recommendation]:
    """The state's implementation status of a recommendation is the proposed status of its latest
    validated report; for a cluster, of every recommendation in it. Each change is recorded in the
    recommendation's history."""
    assignment = report.assignment
    if assignment.recommendation_id:
        targets = Recommendation.objects.filter(pk=assignment.recommendation_id)
    else:
        targets = Recommendation.objects.filter(clusters=assignment.cluster_id)
    # `of`: PostgreSQL cannot lock the nullable side of the outer join to the document.
    locked = targets.select_for_update(of=("self",)).select_related("document").order_by("pk")
    return [
        rec
        for rec in locked
        if recommendation_set_status(recommendation=rec, status=report.proposed_status, by=by, source=source)
    ]


@transaction.atomic
def progress_report_validate(
    *, report: ProgressReport, by, source: str = "web", version: int | None = None
) -> ProgressReport:
    """A coordinator accepts a submitted report: submitted → validated. The report is then sealed
    and public; an earlier validated report of the same assignment and period becomes superseded;
    the recommendation's (or the cluster's recommendations') implementation status becomes the
    report's proposed status."""
    _require(permissions.can_manage(by), _("Only a coordinator may validate a report."))
    Assignment.objects.select_for_update().filter(pk=report.assignment_id).first()
    _lock_report(report)
    if report.state != State.SUBMITTED:
        raise _refuse(
            report, _("This report cannot be validated: it is %(state)s, and only a submitted report can be.")
        )
    _check_version(report, version)
    earlier = list(
        ProgressReport.objects.select_for_update()
        .filter(assignment_id=report.assignment_id, period_id=report.period_id, state=State.VALIDATED)
        .exclude(pk=report.pk)
        .order_by("-validated_at", "-pk")
    )
    for old in earlier:
        old.state = State.SUPERSEDED
        old.version += 1
        old.save(update_fields=["state", "version", "updated"])
        audit.record(
            instance=old,
            action="supersede",
            by=by,
            source=source,
            changes={"state": [State.VALIDATED, State.SUPERSEDED], "superseded_by": [None, report.pk]},
            summary=str(old.pk),
        )
    _transition(
        report,
        to=State.VALIDATED,
        action="validate",
        by=by,
        source=source,
        extra={
            "validated_at": timezone.now(),
            "validated_by": by if getattr(by, "pk", None) else None,
            "supersedes": earlier[0] if earlier else None,
        },
    )
    _set_status_from(report, by=by, source=source)
    return report


# --- Evidence -----------------------------------------------------------------------------------


def _check_file(file) -> str:
    """The file's extension, once its name, size and content say it is an accepted document."""
    try:
        return uploads.check(
            file,
            kind="evidence",
            extensions=uploads.EVIDENCE_EXTENSIONS,
            describe_types=_(
                "Files of this type cannot be attached. Attach a PDF, an image (PNG, JPEG, GIF, "
                "WebP, TIFF) or an office document (Word, Excel, PowerPoint, OpenDocument, RTF)."
            ),
        )
    except ValidationError as refused:
        raise ValidationError({"file": refused}) from None


def _check_link(url: str) -> str:
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            {"url": ValidationError(_("Enter a link that starts with http:// or https://."), code="invalid")}
        ) from None
    if len(url) > Evidence._meta.get_field("url").max_length:
        raise ValidationError({"url": ValidationError(_("This link is too long."), code="max_length")})
    return url


def _create_evidence(
    *, report=None, assessment=None, url="", file=None, description="", by, source
) -> Evidence:
    if bool(url) == (file is not None):
        raise ValidationError(_("Give either a file or a link."), code="file_or_link")
    evidence = Evidence(
        report=report,
        assessment=assessment,
        description=(description or "").strip(),
        added_by=by if getattr(by, "pk", None) else None,
    )
    stored = ""
    if file is not None:
        extension = _check_file(file)
        try:
            clean = uploads.strip_metadata(file, extension)
        except ValidationError as refused:
            raise ValidationError({"file": refused}) from None
        # A generated name: the uploader's file name is kept only as data, never on disk or in a URL.
        evidence.filename = uploads.display_name(getattr(file, "name", ""), extension, "evidence")
        with clean:
            stored = default_storage.save(
                evidence.file.field.generate_filename(evidence, f"{uuid.uuid4().hex}.{extension}"), clean
            )
        evidence.file.name = stored
    else:
        evidence.url = _check_link(url)
    try:
        evidence.full_clean()
        evidence.save()
    except Exception:
        if stored:
            default_storage.delete(stored)
        raise
    audit.record(
        instance=evidence,
        action="create",
        by=by,
        source=source,
        changes=audit.diff(
            {},
            {
                "report": report,
                "assessment": assessment,
                "url": evidence.url,
                "file": evidence.file.name or "",
                "description": evidence.description,
            },
        ),
        summary=evidence.description[:255],
    )
    return evidence


@transaction.atomic
def evidence_add(
    *,
    report: ProgressReport | None = None,
    assessment: Assessment | None = None,
    url: str = "",
    file=None,
    description: str = "",
    by,
    source: str = "web",
) -> Evidence:
    """Attach a link or a file to a report (its reporting body, while the report is a draft or
    returned) or to an assessment (its organisation). Files: PDF, images and office documents
    only, recognised by extension and by content, at most ADOLAT_MAX_EVIDENCE_SIZE, stored without
    their metadata under a generated name."""
    if (report is None) == (assessment is None):
        raise ValidationError(
            _("Evidence belongs to one report or one assessment."), code="report_or_assessment"
        )
    if report is not None:
        _require(
            permissions.can_edit_report(by, report),
            _("Only a focal point of the reporting body may add evidence to this report."),
        )
        _lock_report(report)
        _check_editable(report)
    else:
        _require(
            permissions.can_edit_assessment(by, assessment),
            _("Only the organisation that published this assessment may add evidence to it."),
        )
    return _create_evidence(
        report=report,
        assessment=assessment,
        url=url,
        file=file,
        description=description,
        by=by,
        source=source,
    )


# --- Civil society's assessments ----------------------------------------------------------------


@transaction.atomic
def assessment_create(
    *,
    recommendation: Recommendation,
    rating: str,
    reasoning: str,
    language: str = "tg",
    organisation: Organisation | None = None,
    links: Iterable[tuple[str, str]] = (),
    by,
    source: str = "web",
) -> Assessment:
    """A civil-society contributor publishes their organisation's independent assessment of a
    published recommendation: a rating on the implementation-status scale, the reasoning and links
    to evidence ((url, description) pairs). Published at once, without anyone's approval."""
    _require(
        permissions.can_assess(by),
        _("Only civil-society contributors may publish an independent assessment."),
    )
    if not recommendation.is_published:
        raise ValidationError(
            {
                "recommendation": ValidationError(
                    _("Only a published recommendation can be assessed."), code="unpublished"
                )
            }
        )
    org = _choose_organisation(
        permissions.cso_organisations(by),
        organisation,
        not_member=_("You are not a civil-society contributor of this organisation."),
    )
    assessment = Assessment(
        recommendation=recommendation,
        organisation_id=org,
        author=by,
        rating=rating,
        reasoning=(reasoning or "").strip(),
        language=language,
        is_published=True,
    )
    assessment.full_clean()
    assessment.save()
    audit.record(
        instance=assessment,
        action="create",
        by=by,
        source=source,
        changes=audit.diff(
            {},
            {
                "recommendation": recommendation,
                "organisation": org,
                "rating": rating,
                "reasoning": assessment.reasoning,
                "language": language,
                "is_published": True,
            },
        ),
        summary=str(recommendation.pk),
    )
    for url, description in links:
        _create_evidence(assessment=assessment, url=url, description=description, by=by, source=source)
    _keep_cso_rating(recommendation.pk)
    return assessment


def _keep_cso_rating(recommendation_id: int) -> None:
    """The recommendation's copy of civil society's latest published rating, after an assessment
    was published, revised or withdrawn."""
    latest = (
        Assessment.objects.filter(recommendation_id=recommendation_id, is_published=True)
        .order_by("-created", "-pk")
        .values_list("rating", flat=True)
        .first()
    )
    recommendation_set_cso_rating(recommendation_id=recommendation_id, rating=latest or "")


@transaction.atomic
def assessment_update(
    *,
    assessment: Assessment,
    by,
    source: str = "web",
    rating: str | None = None,
    reasoning: str | None = None,
    language: str | None = None,
    is_published: bool | None = None,
) -> dict:
    """The author's organisation revises or withdraws (`is_published=False`) its assessment; None
    leaves a field as it is. Nobody else can, coordinators included. Returns the changes."""
    _require(
        permissions.can_edit_assessment(by, assessment),
        _("Only the organisation that published this assessment may change it."),
    )
    assessment.refresh_from_db(from_queryset=Assessment.objects.select_for_update())
    fields = ("rating", "reasoning", "language", "is_published")
    before = {name: getattr(assessment, name) for name in fields}
    for name, value in zip(fields, (rating, reasoning, language, is_published), strict=True):
        if value is not None:
            setattr(assessment, name, value.strip() if isinstance(value, str) else value)
    changes = audit.diff(before, {name: getattr(assessment, name) for name in fields})
    if not changes:
        return {}
    assessment.full_clean()
    assessment.save()
    audit.record(instance=assessment, action="update", by=by, source=source, changes=changes)
    _keep_cso_rating(assessment.recommendation_id)
    return changes


@transaction.atomic
def assessment_reply_create(
    *,
    assessment: Assessment,
    text: str,
    organisation: Organisation | None = None,
    by,
    source: str = "web",
) -> AssessmentReply:
    """The state's side (coordinators, focal points) answers a published assessment, under their
    organisation's name. The assessment itself stays as its authors wrote it."""
    _require(
        permissions.can_reply(by),
        _("Only coordinators and focal points of state bodies may reply to an assessment."),
    )
    if not assessment.is_published:
        raise ValidationError(_("Only a published assessment can be answered."), code="unpublished")
    org = _choose_organisation(
        permissions.reply_organisations(by),
        organisation,
        not_member=_("You cannot reply on behalf of this organisation."),
    )
    reply = AssessmentReply(assessment=assessment, organisation_id=org, author=by, text=(text or "").strip())
    reply.full_clean()
    reply.save()
    audit.record(
        instance=reply,
        action="create",
        by=by,
        source=source,
        changes=audit.diff({}, {"assessment": assessment, "organisation": org, "text": reply.text}),
        summary=str(assessment.pk),
    )
    return reply
