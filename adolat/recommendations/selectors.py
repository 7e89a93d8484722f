# ruff: noqa: S608 — the facet counts compose compiled querysets and model table names; values are bound parameters.
"""Reads for recommendations: the one search / filter / facet / sort path used by the pages and
the API, and the one gate for a single recommendation."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from adolat.accounts.permissions import can_see_unpublished_recommendations

from . import facet_index, search, terms
from .models import (
    AffectedGroup,
    Country,
    FacetCountSnapshot,
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
            # As lists (to_attr): to hold a relation's cache, Django's prefetch otherwise makes a
            # filtered queryset per record, a third of a 20-row page's time.
            Prefetch(
                "recommending_states",
                queryset=Country.objects.only("code", "name_en", "name_ru", "name_tg"),
                to_attr="listed_states",
            ),
            Prefetch("themes", queryset=Theme.objects.all(), to_attr="listed_themes"),
        )
        .order_by(*SORTS[filters.sort])
    )


# --- Facet counts ---------------------------------------------------------------------------------
#
# Every facet is counted in one statement: the filtered set is materialised once (a CTE) and each
# facet grouped over it; a facet in use is counted over the set filtered by every other facet, its
# own CTE. The counts of the unfiltered list are read from FacetCountSnapshot instead, since they
# would otherwise group the whole table on every visit.

# Facets counted from a column of the recommendation, and from a many-to-many table: the facet
# index's own (it counts the same facets in memory).
_COLUMN_FACETS = facet_index.COLUMN_FACETS
_M2M_FACETS = facet_index.RELATION_FACETS
COUNTED_FACETS = ("mechanism", "document", "theme", "group", "sdg", "position", "status", "year", "state")
TOTAL = "_total"


def _count(bases: list[tuple[QuerySet, list[str]]]) -> dict[str, dict[str, int]]:
    """Counts per value of the named facets over each queryset, in one query: {facet: {value as
    text: count}}, plus the size of the first queryset under TOTAL."""
    qn = connection.ops.quote_name
    # SQLite, which keeps no statistics here, would scan a whole tag table and look each row up in
    # the filtered set, even when the set holds a dozen recommendations (350 ms instead of 1 ms at
    # 250,000); its CROSS JOIN keeps the set as the outer loop, the tag table's (recommendation,
    # term) index as the inner one. PostgreSQL plans from its statistics.
    join = "CROSS JOIN" if connection.vendor == "sqlite" else "JOIN"
    ctes, parts, params = [], [], []
    for i, (qs, names) in enumerate(bases):
        columns = [_COLUMN_FACETS[n] for n in names if n in _COLUMN_FACETS]
        inner = qs.order_by().values("pk", *columns).query
        sql, inner_params = inner.get_compiler(connection=connection).as_sql()
        cte = f"b{i}"
        ctes.append(f"{cte}(id{''.join(f', c{j}' for j in range(len(columns)))}) AS MATERIALIZED ({sql})")
        params.extend(inner_params)
        if i == 0:
            parts.append(f"SELECT '{TOTAL}', '', COUNT(*) FROM {cte}")
        j = 0
        for name in names:
            if name in _COLUMN_FACETS:
                parts.append(
                    f"SELECT '{name}', CAST(c{j} AS TEXT), COUNT(*) FROM {cte} "
                    f"WHERE c{j} IS NOT NULL GROUP BY c{j}"
                )
                j += 1
            else:
                table, rec_col, term_col = facet_index.relation_columns(_M2M_FACETS[name])
                parts.append(
                    f"SELECT '{name}', CAST(t.{qn(term_col)} AS TEXT), COUNT(*) FROM {cte} "
                    f"{join} {qn(table)} t ON t.{qn(rec_col)} = {cte}.id GROUP BY t.{qn(term_col)}"
                )
    sql = "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(parts)
    counts: dict[str, dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for name, value, n in cursor.fetchall():
            counts.setdefault(name, {})[value] = n
    return counts


def _fingerprint() -> str:
    """What changes whenever a recommendation is created or saved, or a tag is added: the highest
    id and last update of the recommendations, the highest id of each many-to-many table. Deletes
    and removed tags are caught by the signals of models.py, which drop the snapshots."""
    qn = connection.ops.quote_name
    table = qn(Recommendation._meta.db_table)
    parts = [f"(SELECT MAX(id) FROM {table})", f"(SELECT MAX(updated) FROM {table})"]
    parts += [f"(SELECT MAX(id) FROM {qn(facet_index.relation_columns(d)[0])})" for d in _M2M_FACETS.values()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return "|".join(str(v) for v in cursor.fetchone())


def facet_counts(*, user, filters: Filters) -> dict[str, dict[str, int]]:
    """{facet: {value as text: count}} and TOTAL: each facet counted with every filter applied but
    its own. Counted in memory by the facet index (facet_index.py: one query to follow the
    database, one for the ids matching a search, one per filter given by codes); in SQL where it
    cannot serve or is turned off (ADOLAT_FACET_INDEX): one query, two for the unfiltered list (its
    counts are stored, see FacetCountSnapshot; they are counted again when the fingerprint has
    moved)."""
    return recommendation_selection(user=user, filters=filters).counts


@dataclass
class Selection:
    """What a list's filters select: the facet counts (and TOTAL) and, when the facet index
    served them, a reader of the ids of a page in the list's order (`page_ids(offset, limit)`);
    None means the pages are read from the database."""

    counts: dict[str, dict[str, int]]
    page_ids: Callable[[int, int], list[int]] | None = None
    # When the facet index served: the vocabulary stamp read with the counts (terms.py), and a
    # reader of the tags of given records (`tags(facet, ids)`, facet_index.FacetIndex.tags).
    vocabulary: str | None = None
    tags: Callable[[str, list[int]], dict[int, list]] | None = None

    @property
    def total(self) -> int:
        return self.counts.get(TOTAL, {}).get("", 0)


def recommendation_selection(
    *, user, filters: Filters, counted: tuple[str, ...] = COUNTED_FACETS
) -> Selection:
    """The counts of facet_counts (of the `counted` facets; TOTAL always) and, from the facet
    index, the pages of the list: a page deep in a large result is then read by its ids, without
    the database sorting the whole result."""
    if facet_index.enabled():
        selected = facet_index.select(
            visible_all=can_see_unpublished_recommendations(user), filters=filters, counted=counted
        )
        if selected is not None:
            order = SORTS[filters.sort]
            return Selection(
                selected.counts,
                lambda offset, limit: selected.page_ids(order, offset, limit),
                selected.vocabulary,
                selected.tags,
            )
    return Selection(facet_counts_in_sql(user=user, filters=filters))


def facet_counts_in_sql(*, user, filters: Filters) -> dict[str, dict[str, int]]:
    """facet_counts on the database alone (the index's reference, and its stand-in where it cannot
    serve)."""
    visible = Recommendation.objects.visible_to(user)
    if filters.is_empty():
        scope = "all" if can_see_unpublished_recommendations(user) else "published"
        fingerprint = _fingerprint()
        snapshot = FacetCountSnapshot.objects.filter(scope=scope, fingerprint=fingerprint).first()
        if snapshot is not None:
            return snapshot.counts
        counts = _count([(visible, list(COUNTED_FACETS))])
        FacetCountSnapshot.objects.update_or_create(
            scope=scope, defaults={"fingerprint": fingerprint, "counts": counts}
        )
        return counts
    active = [n for n in COUNTED_FACETS if getattr(filters, n)]
    bases = [(_apply(visible, filters), [n for n in COUNTED_FACETS if n not in active])]
    bases += [(_apply(visible, filters, skip=n), [n]) for n in active]
    return _count(bases)


def recommendation_paginator(
    queryset: QuerySet, per_page: int, *, user, filters: Filters
) -> "RecommendationPaginator":
    """The paginator of a list of recommendations without its facets (the API; `queryset`:
    recommendation_list's, with what the caller prefetches besides): the count and the ids of each
    page from the facet index where it serves, the rows then read by their ids among what the
    person may see. Otherwise the database counts: from the stored counts for the unfiltered list,
    with COUNT(*) for a filtered one."""
    if facet_index.enabled():
        selection = recommendation_selection(user=user, filters=filters, counted=())
        if selection.page_ids is not None:
            return RecommendationPaginator(
                queryset, per_page, count=selection.total, selection=selection, user=user
            )
    count = facet_counts_in_sql(user=user, filters=filters)[TOTAL][""] if filters.is_empty() else None
    return RecommendationPaginator(queryset, per_page, count=count)


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
    more: int = 0  # options left out (see FACET_SHOWN); the page links to all of them
    expanded: bool = False  # all options asked for
    omitted: int = 0  # counted options not read at all (_vocab_facet's `most`)

    # Shown unfolded on the page: the facets people reach for first, and any in use.
    OPEN_BY_DEFAULT = ("mechanism", "theme", "position")

    @property
    def open(self) -> bool:
        return self.expanded or self.name in self.OPEN_BY_DEFAULT or any(o.selected for o in self.options)


class Facets(list):
    """The facets of a list page; `total` is the number of recommendations the filters select."""

    total: int | None = None


def _vocab_facet(
    name, label, model, key_attr, value_attr, counts, selected, *, most: int | None = None, vocabulary=None
) -> Facet:
    """Terms of `model` counted (by `key_attr`, the key the counts use) or selected (by
    `value_attr`, the filter's value), in the model's order: from the terms known under the
    `vocabulary` stamp (terms.py, no query), else one query. With `most`, only the terms that can be
    among the `most` most frequent (ties included) are read, and the selected ones; `omitted` says
    how many counted terms were not read."""
    counted = counts.get(name, {})
    keys, omitted = list(counted), 0
    if most is not None and len(counted) > most:
        least = sorted(counted.values(), reverse=True)[most - 1]
        keys = [key for key, n in counted.items() if n >= least]
        omitted = len(counted) - len(keys)

    def field(attr):
        return model._meta.pk if attr == "pk" else model._meta.get_field(attr)

    # As the terms hold them (the counts' keys are text).
    wanted = {key_attr: [field(key_attr).to_python(key) for key in keys]}
    wanted[value_attr] = [*wanted.get(value_attr, ()), *map(field(value_attr).to_python, selected)]
    rows = terms.lookup(model, vocabulary, **wanted)
    options = []
    for o in rows:
        value = getattr(o, value_attr)
        key = str(getattr(o, key_attr))
        if key in counted and key not in keys:  # a selected term below the most frequent
            omitted -= 1
        options.append(FacetOption(str(value), o.name, counted.get(key, 0), value in selected))
    facet = Facet(name, label, options)
    facet.omitted = omitted
    return facet


def _choice_facet(name, label, choices, counts, selected) -> Facet:
    counted = counts.get(name, {})
    options = [
        FacetOption(str(v), str(lbl), counted.get(v, 0), v in selected)
        for v, lbl in choices
        if counted.get(v) or v in selected
    ]
    return Facet(name, label, options)


# Facets ordered by their counts show their FACET_SHOWN most frequent values and those selected;
# the rest (hundreds of documents and states at the UN's scale) are a link away (`expanded`).
FACET_SHOWN = 15
LONG_FACETS = ("state", "theme", "group", "document")


def recommendation_facets(
    *, user, filters: Filters, selection: Selection | None = None, expanded: str = ""
) -> Facets:
    """Counts per facet value. Each facet is counted with every other filter applied but its own,
    so a reader can widen a choice as well as narrow it. A fixed number of queries: the counts
    (recommendation_selection, unless given), then the names of the terms of each vocabulary, one
    query each, none for the terms known under the selection's vocabulary stamp (terms.py). The long
    facets are cut to their FACET_SHOWN most frequent values, except the one `expanded` names."""
    if selection is None:
        selection = recommendation_selection(user=user, filters=filters)
    counts, vocabulary = selection.counts, selection.vocabulary

    def most(name: str) -> int | None:
        return None if name == expanded else FACET_SHOWN

    def vocab_facet(*args, **kwargs) -> Facet:
        return _vocab_facet(*args, **kwargs, vocabulary=vocabulary)

    facets = Facets(
        [
            vocab_facet("mechanism", _("Mechanism"), Mechanism, "pk", "code", counts, filters.mechanism),
            vocab_facet(
                "document",
                _("Document / session"),
                SourceDocument,
                "pk",
                "pk",
                counts,
                filters.document,
                most=most("document"),
            ),
            vocab_facet("theme", _("Theme"), Theme, "pk", "code", counts, filters.theme, most=most("theme")),
            vocab_facet(
                "group",
                _("Affected group"),
                AffectedGroup,
                "pk",
                "code",
                counts,
                filters.group,
                most=most("group"),
            ),
            vocab_facet("sdg", _("SDG goal"), SdgGoal, "number", "number", counts, filters.sdg),
            _choice_facet("position", _("Position of the state"), Position.choices, counts, filters.position),
            _choice_facet("status", _("Implementation status"), Status.choices, counts, filters.status),
        ]
    )
    years = {int(y): n for y, n in counts.get("year", {}).items()}
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
        vocab_facet(
            "state",
            _("Recommending state"),
            Country,
            "code",
            "code",
            counts,
            filters.state,
            most=most("state"),
        )
    )
    for facet in facets:
        if facet.name in LONG_FACETS:
            facet.options.sort(key=lambda o: (-o.count, o.label))
            facet.expanded = facet.name == expanded
            if not facet.expanded and len(facet.options) + facet.omitted > FACET_SHOWN:
                shown = facet.options[:FACET_SHOWN] + [o for o in facet.options[FACET_SHOWN:] if o.selected]
                facet.more = len(facet.options) + facet.omitted - len(shown)
                facet.options = shown
    facets.total = counts.get(TOTAL, {}).get("", 0)
    return facets


# --- Pages ----------------------------------------------------------------------------------------


# What a row of a list names that memory holds: the vocabularies a recommendation refers to by
# foreign key (select_related), and its tags the facet index holds (Prefetch to_attr → facet,
# vocabulary, the field the index keeps). Read from the terms of terms.py instead of joins and
# prefetch queries when the facet index served the page.
_VOCABULARY_KEYS = ("mechanism", "document", "country")
_INDEXED_TAGS = {
    "listed_states": ("state", Country, "code"),
    "listed_themes": ("theme", Theme, "pk"),
    "listed_groups": ("group", AffectedGroup, "pk"),
    "listed_goals": ("sdg", SdgGoal, "number"),
}


class _NamedFromMemory:
    """The select_related and prefetches of a list without what memory holds (`related`,
    `lookups`), and `fill(rows)`, which gives the rows read with them what was left out."""

    def __init__(self, selection: "Selection", related, lookups):
        self.selection = selection
        # select_related("mechanism", ...) is {"mechanism": {}, ...}; True selects every relation.
        self.joined, self.related = [], related
        if isinstance(related, dict):
            self.joined = [name for name in _VOCABULARY_KEYS if related.get(name) == {}]
            self.related = {k: v for k, v in related.items() if k not in self.joined} or False
        self.listed = [p.to_attr for p in lookups if getattr(p, "to_attr", None) in _INDEXED_TAGS]
        self.lookups = [p for p in lookups if getattr(p, "to_attr", None) not in _INDEXED_TAGS]

    def fill(self, rows: list) -> None:
        stamp = self.selection.vocabulary
        for name in self.joined:
            field = Recommendation._meta.get_field(name)
            keys = {getattr(r, field.attname) for r in rows} - {None}
            found = {t.pk: t for t in terms.lookup(field.related_model, stamp, pk=keys)}
            for r in rows:
                key = getattr(r, field.attname)
                if key is None or key in found:
                    field.set_cached_value(r, found.get(key))
        ids = [r.pk for r in rows]
        for attr in self.listed:
            facet, model, key_field = _INDEXED_TAGS[attr]
            tags = self.selection.tags(facet, ids)
            found = terms.lookup(model, stamp, **{key_field: {k for keys in tags.values() for k in keys}})
            place = {getattr(t, key_field): i for i, t in enumerate(found)}  # found is in order
            for r in rows:
                listed = sorted((k for k in tags[r.pk] if k in place), key=place.__getitem__)
                setattr(r, attr, [found[place[k]] for k in listed])


class RecommendationPaginator(Paginator):
    """Pages of a recommendation list. The count may be given (the facets already counted the
    list); a page is read as its ids first — from the facet index when a `selection` it served is
    given, else from the database's index of the order alone — and then its rows, so a page deep in
    the list does not join and discard every row before it. Ids from the index are read among the
    records `user` may see (the index was brought up to date at the start of the request); the
    vocabulary the rows name is then read from memory (_NamedFromMemory)."""

    def __init__(
        self,
        object_list,
        per_page,
        *,
        count: int | None = None,
        selection: "Selection | None" = None,
        user=None,
        **kwargs,
    ):
        super().__init__(object_list, per_page, **kwargs)
        if count is not None:
            self.count = count  # replaces the cached property's COUNT(*)
        self.selection = selection
        self.page_ids = selection.page_ids if selection is not None else None
        self.user = user

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if self.page_ids is not None:
            ids = self.page_ids(bottom, top - bottom)
            # The same select_related and prefetches, without the filters the ids already applied
            # (a search would run again), within what the person may see.
            rows = self.object_list.model.objects.visible_to(self.user).filter(pk__in=ids)
            related = self.object_list.query.select_related
            lookups = self.object_list._prefetch_related_lookups
            named = None
            if self.selection is not None and self.selection.vocabulary is not None and ids:
                named = _NamedFromMemory(self.selection, related, lookups)
                related, lookups = named.related, named.lookups
            rows.query.select_related = related
            rows = list(rows.prefetch_related(*lookups))
            if named is not None:
                named.fill(rows)
        else:
            ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
            rows = self.object_list.filter(pk__in=ids)
        position = {pk: i for i, pk in enumerate(ids)}
        rows = sorted(rows, key=lambda r: position[r.pk]) if ids else []
        return self._get_page(rows, number, self)


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
