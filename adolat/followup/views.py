"""Pages of the follow-up: my work, the inbox, assigning, reporting periods, progress reports
with their review, evidence, and civil society's assessments with the replies to them.

Thin views: each reads through the selectors and gates (adolat.followup.permissions) and writes
through the services, which hold every rule. A role that may never take an action gets 403; an
object that is missing or not the person's gets the same 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from adolat.lib import concurrency, uploads
from adolat.lib.pagination import page_window, paginate
from adolat.recommendations.selectors import get_recommendation_for_user

from . import permissions, reminders, selectors, services
from .forms import (
    AssessmentForm,
    AssignmentForm,
    EvidenceForm,
    ProgressReportEditForm,
    ProgressReportForm,
    ReplyForm,
    ReportingPeriodForm,
    ReturnForm,
    VersionForm,
    add_service_error,
)
from .models import Notification, ProgressReport

State = ProgressReport.State
GET_POST = require_http_methods(["GET", "POST"])


def _data(request):
    """The submitted data, or None for a blank form (an empty POST is still a submission)."""
    return request.POST if request.method == "POST" else None


def _need(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _recommendation_url(assignment) -> str:
    if assignment.recommendation_id:
        return reverse("recommendations:detail", args=[assignment.recommendation_id])
    return reverse("followup:my-work")


def _is_conflict(error: ValidationError) -> bool:
    return not hasattr(error, "error_dict") and any(e.code == "conflict" for e in error.error_list)


# --- My work and the inbox ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def my_work(request: HttpRequest) -> HttpResponse:
    work = selectors.my_work(request.user)
    return render(
        request,
        "followup/my_work.html",
        {
            "work": work,
            "is_focal_point": bool(permissions.focal_point_organisations(request.user)),
            "is_coordinator": permissions.is_coordinator(request.user),
        },
    )


@login_required
@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    page = paginate(request.user.notifications.order_by("-created", "-pk"), request.GET, per_page=25)
    return render(request, "followup/inbox.html", {"page": page, "page_links": page_window(page)})


@require_POST
@login_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    # Another person's notification is a 404, like a missing one.
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    reminders.notification_mark_read(notification=note, by=request.user)
    if request.POST.get("open") and url_has_allowed_host_and_scheme(note.url, allowed_hosts=None):
        return redirect(note.url)
    if request.htmx:
        # htmx swaps the one item in place; without JavaScript the inbox is shown again.
        return render(request, "followup/inbox.html#notification", {"n": note})
    return redirect("followup:inbox")


@require_POST
@login_required
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    reminders.notification_mark_all_read(by=request.user)
    messages.success(request, _("All notifications are marked as read."))
    return redirect("followup:inbox")


# --- Organising: assignments and the reporting calendar -----------------------------------------


@login_required
@GET_POST
def assignment_create(request: HttpRequest, pk: int) -> HttpResponse:
    _need(permissions.can_manage(request.user))
    rec = get_recommendation_for_user(request.user, pk)
    form = AssignmentForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_create(recommendation=rec, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            add_service_error(form, e)
        else:
            messages.success(request, _("The recommendation is assigned."))
            return redirect("recommendations:detail", pk=rec.pk)
    return render(request, "followup/assignment_form.html", {"rec": rec, "form": form})


@login_required
@GET_POST
def period_list(request: HttpRequest) -> HttpResponse:
    _need(permissions.can_manage(request.user))
    form = ReportingPeriodForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.reporting_period_create(by=request.user, **form.cleaned_data)
        except ValidationError as e:
            add_service_error(form, e)
        else:
            messages.success(request, _("The reporting period is added."))
            return redirect("followup:periods")
    return render(
        request, "followup/periods.html", {"periods": selectors.reporting_period_list(), "form": form}
    )


# --- Progress reports ---------------------------------------------------------------------------


@login_required
@GET_POST
def report_create(request: HttpRequest, pk: int) -> HttpResponse:
    _need(bool(permissions.focal_point_organisations(request.user)))
    assignment = permissions.get_assignment_for_user(request.user, pk)
    organisations = permissions.reporting_organisations(request.user, assignment)
    if not organisations:
        raise Http404  # another body's assignment: as if it did not exist
    form = ProgressReportForm(
        _data(request), organisations=organisations, initial={"period": request.GET.get("period")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            report = services.progress_report_create(
                assignment=assignment, by=request.user, **form.cleaned_data
            )
        except ValidationError as e:
            add_service_error(form, e)
        else:
            messages.success(request, _("Your draft report is saved. Add evidence, then submit it."))
            return redirect("followup:report-detail", pk=report.pk)
    return render(request, "followup/report_form.html", {"assignment": assignment, "form": form})


def _report_context(request, report, **extra) -> dict:
    user = request.user
    editable = report.state in (State.DRAFT, State.RETURNED) and permissions.can_edit_report(user, report)
    reviewable = report.state == State.SUBMITTED and permissions.can_manage(user)
    return {
        "report": report,
        "assignment": report.assignment,
        "evidence": list(report.evidence.all()),
        "sees_workflow": permissions.sees_report_workflow(user, report),
        "can_edit": editable,
        "can_submit": editable and report.state == State.DRAFT,
        "can_resubmit": editable and report.state == State.RETURNED,
        "can_review": reviewable,
        "version_form": VersionForm(initial={"version": report.version}),
        "return_form": extra.pop("return_form", None) or ReturnForm(initial={"version": report.version}),
        "evidence_form": extra.pop("evidence_form", None) or EvidenceForm(),
        "back": _recommendation_url(report.assignment),
        **extra,
    }


@require_http_methods(["GET"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A report; validated reports are public, the rest only for the state's side (the gate)."""
    report = permissions.get_report_for_user(request.user, pk)
    return render(request, "followup/report_detail.html", _report_context(request, report))


def _editable_report(request, pk) -> ProgressReport:
    """The report a focal point works on: 403 for people who never write reports, 404 for a
    report that is not theirs."""
    _need(bool(permissions.focal_point_organisations(request.user)))
    report = permissions.get_report_for_user(request.user, pk, write=True)
    _need(permissions.can_edit_report(request.user, report))
    return report


@login_required
@GET_POST
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _editable_report(request, pk)
    if request.method == "POST":
        form = ProgressReportEditForm(request.POST)
        if form.is_valid():
            try:
                services.progress_report_update(report=report, by=request.user, **form.cleaned_data)
            except ValidationError as e:
                if _is_conflict(e):
                    return _report_conflict(request, report, form)
                add_service_error(form, e)
            else:
                messages.success(request, _("Your changes are saved."))
                return redirect("followup:report-detail", pk=report.pk)
    else:
        form = ProgressReportEditForm(
            initial={
                "text": report.text,
                "proposed_status": report.proposed_status,
                "language": report.language,
                "version": report.version,
            }
        )
    return render(
        request,
        "followup/report_edit.html",
        {"report": report, "form": form, "evidence_form": EvidenceForm()},
    )


def _report_conflict(request, report: ProgressReport, form: ProgressReportEditForm) -> HttpResponse:
    """Someone changed the report since this person opened it: show both versions (409); the
    service has reloaded `report` as it is now."""
    seen = form.cleaned_data["version"]
    entries = concurrency.entries_since(report, count=report.version - seen)
    current = {name: getattr(report, name) for name in ("text", "proposed_status", "language")}
    rows = concurrency.differences(form, current, changed=concurrency.changed_fields(entries))
    again = ProgressReportEditForm(initial={**form.cleaned_data, "version": report.version})
    url = reverse("followup:report-edit", args=[report.pk])
    return concurrency.conflict_page(
        request,
        title=_("Edit the progress report"),
        form=again,
        rows=rows,
        entries=entries,
        model=ProgressReport,
        action_url=url,
        reload_url=url,
        back_url=reverse("followup:report-detail", args=[report.pk]),
    )


def _step(request, report, service, success: str, **kwargs) -> HttpResponse:
    """One step of the workflow taken on the version the person saw; a refusal (an illegal step,
    a stale version) comes back as a message on the report's page."""
    form = VersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    try:
        service(report=report, by=request.user, version=version, **kwargs)
    except ValidationError as e:
        for message in e.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("followup:report-detail", pk=report.pk)


@require_POST
@login_required
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _editable_report(request, pk)
    return _step(
        request, report, services.progress_report_submit, _("The report is submitted to the coordinator.")
    )


@require_POST
@login_required
def report_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _editable_report(request, pk)
    return _step(
        request, report, services.progress_report_resubmit, _("The revised report is submitted again.")
    )


def _reviewable_report(request, pk) -> ProgressReport:
    _need(permissions.can_manage(request.user))
    return permissions.get_report_for_user(request.user, pk, write=True)


@login_required
@GET_POST
def report_return(request: HttpRequest, pk: int) -> HttpResponse:
    report = _reviewable_report(request, pk)
    form = ReturnForm(_data(request), initial={"version": report.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.progress_report_return(
                report=report,
                by=request.user,
                comment=form.cleaned_data["comment"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as e:
            add_service_error(form, e)
        else:
            messages.success(request, _("The report is returned to its authors with your comment."))
            return redirect("followup:report-detail", pk=report.pk)
    return render(
        request,
        "followup/report_detail.html",
        _report_context(request, report, return_form=form, focus_return=True),
        status=400 if request.method == "POST" else 200,
    )


@login_required
@GET_POST
def report_validate(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (a validated report is sealed); POST validates."""
    report = _reviewable_report(request, pk)
    if request.method == "POST":
        return _step(
            request,
            report,
            services.progress_report_validate,
            _("The report is validated; the implementation status is updated."),
        )
    return render(
        request,
        "followup/report_validate.html",
        {"report": report, "form": VersionForm(initial={"version": report.version})},
    )


@require_http_methods(["GET"])
def evidence_file(request: HttpRequest, pk: int) -> HttpResponse:
    """An attached file, as a download, for whoever may see its report or assessment."""
    evidence = permissions.get_evidence_file_for_user(request.user, pk)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    extension = uploads.extension_of(evidence.file.name)
    return uploads.attachment_response(
        handle, extension=extension, filename=uploads.display_name(evidence.filename, extension, "evidence")
    )


@require_POST
@login_required
def evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    report = _editable_report(request, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.evidence_add(
                report=report,
                by=request.user,
                url=form.cleaned_data["url"],
                file=form.cleaned_data["file"] or None,
                description=form.cleaned_data["description"],
            )
        except ValidationError as e:
            add_service_error(form, e)
        else:
            messages.success(request, _("The evidence is attached."))
            return redirect("followup:report-detail", pk=report.pk)
    return render(
        request,
        "followup/report_detail.html",
        _report_context(request, report, evidence_form=form),
        status=400,
    )


# --- Civil society's assessments ----------------------------------------------------------------


@login_required
@GET_POST
def assessment_create(request: HttpRequest, pk: int) -> HttpResponse:
    _need(permissions.can_assess(request.user))
    rec = get_recommendation_for_user(request.user, pk)
    organisations = sorted(permissions.cso_organisations(request.user))
    form = AssessmentForm(_data(request), organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_create(recommendation=rec, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            add_service_error(form, e)
        else:
            messages.success(request, _("Your assessment is published."))
            return redirect("recommendations:detail", pk=rec.pk)
    return render(request, "followup/assessment_form.html", {"rec": rec, "form": form})


@login_required
@GET_POST
def assessment_reply(request: HttpRequest, pk: int) -> HttpResponse:
    _need(permissions.can_reply(request.user))
    assessment = permissions.get_assessment_for_user(request.user, pk)
    organisations = sorted(permissions.reply_organisations(request.user))
    form = ReplyForm(_data(request), organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_reply_create(assessment=assessment, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            add_service_error(form, e)
        else:
            messages.success(request, _("Your reply is published under the assessment."))
            return redirect("recommendations:detail", pk=assessment.recommendation_id)
    return render(request, "followup/reply_form.html", {"assessment": assessment, "form": form})
