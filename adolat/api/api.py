"""API v1: read endpoints over recommendations and their vocabularies.

Endpoints are thin: they call the selectors the pages use (the same search, filters, order and
visibility gate), and shape the result with the explicit schemas of `schemas.py`. Every error is
`{"detail": "...", "errors": [...]}` (schemas.Error), in the language of the request.

No documentation page is served: ninja's Swagger UI loads its scripts from a CDN, and every
script of Adolat must come from Adolat itself. The OpenAPI document is at `openapi.json`.
"""

from typing import Annotated

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field, NinjaAPI, Path, Query
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser

from adolat.recommendations import selectors
from adolat.recommendations.models import (
    AffectedGroup,
    Country,
    Mechanism,
    SdgGoal,
    SdgTarget,
    SourceDocument,
    Theme,
)

from . import auth
from .pagination import PageNotFound
from .pagination import paginate as _paginate
from .schemas import (
    MAX_ID,
    AffectedGroupOut,
    CountryOut,
    DocumentPage,
    Error,
    MechanismPage,
    Pagination,
    RecommendationFilters,
    RecommendationOut,
    RecommendationPage,
    SdgGoalOut,
    ThemeOut,
)

DESCRIPTION = """\
Recommendations made to the state by international human-rights mechanisms, with their
implementation status, and the vocabularies they are tagged with.

Anyone may read published recommendations. With `Authorization: Bearer <token>` (a personal token
from the account page) or a signed-in browser session, coordinators and administrators also see
those not yet published. A token that is not valid or has been revoked is refused with 401.

Texts are given in every language: Tajik (`tg`), Russian (`ru`) and English (`en`); an empty
string means there is no text in that language. Error messages follow `Accept-Language`.
"""


class StrictQueryParser(Parser):
    """ninja keeps the last of repeated values of a single-valued parameter; hand the whole list
    over instead, so `?page=1&page=2` is refused rather than half-read."""

    def parse_querydict(self, data, list_fields, request):
        result = {}
        for key in data:
            values = data.getlist(key)
            result[key] = values if key in list_fields or len(values) > 1 else values[-1]
        return result


class AdolatAPI(NinjaAPI):
    """ninja, with validation errors worded for people rather than as pydantic's records."""

    def validation_error_from_error_contexts(self, error_contexts) -> ValidationError:
        """One translated sentence per rejected value, naming the parameter and the value; for
        filters the sentence is the one the pages (selectors.parse_filters) use."""
        messages = []
        for context in error_contexts:
            for error in context.pydantic_validation_error.errors(include_url=False):
                names = [part for part in error["loc"] if isinstance(part, str)]
                messages.append(_invalid_value_message(names[-1] if names else "", error))
        return ValidationError(list(dict.fromkeys(messages)))


def _invalid_value_message(name: str, error: dict) -> str:
    value = error.get("input")
    if error.get("type") == "missing":
        return _("The parameter “%(parameter)s” is required.") % {"parameter": name}
    if isinstance(value, list):
        return _("The parameter “%(parameter)s” may be given only once.") % {"parameter": name}
    if name == "sort":
        return _("“%(value)s” is not a valid sort order.") % {"value": value}
    if name in selectors.Filters.FACETS:
        return _("“%(value)s” is not a valid value for the filter “%(filter)s”.") % {
            "value": value,
            "filter": name,
        }
    return _("“%(value)s” is not a valid value for the parameter “%(parameter)s”.") % {
        "value": value,
        "parameter": name,
    }


api = AdolatAPI(
    title="Adolat API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs_url=None,
    parser=StrictQueryParser(),
    auth=auth.READ,
)


# --- Errors -------------------------------------------------------------------------------------


def _error(request, status: int, detail: str, errors: list[str] | None = None) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(ValidationError)
def _invalid_parameters(request, exc: ValidationError) -> HttpResponse:
    # 400 rather than ninja's 422: a value the schema refuses and a code that names nothing are
    # the same mistake to the caller, and the filters already answer the latter with 400.
    return _error(request, 400, " ".join(exc.errors), exc.errors)


@api.exception_handler(selectors.InvalidFilter)
def _invalid_filters(request, exc: selectors.InvalidFilter) -> HttpResponse:
    return _error(request, 400, " ".join(exc.errors), exc.errors)


@api.exception_handler(Http404)
def _not_found(request, exc: Http404) -> HttpResponse:
    # One body for "does not exist" and "not visible to you", so ids reveal nothing.
    return _error(request, 404, _("Not found."))


@api.exception_handler(PageNotFound)
def _page_not_found(request, exc: PageNotFound) -> HttpResponse:
    detail = ngettext(
        "There is no page %(page)s: the list has %(pages)s page.",
        "There is no page %(page)s: the list has %(pages)s pages.",
        exc.pages,
    ) % {"page": exc.page, "pages": exc.pages}
    return _error(request, 404, detail)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError) -> HttpResponse:
    if exc.status_code != 401:
        return _error(request, exc.status_code, str(exc))
    # ninja raises a bare AuthenticationError when no method accepted the caller (an endpoint
    # that requires a token); ours carry their own message.
    detail = str(exc) if isinstance(exc, auth.InvalidToken) else _("Authentication is required.")
    response = _error(request, 401, detail)
    response["WWW-Authenticate"] = (
        'Bearer realm="adolat", error="invalid_token"'
        if isinstance(exc, auth.InvalidToken)
        else 'Bearer realm="adolat"'
    )
    return response


# --- Helpers ------------------------------------------------------------------------------------

PAGINATED_ERRORS = {
    400: "A parameter is malformed, or a code names nothing; `errors` names each value.",
    404: "Past the last page (page 1 of an empty list is an empty page).",
}


def _read(response: dict, errors: dict[int, str] | None = None) -> dict:
    """Options shared by read endpoints: anyone may call them, so credentials are optional (the
    empty security requirement), and credentials that fail are answered with 401. `errors` says
    when each error status happens, for the document."""
    descriptions = {
        401: "The Authorization header does not hold a valid, unrevoked token.",
        **(errors or {}),
    }
    return {
        "response": {**response, 401: Error},
        "openapi_extra": {
            "security": [{}],
            "responses": {status: {"description": text} for status, text in descriptions.items()},
        },
    }


# What a row shows beyond what selectors.recommendation_list already fetches (states, themes,
# mechanism, document, country): one query each per page, codes only.
# As lists (to_attr, see selectors.recommendation_list), read by RecommendationOut.
LIST_PREFETCH = (
    Prefetch("affected_groups", queryset=AffectedGroup.objects.only("code"), to_attr="listed_groups"),
    Prefetch("sdg_goals", queryset=SdgGoal.objects.only("number"), to_attr="listed_goals"),
    Prefetch(
        "sdg_targets",
        queryset=SdgTarget.objects.only("code", "goal_id", "sort_order"),
        to_attr="listed_targets",
    ),
)


# --- Recommendations ----------------------------------------------------------------------------


@api.get(
    "/recommendations",
    operation_id="listRecommendations",
    summary="Search and filter recommendations",
    tags=["recommendations"],
    **_read({200: RecommendationPage, 400: Error, 404: Error}, PAGINATED_ERRORS),
)
def list_recommendations(request, params: Query[RecommendationFilters]):
    """The search, filters and order of the recommendation pages. Unpublished recommendations are
    listed for coordinators and administrators only."""
    # `params` validates and documents the query; the filtering itself reads the raw query through
    # the parser the pages use, so the API and the pages cannot disagree on what a filter means.
    filters = selectors.parse_filters(request.GET)
    queryset = selectors.recommendation_list(user=request.auth, filters=filters).prefetch_related(
        *LIST_PREFETCH
    )
    paginator = selectors.recommendation_paginator(
        queryset, params.page_size, user=request.auth, filters=filters
    )
    return _paginate(request, queryset, params.page, params.page_size, paginator=paginator)


@api.get(
    "/recommendations/{id}",
    operation_id="getRecommendation",
    summary="One recommendation",
    tags=["recommendations"],
    **_read(
        {200: RecommendationOut, 400: Error, 404: Error},
        {
            400: "The id is not a positive whole number.",
            404: "No recommendation with this id is visible to the caller.",
        },
    ),
)
def get_recommendation(request, id: Path[Annotated[int, Field(ge=1, le=MAX_ID)]]):
    """A recommendation the caller may see; the same 404 whether it does not exist or is not
    published yet, so ids reveal nothing."""
    return selectors.get_recommendation_for_user(request.auth, id)


# --- Vocabularies -------------------------------------------------------------------------------


@api.get(
    "/mechanisms",
    operation_id="listMechanisms",
    summary="Mechanisms recommendations come from",
    tags=["vocabularies"],
    **_read({200: MechanismPage, 400: Error, 404: Error}, PAGINATED_ERRORS),
)
def list_mechanisms(request, params: Query[Pagination]):
    return _paginate(request, Mechanism.objects.order_by("sort_order", "code"), params.page, params.page_size)


@api.get(
    "/documents",
    operation_id="listDocuments",
    summary="Source documents and sessions",
    tags=["vocabularies"],
    **_read({200: DocumentPage, 400: Error, 404: Error}, PAGINATED_ERRORS),
)
def list_documents(request, params: Query[Pagination]):
    """Newest first. Documents are public metadata (symbols, sessions), listed whether or not any
    of their recommendations is published."""
    # The model's order (-year, symbol) is not unique; pk makes pages stable.
    documents = SourceDocument.objects.select_related("mechanism").order_by("-year", "symbol", "pk")
    return _paginate(request, documents, params.page, params.page_size)


@api.get(
    "/themes",
    operation_id="listThemes",
    summary="Themes",
    tags=["vocabularies"],
    **_read({200: list[ThemeOut]}),
)
def list_themes(request):
    return Theme.objects.all()


@api.get(
    "/affected-groups",
    operation_id="listAffectedGroups",
    summary="Affected groups",
    tags=["vocabularies"],
    **_read({200: list[AffectedGroupOut]}),
)
def list_affected_groups(request):
    return AffectedGroup.objects.all()


@api.get(
    "/sdg-goals",
    operation_id="listSdgGoals",
    summary="Sustainable Development Goals with their targets",
    tags=["vocabularies"],
    **_read({200: list[SdgGoalOut]}),
)
def list_sdg_goals(request):
    return SdgGoal.objects.prefetch_related("targets")


@api.get(
    "/countries",
    operation_id="listCountries",
    summary="States, by ISO 3166-1 alpha-2 code",
    tags=["vocabularies"],
    **_read({200: list[CountryOut]}),
)
def list_countries(request):
    return Country.objects.all()


# --- Follow-up (adolat/api/followup.py) ---------------------------------------------------------

from .followup import router as followup_router  # noqa: E402 — mounted once `api` exists

api.add_router("", followup_router)
