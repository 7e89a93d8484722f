"""What every export format shares: which records (the list page's selector, so nobody exports what
they may not see), in which order, read in bounded chunks, and how a value reads in a language.

Reading is done in two steps so that memory does not grow with the number of records:

1. the ordered ids (and the few values an export groups by) are read as one narrow query, so the
   database sorts small rows only (SQLite, which sorts in memory here, would otherwise hold every
   text of every record while sorting);
2. for each chunk of ids the records are fetched through the same visible and filtered queryset (a
   record withdrawn in between is left out), and their tags in one query per relation, resolved
   against the vocabularies read once per export. This is several times faster than Django's
   prefetch_related, which builds a queryset per record and relation.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import connection
from django.db.models import Count, F, Max, QuerySet
from django.utils.translation import override

from adolat.lib.i18n import localized
from adolat.recommendations import selectors, services
from adolat.recommendations.importers.base import natural_key
from adolat.recommendations.models import (
    AffectedGroup,
    Country,
    Language,
    Mechanism,
    Position,
    Recommendation,
    SdgGoal,
    SdgTarget,
    SourceDocument,
    Status,
    Theme,
)

# Records per chunk: one query for the records and one per relation each chunk. Memory holds one
# chunk at a time, whatever the number of records.
CHUNK_SIZE = 1000

T = TypeVar("T")


class SystemPrincipal:
    """Who `adolat export --include-unpublished` acts as: the system, which sees everything, as a
    superuser does (the gates ask whether a principal is an active, authenticated superuser or
    holds a coordinating role). Never signed in, never stored."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_superuser = True
    is_staff = False
    pk = None

    def has_role(self, *roles: str) -> bool:
        return True


# --- Which records, in which order -----------------------------------------------------------


def stable_ordering(sort: str) -> list:
    """The list page's order, with documents told apart by what they are (symbol, mechanism,
    state, session; records without a document last) rather than by their database id, so that
    two instances holding the same records (an export loaded elsewhere) export them in the same
    order. Within a document, records keep the order they were entered in, which a load keeps."""
    out: list = []
    for term in selectors.SORTS[sort]:
        if term.lstrip("-") == "document_id":
            out += [
                F(part).asc(nulls_last=True)
                for part in (
                    "document__symbol",
                    "document__mechanism__code",
                    "document__country_id",
                    "document__session",
                )
            ]
        else:
            out.append(term)
    return out


def export_queryset(*, user, filters: selectors.Filters) -> QuerySet:
    """The recommendations `user` may see, narrowed by `filters` exactly as the list page does, in
    the export order. Read it with `entries()`."""
    qs = selectors.recommendation_list(user=user, filters=filters)
    return qs.prefetch_related(None).order_by(*stable_ordering(filters.sort))


@dataclass
class Snapshot:
    """The records an export holds: their number, and the queryset bounded to the records that
    existed when it was counted, so a record added while a long export is written does not make
    the count wrong."""

    queryset: QuerySet
    count: int


def snapshot(qs: QuerySet) -> Snapshot:
    totals = qs.order_by().aggregate(n=Count("pk"), top=Max("pk"))
    return Snapshot(queryset=qs.filter(pk__lte=totals["top"] or 0), count=totals["n"])


# --- Reading in chunks --------------------------------------------------------------------------


class Vocabulary:
    """The vocabularies, read once per export (a few hundred rows), and names in one language."""

    def __init__(self) -> None:
        fields = ("code", "name_tg", "name_ru", "name_en")
        self.countries = Country.objects.only(*fields).in_bulk()
        self.themes = Theme.objects.in_bulk()
        self.groups = AffectedGroup.objects.in_bulk()
        self.mechanisms = Mechanism.objects.in_bulk()
        self.documents: dict[int, SourceDocument] = {}  # filled as records name them
        self.goals = SdgGoal.objects.only("number").in_bulk()
        self.targets = SdgTarget.objects.only("code", "goal_id", "sort_order").in_bulk()
        # Vocabulary order, for lists of tags.
        self.order = {
            Theme: {pk: i for i, pk in enumerate(Theme.objects.values_list("pk", flat=True))},
            AffectedGroup: {pk: i for i, pk in enumerate(AffectedGroup.objects.values_list("pk", flat=True))},
            SdgTarget: {pk: i for i, pk in enumerate(SdgTarget.objects.values_list("pk", flat=True))},
        }
        self._names: dict[tuple, str] = {}

    def name(self, obj, language: str) -> str:
        key = (type(obj), obj.pk, language)
        if key not in self._names:
            self._names[key] = localized(obj, "name", language).text
        return self._names[key]


@dataclass
class Entry:
    """One recommendation with its tags, as every format reads it."""

    rec: Recommendation
    states: list[Country] = field(default_factory=list)  # by code
    themes: list[Theme] = field(default_factory=list)  # in the vocabulary's order
    groups: list[AffectedGroup] = field(default_factory=list)
    goals: list[SdgGoal] = field(default_factory=list)  # by number
    targets: list[SdgTarget] = field(default_factory=list)  # in the vocabulary's order
    extra: tuple = ()  # the values read with the ids (see `entries(extra=...)`)
    lead_bodies: list = field(default_factory=list)  # filled by the matrix
    supporting_bodies: list = field(default_factory=list)


def _pairs(relation, pks: list[int], column: str) -> dict[int, list[int]]:
    """The (record, tag) pairs of a many-to-many relation for `pks`, in one query. Written as SQL:
    the ORM would prepare each of the thousand ids of a chunk one by one, for every relation, which
    cost more than the query itself."""
    through = relation.through._meta
    quote = connection.ops.quote_name
    table = quote(through.db_table)
    left = quote(through.get_field("recommendation_id").column)
    right = quote(through.get_field(column).column)
    out: dict[int, list[int]] = defaultdict(list)
    if not pks:
        return out
    placeholders = ", ".join(["%s"] * len(pks))
    # Table and column names come from the models; the ids are passed as parameters.
    sql = f"SELECT {left}, {right} FROM {table} WHERE {left} IN ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [int(pk) for pk in pks])
        for rec_id, other in cursor.fetchall():
            out[rec_id].append(other)
    return out


def _documents(vocab: Vocabulary, ids: set[int]) -> None:
    missing = [pk for pk in ids if pk not in vocab.documents]
    if missing:
        for doc in SourceDocument.objects.filter(pk__in=missing):
            _MECHANISM.set_cached_value(doc, vocab.mechanisms[doc.mechanism_id])
            vocab.documents[doc.pk] = doc


# Related records every row names (mechanism, state, document) are read once per export and given
# to each record, rather than joined into every row (and built again for each).
_MECHANISM = SourceDocument._meta.get_field("mechanism")
_REC_MECHANISM = Recommendation._meta.get_field("mechanism")
_REC_COUNTRY = Recommendation._meta.get_field("country")
_REC_DOCUMENT = Recommendation._meta.get_field("document")


# The columns of a record the CSV and JSON read (never the search text, a second copy of the texts).
ROW_FIELDS = ("id", *services.SCALAR_COLUMNS, "created", "updated")


class Row:
    """A recommendation's columns as read by `values_list` (`ROW_FIELDS`, with its mechanism, state
    and document from the vocabulary), for the formats that only read values: the same attributes
    as the model instance, several times cheaper to make."""

    __slots__ = (*ROW_FIELDS, "pk", "mechanism", "country", "document")

    def __init__(self, values: tuple, vocab: Vocabulary) -> None:
        (
            self.id,
            self.country_id,
            self.mechanism_id,
            self.document_id,
            self.paragraph,
            self.text_tg,
            self.text_ru,
            self.text_en,
            self.original_language,
            self.position,
            self.position_note,
            self.status,
            self.year,
            self.is_published,
            self.natural_key,
            self.created,
            self.updated,
        ) = values  # in the order of ROW_FIELDS
        self.pk = self.id
        self.mechanism = vocab.mechanisms[self.mechanism_id]
        self.country = vocab.countries[self.country_id]
        self.document = vocab.documents[self.document_id] if self.document_id else None


def _records(qs: QuerySet, pks: list[int], vocab: Vocabulary, *, light: bool) -> list:
    qs = qs.filter(pk__in=pks).order_by()
    if light:
        values = list(qs.values_list(*ROW_FIELDS))
        _documents(vocab, {v[3] for v in values if v[3]})
        return [Row(v, vocab) for v in values]
    # The search text is a second copy of the texts: never read for an export.
    recs = list(qs.select_related(None).defer("search_document"))
    _documents(vocab, {r.document_id for r in recs if r.document_id})
    for rec in recs:
        _REC_MECHANISM.set_cached_value(rec, vocab.mechanisms[rec.mechanism_id])
        _REC_COUNTRY.set_cached_value(rec, vocab.countries[rec.country_id])
        _REC_DOCUMENT.set_cached_value(rec, vocab.documents[rec.document_id] if rec.document_id else None)
    return recs


def _load(qs: QuerySet, keys: list[tuple], vocab: Vocabulary, *, light: bool = False) -> list[Entry]:
    pks = [k[0] for k in keys]
    found = {r.pk: r for r in _records(qs, pks, vocab, light=light)}
    states = _pairs(Recommendation.recommending_states, pks, "country_id")
    themes = _pairs(Recommendation.themes, pks, "theme_id")
    groups = _pairs(Recommendation.affected_groups, pks, "affectedgroup_id")
    goals = _pairs(Recommendation.sdg_goals, pks, "sdggoal_id")
    targets = _pairs(Recommendation.sdg_targets, pks, "sdgtarget_id")
    theme_order, group_order = vocab.order[Theme], vocab.order[AffectedGroup]
    target_order = vocab.order[SdgTarget]
    countries, theme_names, group_names = vocab.countries, vocab.themes, vocab.groups
    goal_names, target_names = vocab.goals, vocab.targets
    none: list = []
    out = []
    for pk, *extra in keys:
        rec = found.get(pk)
        if rec is None:  # withdrawn or deleted since the ids were read
            continue
        # A country's primary key is its code; most records have one tag of a kind, or none.
        out.append(
            Entry(
                rec=rec,
                states=[countries[c] for c in _in_order(states.get(pk, none))],
                themes=[theme_names[t] for t in _in_order(themes.get(pk, none), theme_order.get)],
                groups=[group_names[g] for g in _in_order(groups.get(pk, none), group_order.get)],
                goals=[goal_names[g] for g in _in_order(goals.get(pk, none))],
                targets=[target_names[t] for t in _in_order(targets.get(pk, none), target_order.get)],
                extra=tuple(extra),
            )
        )
    return out


def _in_order(values: list, key=None) -> list:
    return sorted(values, key=key) if len(values) > 1 else values


def entries(
    qs: QuerySet,
    *,
    extra: tuple[str, ...] = (),
    rows: QuerySet | None = None,
    enrich: Callable[[list[Entry]], None] | None = None,
    chunk_size: int | None = None,
    vocab: Vocabulary | None = None,
    light: bool = False,
) -> Iterator[Entry]:
    """The records of `qs` in its order, as Entries, a chunk at a time. `extra` names annotations
    read with the ids (the matrix groups by one); the records themselves are fetched from `rows`
    (by default `qs`; a queryset without costly annotations); `enrich` adds to each chunk. With
    `light`, each Entry's `rec` is a `Row` of values rather than a model instance."""
    size = chunk_size or CHUNK_SIZE
    vocab = vocab or Vocabulary()
    source = qs if rows is None else rows
    batch: list[tuple] = []

    def load() -> list[Entry]:
        chunk = _load(source, batch, vocab, light=light)
        if enrich:
            enrich(chunk)
        return chunk

    for key in qs.values_list("pk", *extra).iterator(chunk_size=size):
        batch.append(key)
        if len(batch) >= size:
            yield from load()
            batch = []
    if batch:
        yield from load()


# --- Streams ------------------------------------------------------------------------------------


def in_language(language: str, items: Iterator[T]) -> Iterator[T]:
    """Advance `items` with `language` active and deactivate it while the consumer holds the value:
    a streaming response is iterated after the view returned, and the language must neither be
    lost nor leak into whatever else runs in the thread between two pieces."""
    while True:
        with override(language):
            try:
                item = next(items)
            except StopIteration:
                return
        yield item


def buffered(pieces: Iterable[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    """Join small pieces into writes of about `size` bytes."""
    buffer: list[bytes] = []
    length = 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield b"".join(buffer)
            buffer, length = [], 0
    if buffer:
        yield b"".join(buffer)


# XML 1.0 forbids most control characters; text extracted from PDFs sometimes carries them (form
# feeds, vertical tabs). Spreadsheet and Word files would be refused, so they become spaces.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(value: str) -> str:
    return _NOT_XML.sub(" ", value)


# --- Values in a language -----------------------------------------------------------------------

LANGUAGE_NAMES = dict(Language.choices)  # each language by its own name, as the pages show it


def position_label(value: str) -> str:
    """In the active language."""
    return str(Position(value).label) if value in Position.values else value


def status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


def identity_key(rec: Recommendation, state_codes: list[str]) -> str:
    """The record's natural key; for a record entered by hand (which has none) the key an importer
    would give it, computed from the state under review, the document's session (or symbol), the
    recommending states and the text in its original language."""
    if rec.natural_key:
        return rec.natural_key
    document = rec.document if rec.document_id else None
    return natural_key(
        country=rec.country_id,
        session=(document.session or document.symbol) if document else "",
        recommending_states=state_codes,
        text=original_text(rec.text_tg, rec.text_ru, rec.text_en, rec.original_language),
    )


def original_text(text_tg: str, text_ru: str, text_en: str, original: str) -> str:
    texts = {"tg": text_tg, "ru": text_ru, "en": text_en}
    if (texts.get(original) or "").strip():
        return texts[original]
    return next((t for t in (text_en, text_ru, text_tg) if (t or "").strip()), "")


def session_for_key(document: dict | None) -> str:
    """The session part of the key for a document described in an open-data file."""
    if not document:
        return ""
    return document.get("session") or document.get("symbol") or ""
