"""Imports through the web, for coordinators: upload, check (a preview of what would change and
every error), confirm, then follow the progress; the history keeps every import's summary."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from adolat.lib.pagination import page_window, paginate

from . import permissions, services
from .forms import ImportUploadForm
from .importers.near_matches import near_match_confirm, near_match_dismiss, pending_near_matches
from .models import ImportRun
from .tasks import progress_of


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    if not permissions.can_import(request.user):
        raise PermissionDenied
    form = ImportUploadForm()
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = services.import_run_create(
                    upload=data["file"],
                    country=data["country"],
                    format=data["format"],
                    options={
                        "document": data["document"].strip(),
                        "mapping": data["mapping"],
                        "skip_invalid": data["skip_invalid"],
                        "publish": data["publish"],
                    },
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                return redirect("recommendations:import-detail", pk=run.pk)
    page = paginate(ImportRun.objects.select_related("created_by", "country"), request.GET, per_page=20)
    return render(
        request,
        "recommendations/imports/list.html",
        {"form": form, "page": page, "page_links": page_window(page)},
        status=400 if form.errors else 200,
    )


@login_required
def import_detail(request, pk: int):
    run = permissions.get_import_run_for_user(request.user, pk)
    done, total = progress_of(run)
    context = {
        "run": run,
        "done": done,
        "total": total,
        "percent": int(100 * done / total) if total else 0,
        "summary": run.result or run.preview,
    }
    if request.htmx and run.is_running:
        return render(request, "recommendations/imports/detail.html#progress", context)
    response = render(request, "recommendations/imports/detail.html", context)
    if request.htmx:
        # The work has finished: reload the whole page to show its summary.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_confirm(request, pk: int):
    run = permissions.get_import_run_for_user(request.user, pk)
    try:
        services.import_run_confirm(run=run, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("recommendations:import-detail", pk=run.pk)


@login_required
@require_POST
def import_cancel(request, pk: int):
    run = permissions.get_import_run_for_user(request.user, pk)
    try:
        services.import_run_cancel(run=run, by=request.user)
        messages.success(request, _("The import was cancelled; nothing was imported."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("recommendations:import-list")


@login_required
def near_match_list(request):
    """Recommendations an import found close to stored ones: the coordinator decides whether they
    are the same (merge) or different (keep both)."""
    if not permissions.can_import(request.user):
        raise PermissionDenied
    page = paginate(
        pending_near_matches().select_related("recommendation__document", "existing__document"),
        request.GET,
        per_page=20,
    )
    return render(
        request, "recommendations/imports/near_matches.html", {"page": page, "page_links": page_window(page)}
    )


@login_required
@require_POST
def near_match_decide(request, pk: int):
    if not permissions.can_import(request.user):
        raise PermissionDenied
    near_match = pending_near_matches().filter(pk=pk).first()
    if near_match is None:
        raise Http404
    try:
        if request.POST.get("decision") == "merge":
            near_match_confirm(
                near_match=near_match, by=request.user, take_text=request.POST.get("text") == "new"
            )
            messages.success(request, _("The two records were merged into one recommendation."))
        elif request.POST.get("decision") == "different":
            near_match_dismiss(near_match=near_match, by=request.user)
            messages.success(request, _("Both recommendations were kept as different ones."))
        else:
            messages.error(
                request, _("Choose whether the two are the same recommendation or different ones.")
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("recommendations:near-matches")
