"""Input and output schemas of API v1, one per endpoint.

They are written out rather than derived from the models (no `ModelSchema`) so that a model change
never silently changes the published contract: the OpenAPI document is generated from these
classes and schemathesis checks every response against it.

Texts held per language (`name_tg`, `name_ru`, `name_en`) are published as one object
`{"tg": ..., "ru": ..., "en": ...}` with every language present, empty when there is no text: the
API returns all languages and leaves the fallback choice (adolat.lib.i18n) to the client.
"""

import datetime as dt
from enum import StrEnum
from typing import Annotated

from ninja import Field, Schema

from adolat.recommendations import selectors
from adolat.recommendations.models import Language, Mechanism, Position, Status
from adolat.recommendations.selectors import DEFAULT_SORT, SORTS


def _enum(name: str, values, doc: str) -> type[StrEnum]:
    """A string enum for the OpenAPI document, built from the model's choices so the two cannot
    drift apart."""
    enum = StrEnum(name, {v: v for v in values})
    enum.__doc__ = doc
    return enum


PositionCode = _enum("Position", Position.values, "Position of the state on a recommendation.")
StatusCode = _enum("Status", Status.values, "Implementation status of a recommendation.")
LanguageCode = _enum("Language", Language.values, "Language a recommendation was adopted in.")
MechanismKind = _enum("MechanismKind", Mechanism.Kind.values, "Kind of human-rights mechanism.")
SortOrder = _enum("SortOrder", SORTS, "Order of a list of recommendations.")

# Bounds checked by selectors.parse_filters, stated exactly in the document.
SDG_GOALS = (selectors.SDG_GOALS.start, selectors.SDG_GOALS.stop - 1)
YEARS = (selectors.YEARS.start, selectors.YEARS.stop - 1)
MAX_ID = 2**63 - 1  # ids are 64-bit; a larger number can name nothing

# No NUL character: PostgreSQL cannot store or compare one in a text value, so a code or a search
# holding one could only fail; it is refused with the other malformed values (400).
NO_NUL = r"^[^\x00]*$"
Code = Annotated[str, Field(pattern=NO_NUL)]

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100


def _names(obj, field: str) -> dict[str, str]:
    return {code: getattr(obj, f"{field}_{code}", "") or "" for code in Language.values}


# --- Shared pieces ------------------------------------------------------------------------------


class Texts(Schema):
    """One text in each language; an empty string where there is none."""

    tg: str
    ru: str
    en: str


class Error(Schema):
    """Every error answer. `detail` is one sentence in the language of the request
    (Accept-Language); `errors` names each rejected value, empty when there is nothing to name."""

    detail: str
    errors: list[str]


class Pagination(Schema):
    """Which page of a list to return."""

    page: int = Field(1, ge=1, description="Page number, from 1.")
    page_size: int = Field(
        PAGE_SIZE_DEFAULT,
        ge=1,
        le=PAGE_SIZE_MAX,
        description=f"Items per page, at most {PAGE_SIZE_MAX}.",
    )


class PageMeta(Schema):
    count: int = Field(description="Number of items on all pages.")
    page: int
    page_size: int
    pages: int = Field(description="Number of pages (1 when there is nothing to list).")
    next: str | None = Field(description="Absolute URL of the next page; null on the last page.")
    previous: str | None = Field(description="Absolute URL of the previous page; null on the first page.")


# --- Vocabularies -------------------------------------------------------------------------------


class VocabularyItem(Schema):
    code: str
    names: Texts

    @staticmethod
    def resolve_names(obj) -> dict[str, str]:
        return _names(obj, "name")


class CountryOut(VocabularyItem):
    """A state, by its ISO 3166-1 alpha-2 code."""


class ThemeOut(VocabularyItem):
    pass


class AffectedGroupOut(VocabularyItem):
    pass


class MechanismOut(VocabularyItem):
    kind: MechanismKind


class MechanismPage(PageMeta):
    results: list[MechanismOut]


class SdgTargetOut(Schema):
    code: str
    title: Texts

    @staticmethod
    def resolve_title(obj) -> dict[str, str]:
        return _names(obj, "title")


class SdgGoalOut(Schema):
    number: int
    title: Texts
    short_title: Texts
    targets: list[SdgTargetOut]

    @staticmethod
    def resolve_title(obj) -> dict[str, str]:
        return _names(obj, "title")

    @staticmethod
    def resolve_short_title(obj) -> dict[str, str]:
        return _names(obj, "short")

    @staticmethod
    def resolve_targets(obj) -> list:
        return list(obj.targets.all())


# --- Source documents ---------------------------------------------------------------------------


class DocumentRef(Schema):
    """A source document as a recommendation cites it."""

    id: int
    symbol: str = Field(description="UN symbol, e.g. A/HRC/19/3; empty for a session without one.")
    session: str
    cycle: int | None = Field(description="UPR cycle.")
    year: int | None
    title: Texts

    @staticmethod
    def resolve_title(obj) -> dict[str, str]:
        return _names(obj, "title")


class DocumentOut(DocumentRef):
    mechanism: str = Field(description="Mechanism code.")
    country: str = Field(description="State under review, ISO code.")
    date: dt.date | None

    @staticmethod
    def resolve_mechanism(obj) -> str:
        return obj.mechanism.code

    @staticmethod
    def resolve_country(obj) -> str:
        return obj.country_id


class DocumentPage(PageMeta):
    results: list[DocumentOut]


# --- Recommendations ----------------------------------------------------------------------------


class RecommendationFilters(Pagination):
    """The search, filters and sort order of the recommendation pages, by the same names. Values of
    one filter are alternatives (repeat the parameter: `?theme=a&theme=b`); filters combine.

    Codes that name nothing (a theme, a state, a document that does not exist) are answered with
    400 and a message naming each of them."""

    q: str = Field(
        "",
        pattern=NO_NUL,
        description="Words to search for in every language; each word matches as a prefix. "
        "Tajik letters match their Russian-keyboard spelling (ҳ/х, қ/к, ҷ/ч, ғ/г, ӣ/и, ӯ/у).",
    )
    mechanism: list[Code] = Field([], description="Mechanism code (see /mechanisms).")
    document: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        [], description="Source document id (see /documents)."
    )
    theme: list[Code] = Field([], description="Theme code (see /themes).")
    group: list[Code] = Field([], description="Affected group code (see /affected-groups).")
    sdg: list[Annotated[int, Field(ge=SDG_GOALS[0], le=SDG_GOALS[1])]] = Field(
        [], description="SDG goal number."
    )
    position: list[PositionCode] = Field([], description="Position of the state.")
    status: list[StatusCode] = Field([], description="Implementation status.")
    year: list[Annotated[int, Field(ge=YEARS[0], le=YEARS[1])]] = Field([], description="Year.")
    state: list[Code] = Field([], description="Recommending state, ISO 3166-1 alpha-2 code.")
    country: list[Code] = Field([], description="State under review, ISO 3166-1 alpha-2 code.")
    sort: SortOrder = Field(SortOrder(DEFAULT_SORT), description="Order of the results.")


class RecommendationOut(Schema):
    id: int
    reference: str = Field(description="Symbol and paragraph, e.g. “A/HRC/19/3, para. 88.1”.")
    country: str = Field(description="State under review, ISO code.")
    mechanism: str = Field(description="Mechanism code.")
    document: DocumentRef | None
    paragraph: str
    text: Texts
    original_language: LanguageCode
    recommending_states: list[str] = Field(description="ISO codes.")
    position: PositionCode
    status: StatusCode
    themes: list[str] = Field(description="Theme codes.")
    affected_groups: list[str] = Field(description="Affected group codes.")
    sdg_goals: list[int] = Field(description="SDG goal numbers.")
    sdg_targets: list[str] = Field(description="SDG target codes.")
    year: int | None
    is_published: bool
    updated: dt.datetime

    # Many-to-many values are read from what the selectors (and the list endpoint) prefetched: on a
    # list, as lists (`listed_*`, see selectors.recommendation_list); on one recommendation, the
    # relations' caches. Building a page costs no query per row.
    @staticmethod
    def resolve_country(obj) -> str:
        return obj.country_id

    @staticmethod
    def resolve_mechanism(obj) -> str:
        return obj.mechanism.code

    @staticmethod
    def resolve_text(obj) -> dict[str, str]:
        return _names(obj, "text")

    @staticmethod
    def resolve_recommending_states(obj) -> list[str]:
        return sorted(c.code for c in _terms(obj, "recommending_states", "listed_states"))

    @staticmethod
    def resolve_themes(obj) -> list[str]:
        return [t.code for t in _terms(obj, "themes", "listed_themes")]

    @staticmethod
    def resolve_affected_groups(obj) -> list[str]:
        return [g.code for g in _terms(obj, "affected_groups", "listed_groups")]

    @staticmethod
    def resolve_sdg_goals(obj) -> list[int]:
        return sorted(g.number for g in _terms(obj, "sdg_goals", "listed_goals"))

    @staticmethod
    def resolve_sdg_targets(obj) -> list[str]:
        return [t.code for t in _terms(obj, "sdg_targets", "listed_targets")]


def _terms(obj, relation: str, listed: str):
    terms = getattr(obj, listed, None)
    return terms if terms is not None else getattr(obj, relation).all()


class RecommendationPage(PageMeta):
    results: list[RecommendationOut]
