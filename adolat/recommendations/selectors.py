"""Reads for recommendations: the one search / filter / facet / sort path used by the pages and
the API, and the one gate for a single recommendation."""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from . import search
from .models import (
    AffectedGroup,
    Country,
    Mechanism,
    Position,
    Recommendation,
    SdgGoal,
    SourceDocument,
    Status,
    Theme,
)

SORTS = {
    "newest": ("-year", "-document_id", "id"),
    "oldest": ("year", "document_id", "id"),
    "position": ("position", "-year", "id"),
    "status": ("status", "-year", "id"),
}
DEFAULT_SORT = "newest"
YEARS = range(1945, 2200)
SDG_GOALS = range(1, 18)


@dataclass
class Filters:
    """What a list of recommendations is narrowed by; values within one facet are alternatives,
    facets combine. Each facet's name is its query-string parameter."""

    q: str = ""
    mechanism: list[str] = field(default_factory=list)  # Mechanism.code
    document: list[int] = field(default_factory=list)  # SourceDocument.pk
    theme: list[str] = field(default_factory=list)  # Theme.code
    group: list[str] = field(default_factory=list)  # AffectedGroup.code
    sdg: list[int] = field(default_factory=list)  # SdgGoal.number
    position: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    year: list[int] = field(default_factory=list)
    state: list[str] = field(default_factory=list)  # recommending state, ISO code
    country: list[str] = field(default_factory=list)  # state under review, ISO code
    sort: str = DEFAULT_SORT

    FACETS = (
        "mechanism",
        "document",
        "theme",
        "group",
        "sdg",
        "position",
        "status",
        "year",
        "state",
        "country",
    )

    def is_empty(self) -> bool:
        return not self.q and not any(getattr(self, f) for f in self.FACETS)

    def as_query(self) -> list[tuple[str, str]]:
        out = [("q", self.q)] if self.q else []
        for f in self.FACETS:
            out += [(f, str(v)) for v in getattr(self, f)]
        if self.sort != DEFAULT_SORT:
            out.append(("sort", self.sort))
        return out


class InvalidFilter(ValueError):
    """A filter value that names nothing; `errors` lists one translated message per value."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _ints(param: str, values: list[str], errors: list[str]) -> list[int]:
    out = []
    for v in values:
        try:
            out.append(int(v))
        except ValueError:
            errors.append(
                _("“%(value)s” is not a valid value for the filter “%(filter)s”.")
                % {"value": v, "filter": param}
            )
    return out


def parse_filters(params) -> Filters:
    """Read filters from a QueryDict (or any mapping with getlist). Unknown values raise
    InvalidFilter naming each of them; empty values are ignored."""
    errors: list[str] = []

    def getlist(name: str) -> list[str]:
        values = [v.strip() for v in params.getlist(name) if v and v.strip()]
        for v in values:
            if "\x00" in v:  # no database accepts it in a query; say so instead of failing
                errors.append(
                    _("“%(value)s” is not a valid value for the filter “%(filter)s”.")
                    % {"value": v.replace("\x00", "\\0"), "filter": name}
                )
        return [v for v in values if "\x00" not in v]

    f = Filters(q=(params.get("q") or "").replace("\x00", " ").strip()[:200])
    f.mechanism = getlist("mechanism")
    f.document = _ints("document", getlist("document"), errors)
    f.theme = getlist("theme")
    f.group = getlist("group")
    f.sdg = _ints("sdg", getlist("sdg"), errors)
    f.position = getlist("position")
    f.status = getlist("status")
    f.year = _ints("year", getlist("year"), errors)
    f.state = [v.upper() for v in getlist("state")]
    f.country = [v.upper() for v in getlist("country")]
    f.sort = (params.get("sort") or DEFAULT_SORT).strip()

    def check(name: str, values: list, known) -> None:
        if not values:
            return
        known = set(known() if callable(known) else known)
        for v in values:
            if v not in known:
                errors.append(
                    _("“%(value)s” is not a valid value for the filter “%(filter)s”.")
                    % {"value": v, "filter": name}
                )

    check("position", f.position, Position.values)
    check("status", f.status, Status.values)
    check(
        "mechanism",
        f.mechanism,
        lambda: Mechanism.objects.filter(code__in=f.mechanism).values_list("code", flat=True),
    )
    check("theme", f.theme, lambda: Theme.objects.filter(code__in=f.theme).values_list("code", flat=True))
    check(
        "group",
        f.group,
        lambda: AffectedGroup.objects.filter(code__in=f.group).values_list("code", flat=True),
    )
    check("sdg", f.sdg, SDG_GOALS)
    check("year", f.year, YEARS)
    if f.state or f.country:
        known_states = set(
            Country.objects.filter(code__in=f.state + f.country).values_list("code", flat=True)
        )
        check("state", f.state, known_states)
        check("country", f.country, known_states)
    check(
        "document",
        f.document,
        lambda: SourceDocument.objects.filter(pk__in=f.document).values_list("pk", flat=True),
    )
    if f.sort not in SORTS:
        errors.append(_("“%(value)s” is not a valid sort order.") % {"value": f.sort})
    if errors:
        raise InvalidFilter(errors)
    return f


def _apply(qs: QuerySet, f: Filters, *, skip: str = "") -> QuerySet:
    if f.q:
        ids = search.matching_ids(f.q)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
    # Many-to-many facets filter through a subquery so rows are never duplicated.
    m2m = {
        "theme": ("themes", Recommendation.themes.through, "theme__code"),
        "group": ("affected_groups", Recommendation.affected_groups.through, "affectedgroup__code"),
        "sdg": ("sdg_goals", Recommendation.sdg_goals.through, "sdggoal_id"),
        "state": ("recommending_states", Recommendation.recommending_states.through, "country_id"),
    }
    for name, (_rel, through, lookup) in m2m.items():
        values = getattr(f, name)
        if values and name != skip:
            qs = qs.filter(
                pk__in=through.objects.filter(**{f"{lookup}__in": values}).values("recommendation_id")
            )
    simple = {
        "mechanism": "mechanism__code__in",
        "document": "document_id__in",
        "position": "position__in",
        "status": "status__in",
        "year": "year__in",
        "country": "country_id__in",
    }
    for name, lookup in simple.items():
        values = getattr(f, name)
        if values and name != skip:
            qs = qs.filter(**{lookup: values})
    return qs


def recommendation_list(*, user, filters: Filters) -> QuerySet:
    """The recommendations `user` may see, narrowed by `filters`, in the requested order, with
    what a list row shows fetched in a fixed number of queries."""
    qs = _apply(Recommendation.objects.visible_to(user), filters)
    return (
        qs.select_related("mechanism", "document", "country")
        .prefetch_related(
            Prefetch(
                "recommending_states", queryset=Country.objects.only("code", "name_en", "name_ru", "name_tg")
            ),
            Prefetch("themes", queryset=Theme.objects.all()),
        )
        .order_by(*SORTS[filters.sort])
    )


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    label: str
    options: list[FacetOption]

    # Shown unfolded on the page: the facets people reach for first, and any in use.
    OPEN_BY_DEFAULT = ("mechanism", "theme", "position")

    @property
    def open(self) -> bool:
        return self.name in self.OPEN_BY_DEFAULT or any(o.selected for o in self.options)


def _vocab_facet(name, label, model, rel, value_attr, base, selected) -> Facet:
    rows = model.objects.annotate(n=Count(rel, filter=Q(**{f"{rel}__in": base.values("pk")}))).filter(
        Q(n__gt=0) | Q(**{f"{value_attr}__in": selected})
    )
    return Facet(
        name,
        label,
        [
            FacetOption(str(getattr(o, value_attr)), o.name, o.n, getattr(o, value_attr) in selected)
            for o in rows
        ],
    )


def _choice_facet(name, label, choices, base, column, selected) -> Facet:
    counts = dict(base.order_by().values_list(column).annotate(n=Count("pk")))
    options = [
        FacetOption(str(v), str(lbl), counts.get(v, 0), v in selected)
        for v, lbl in choices
        if counts.get(v) or v in selected
    ]
    return Facet(name, label, options)


def recommendation_facets(*, user, filters: Filters) -> list[Facet]:
    """Counts per facet value. Each facet is counted with every other filter applied but its own,
    so a reader can widen a choice as well as narrow it. One query per facet."""
    visible = Recommendation.objects.visible_to(user)

    def base(skip: str) -> QuerySet:
        return _apply(visible, filters, skip=skip)

    facets = [
        _vocab_facet(
            "mechanism",
            _("Mechanism"),
            Mechanism,
            "recommendations",
            "code",
            base("mechanism"),
            filters.mechanism,
        ),
        _vocab_facet(
            "document",
            _("Document / session"),
            SourceDocument,
            "recommendations",
            "pk",
            base("document"),
            filters.document,
        ),
        _vocab_facet("theme", _("Theme"), Theme, "recommendations", "code", base("theme"), filters.theme),
        _vocab_facet(
            "group",
            _("Affected group"),
            AffectedGroup,
            "recommendations",
            "code",
            base("group"),
            filters.group,
        ),
        _vocab_facet("sdg", _("SDG goal"), SdgGoal, "recommendations", "number", base("sdg"), filters.sdg),
        _choice_facet(
            "position",
            _("Position of the state"),
            Position.choices,
            base("position"),
            "position",
            filters.position,
        ),
        _choice_facet(
            "status", _("Implementation status"), Status.choices, base("status"), "status", filters.status
        ),
    ]
    years = dict(base("year").exclude(year=None).order_by().values_list("year").annotate(n=Count("pk")))
    facets.append(
        Facet(
            "year",
            _("Year"),
            [
                FacetOption(str(y), str(y), n, y in filters.year)
                for y, n in sorted(years.items(), reverse=True)
            ],
        )
    )
    facets.append(
        _vocab_facet(
            "state",
            _("Recommending state"),
            Country,
            "recommendations_made",
            "code",
            base("state"),
            filters.state,
        )
    )
    for facet in facets:
        if facet.name in ("state", "theme", "group", "document"):
            facet.options.sort(key=lambda o: (-o.count, o.label))
    return facets


def get_recommendation_for_user(user, pk) -> Recommendation:
    """The gate for one recommendation: the same 404 for "does not exist" and "not yours"."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    rec = (
        Recommendation.objects.visible_to(user)
        .select_related("mechanism", "document", "country")
        .prefetch_related(
            "recommending_states", "themes", "affected_groups", "sdg_goals", "sdg_targets__goal"
        )
        .filter(pk=pk)
        .first()
    )
    if rec is None:
        raise Http404
    return rec
