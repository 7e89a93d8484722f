from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from adolat.accounts.permissions import can_see_unpublished_recommendations
from adolat.lib import audit
from adolat.lib.i18n import current_language
from adolat.lib.pagination import page_size_from, page_window

from . import exports, selectors
from .models import Language, Position, Recommendation, Status

# A recommendation's page shows the latest events of its follow-up and the latest assessments of
# civil society; the whole story is a link away.
TIMELINE_LATEST = 30
ASSESSMENTS_SHOWN = 10


@require_GET
def recommendation_list(request: HttpRequest) -> HttpResponse:
    """The registry: search, facets with counts, sorting and pagination, all in the query string
    so a result can be bookmarked and the page works without JavaScript."""
    errors: list[str] = []
    try:
        filters = selectors.parse_filters(request.GET)
    except selectors.InvalidFilter as exc:
        errors = exc.errors
        filters = selectors.Filters(q=(request.GET.get("q") or "").strip()[:200])
    size = page_size_from(request.GET)
    qs = selectors.recommendation_list(user=request.user, filters=filters)
    selection = selectors.recommendation_selection(user=request.user, filters=filters)
    expanded = request.GET.get("more", "")
    facets = selectors.recommendation_facets(
        user=request.user, filters=filters, selection=selection, expanded=expanded
    )
    # The facets have counted the list already.
    paginator = selectors.RecommendationPaginator(
        qs, size, count=facets.total, selection=selection, user=request.user
    )
    page = paginator.get_page(request.GET.get("page"))
    query = filters.as_query()
    if size != page_size_from({}):
        query.append(("size", str(size)))
    context = {
        "filters": filters,
        "facets": facets,
        "page": page,
        "page_links": page_window(page),
        "query_string": urlencode(query),
        "sorts": [
            ("newest", _sort_label("newest")),
            ("oldest", _sort_label("oldest")),
            ("position", _sort_label("position")),
            ("status", _sort_label("status")),
        ],
        "page_sizes": settings.ADOLAT_PAGE_SIZES,
        "size": size,
        "filter_errors": errors,
        "can_see_unpublished": can_see_unpublished_recommendations(request.user),
    }
    if errors:
        for message in errors:
            messages.error(request, message)
    template = "recommendations/list.html"
    if request.htmx and request.htmx.target == "browser":
        template += "#browser"
    return render(request, template, context, status=400 if errors else 200)


def _sort_label(key: str) -> str:
    return {
        "newest": _("Newest first"),
        "oldest": _("Oldest first"),
        "position": _("By position"),
        "status": _("By status"),
    }[key]


@require_GET
def recommendation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rec = selectors.get_recommendation_for_user(request.user, pk)
    texts = []
    for code, label in (("tg", "Тоҷикӣ"), ("ru", "Русский"), ("en", "English")):
        value = getattr(rec, f"text_{code}")
        if value.strip():
            texts.append(
                {"code": code, "label": label, "text": value, "original": code == rec.original_language}
            )
    show_history = can_see_unpublished_recommendations(request.user)
    # The whole timeline, all assessments: asked for in the address.
    whole = {name: request.GET.get(name) == "all" for name in ("timeline", "assessments")}
    followup = _followup_context(
        request.user, rec, whole_timeline=whole["timeline"], all_assessments=whole["assessments"]
    )
    back = request.GET.get("back", "")
    if not back.startswith(reverse("recommendations:list")):
        back = reverse("recommendations:list")

    def showing(**change) -> str:
        """This page's address with the whole timeline or all assessments shown or not, keeping
        the other choice and the list to go back to."""
        query = [(name, "all") for name, shown in {**whole, **change}.items() if shown]
        if request.GET.get("back") == back:  # a list of this site's
            query.append(("back", back))
        return "?" + urlencode(query)

    followup["showing"] = {
        "timeline_whole": showing(timeline=True),
        "timeline_latest": showing(timeline=False),
        "assessments_all": showing(assessments=True),
        "assessments_latest": showing(assessments=False),
    }
    return render(
        request,
        "recommendations/detail.html",
        {
            "rec": rec,
            "text": rec.text,
            "text_language_name": dict(Language.choices).get(rec.text.language, rec.text.language),
            "texts": texts,
            "history": audit.describe(audit.history(rec)[:50], Recommendation) if show_history else None,
            "back": back,
            "Position": Position,
            "Status": Status,
            **followup,
        },
    )


def _followup_context(user, rec, *, whole_timeline: bool = False, all_assessments: bool = False) -> dict:
    """The follow-up block of a recommendation's page: the state's status beside civil society's
    latest published rating, who answers for it, the latest ASSESSMENTS_SHOWN assessments and the
    timeline (its latest TIMELINE_LATEST events), each in whole when asked for, and what the person
    may do. A fixed number of queries, whatever the length of the story."""
    from adolat.followup import permissions as followup_permissions
    from adolat.followup import selectors as followup_selectors

    assignments = list(followup_selectors.assignment_list(user=user, recommendation=rec))
    assessments = list(followup_selectors.assessment_list(user=user, recommendation=rec))
    latest = next((a for a in assessments if a.is_published), None)
    for a in assignments:
        a.can_report = followup_permissions.can_report_on(user, a)
    if whole_timeline:
        timeline, earlier = followup_selectors.timeline(rec, user), False
    else:
        timeline = followup_selectors.timeline(rec, user, latest=TIMELINE_LATEST + 1)
        earlier = len(timeline) > TIMELINE_LATEST
        timeline = timeline[-TIMELINE_LATEST:]
    return {
        "assignments": assignments,
        "assessments": assessments if all_assessments else assessments[:ASSESSMENTS_SHOWN],
        "assessments_more": 0 if all_assessments else max(0, len(assessments) - ASSESSMENTS_SHOWN),
        "assessments_all": all_assessments,
        "cso_latest": latest,
        "timeline": timeline,
        "timeline_earlier": earlier,
        "timeline_whole": whole_timeline,
        "can_assign": followup_permissions.can_manage(user),
        "can_assess": followup_permissions.can_assess(user) and rec.is_published,
        "can_reply": followup_permissions.can_reply(user),
        "is_member": bool(followup_permissions.memberships(user))
        or followup_permissions.is_coordinator(user),
    }


# --- Exports --------------------------------------------------------------------------------------


@require_GET
@never_cache
def recommendation_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The list page's records, with its filters (the same query string), as a file: CSV, XLSX,
    open-data JSON or the Word matrix. Everyone may export what the list shows them."""
    if fmt not in exports.FORMATS:
        raise Http404
    try:
        filters = selectors.parse_filters(request.GET)
    except selectors.InvalidFilter as exc:
        return HttpResponse("\n".join(exc.errors), status=400, content_type="text/plain; charset=utf-8")
    return exports.http_response(fmt, user=request.user, filters=filters, language=current_language())
