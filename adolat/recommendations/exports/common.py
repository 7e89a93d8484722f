"""What every export format shares: which records (the list page's selector, so nobody exports what
they may not see), in which order, read in bounded chunks, and how a value reads in a language.

Reading is done in two steps so that memory does not grow with the number of records:

1. the ordered ids (and the few values an export groups by) are read as one narrow query, so the
   database sorts small rows only (SQLite, which sorts in memory here, would otherwise hold every
   text of every record while sorting);
2. for each chunk of ids the records are fetched through the same visible and filtered queryset (a
   record withdrawn in between is left out), with their tags in the same query, each record's
   tags read as one string of ids, resolved against the vocabularies read once per export. This is
   several times faster than Django's prefetch_related, which builds a queryset per record and
   relation, and than a query per relation, which looks every record up again.

An export of most of a large table (CSV and JSON) reads its tags differently: each tag table is
read once, in one scan in the order of its index, before the records (`TagIndex`), rather than
looked up again for every record of every chunk. So that each record's tags are those of its row,
every query of such an export reads the database as it was when the export began (`_one_read`: on
SQLite one read snapshot, on PostgreSQL one read-only REPEATABLE READ transaction): a record
changed or withdrawn meanwhile is exported as it was then, the export is that of one moment. On
PostgreSQL such an export also reads each chunk's records ahead, on a second connection that reads
the same moment, while the chunk before is written (`_Ahead`). Other exports (filtered to a part
of the table) read the tags with each chunk, as above.

Most records share their lists of tags, documents and labels with thousands of others, so what is
made of them (vocabulary objects in order, the cells of a row, the lists of codes of a record) is
made once per distinct value and remembered for the rest of the export (`Memo`).
"""

import datetime as dt
import logging
import re
from array import array
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import TypeVar

import psycopg
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BigIntegerField, BooleanField, Count, DateTimeField, F, Max, Min, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.sql.constants import MULTI
from django.utils.dateparse import parse_datetime
from django.utils.translation import override
from psycopg import sql as psql

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

# Records per chunk: one query for the records and their tags each chunk. Memory holds one chunk
# at a time, whatever the number of records.
CHUNK_SIZE = 1000

logger = logging.getLogger(__name__)

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


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
    existed when it was counted (ids up to `top`), so a record added while a long export is written
    does not make the count wrong. `bottom` is the smallest id among them."""

    queryset: QuerySet
    count: int
    top: int = 0
    bottom: int = 0


def snapshot(qs: QuerySet) -> Snapshot:
    totals = qs.order_by().aggregate(n=Count("pk"), top=Max("pk"), bottom=Min("pk"))
    top = totals["top"] or 0
    return Snapshot(queryset=qs.filter(pk__lte=top), count=totals["n"], top=top, bottom=totals["bottom"] or 0)


# --- Reading in chunks --------------------------------------------------------------------------


# Values a `Memo` holds at most.
MEMO_LIMIT = 10_000


class Memo(dict[K, T]):
    """Values made by `make` once per key and remembered for the rest of an export: a list of tags,
    a document or a label recurs on thousands of records. Emptied whenever it holds MEMO_LIMIT
    keys, so memory stays bounded whatever the number of distinct values (a value is then made
    again)."""

    def __init__(self, make: Callable[[K], T]) -> None:
        super().__init__()
        self.make = make
        self.limit = MEMO_LIMIT

    def __missing__(self, key: K) -> T:
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.make(key)
        return value


class TagMemo(Memo[str, T]):
    """A Memo of what a format makes of the lists of tags of relation `kind`, by their key
    (`Entry.tag_keys`). When the export has read a `TagIndex`, which holds every distinct list of
    the export already, it remembers a value for each (as many as the index holds) rather than
    forgetting them at MEMO_LIMIT: the synthetic 250,000 records have up to 38,000 distinct lists
    of a relation, and each value was otherwise made again several times."""

    def __init__(self, make: Callable[[str], T], vocab: "Vocabulary", kind: int) -> None:
        super().__init__(make)
        self.vocab = vocab
        self.kind = kind

    def __missing__(self, key: str) -> T:
        if len(self) >= self.limit and self.vocab.index is not None:
            self.limit = max(self.limit, len(self.vocab.index.keys[self.kind]))
        return super().__missing__(key)


# The many-to-many relations of a record, in the order of `Entry.tag_keys`: the relation, the column
# of its table that names the tag, and the `Vocabulary` attribute holding the tags by primary key.
TAGS = (
    (Recommendation.recommending_states, "country_id", "countries"),
    (Recommendation.themes, "theme_id", "themes"),
    (Recommendation.affected_groups, "affectedgroup_id", "groups"),
    (Recommendation.sdg_goals, "sdggoal_id", "goals"),
    (Recommendation.sdg_targets, "sdgtarget_id", "targets"),
)
STATES, THEMES, GROUPS, GOALS, TARGETS = range(len(TAGS))


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
        # How each relation's tags are listed: states by code, goals by number (their primary
        # keys), themes, groups and targets in the vocabulary's order.
        self._sort_keys = (
            None,
            self.order[Theme].get,
            self.order[AffectedGroup].get,
            None,
            self.order[SdgTarget].get,
        )
        self._tags = tuple(
            Memo(lambda key, kind=kind: self._tag_list(kind, key)) for kind in range(len(TAGS))
        )
        self.index: TagIndex | None = None  # the export's TagIndex, once read (if it reads one)

    def tags(self, kind: int, key: str) -> tuple:
        """The tags of relation `kind` (an index into `TAGS`) that `key` names, as `_tags_sql` reads
        them (ids joined by commas, in any order; "" for no tag), as vocabulary objects in the
        order every format lists them. One shared tuple per distinct key (the `TagIndex`'s, when
        the export read one)."""
        if self.index is not None:
            at = self.index.positions[kind].get(key)
            if at is not None:
                return self.index.tags[kind][at]
        return self._tags[kind][key]

    def _tag_list(self, kind: int, key: str) -> tuple:
        if not key:
            return ()
        objects = getattr(self, TAGS[kind][2])
        # Countries are named by their code, every other tag by an integer.
        if "," not in key:  # one tag, as most records have
            return (objects[key if kind == STATES else int(key)],)
        ids: list = key.split(",") if kind == STATES else [int(pk) for pk in key.split(",")]
        ids.sort(key=self._sort_keys[kind])
        return tuple(objects[pk] for pk in ids)

    def name(self, obj, language: str) -> str:
        key = (type(obj), obj.pk, language)
        if key not in self._names:
            self._names[key] = localized(obj, "name", language).text
        return self._names[key]


@dataclass(slots=True)
class Entry:
    """One recommendation with its tags, as every format reads it. The lists of tags are shared
    between the entries that have the same tags (`Vocabulary.tags`), hence tuples."""

    rec: Recommendation
    states: Sequence[Country] = ()  # by code
    themes: Sequence[Theme] = ()  # in the vocabulary's order
    groups: Sequence[AffectedGroup] = ()
    goals: Sequence[SdgGoal] = ()  # by number
    targets: Sequence[SdgTarget] = ()  # in the vocabulary's order
    extra: tuple = ()  # the values read with the ids (see `entries(extra=...)`)
    # The key of each list of tags above, in the order of `TAGS` (see `Vocabulary.tags`): a format
    # that writes a list the same way each time makes it once per key.
    tag_keys: tuple = ("",) * len(TAGS)
    lead_bodies: Sequence[str] = ()  # filled by the matrix
    supporting_bodies: Sequence[str] = ()


# The annotation that holds a record's tags (see `_tags_sql`).
TAGS_ANNOTATION = "export_tags"
_TAGS_SEPARATOR = "|"


def _joined(column: str) -> str:
    """The SQL aggregate joining the values of `column` (quoted) with commas, in no particular order.
    (On PostgreSQL the same list then comes in several orders, as several keys, each made into its
    tags and cells: 107,000 keys rather than 80,000 at 250,000 synthetic records, about 0.2 s; in
    order, the database sorts every record's tags, 0.4 s more for the `TagIndex`.)"""
    if connection.vendor == "postgresql":
        return f"STRING_AGG(CAST({column} AS TEXT), ',')"
    return f"GROUP_CONCAT({column}, ',')"


def _tags_sql() -> RawSQL:
    """Every tag of a record as one string read with the record: for each relation of `TAGS`, the
    ids of its tags joined by commas (in no particular order), the relations joined by "|" (ids
    never hold either: they are integers and two-letter country codes). The database aggregates
    them while it holds the record, rather than finding every record again in each tag table."""
    quote = connection.ops.quote_name
    record = f"{quote(Recommendation._meta.db_table)}.{quote(Recommendation._meta.pk.column)}"
    lists = []
    for relation, column, _vocabulary in TAGS:
        through = relation.through._meta
        joined = _joined(quote(through.get_field(column).column))
        left = quote(through.get_field("recommendation_id").column)
        table = quote(through.db_table)
        # Every name comes from the models; nothing from the request.
        subquery = f"SELECT {joined} FROM {table} t WHERE t.{left} = {record}"  # noqa: S608
        lists.append(f"COALESCE(({subquery}), '')")
    return RawSQL(f" || '{_TAGS_SEPARATOR}' || ".join(lists), ())  # noqa: S611


# An export of at least this many records that covers most of the table (at least half the ids
# between its first and its last) reads its tags once (see `TagIndex`): below it, reading them with
# each chunk costs little.
WHOLE_TABLE_MIN = 20_000


class TagIndex:
    """The tags of every record from a snapshot's `bottom` to its `top`, each tag table read once,
    in one scan in the order of its index (record, tag), rather than looked up for every record of
    every chunk (measured at 250,000 records: records and tags in about 4 s rather than 6.4 s on
    SQLite, the whole CSV in 10 s rather than 20 s on PostgreSQL). Each relation is held as one
    4-byte number per record, the index of its list of tags among the distinct lists (which
    thousands of records share), so 250,000 records take about 5 MB.

    Read only within `_one_read`, so that the tags are those of the records as every other query
    of the export reads them."""

    def __init__(self, vocab: Vocabulary, bottom: int, top: int) -> None:
        quote = connection.ops.quote_name
        # For each relation: each record's list (the record `bottom + i` at `i`), as an index into
        # `keys` and `tags`; the key of each distinct list (as `_tags_sql` reads it, "" for none)
        # and its vocabulary objects.
        self.bottom = bottom
        self.lists: list[array] = []
        self.keys: list[list[str]] = []
        self.tags: list[list[tuple]] = []
        self.positions: list[dict[str, int]] = []  # the index of each key
        for kind, (relation, column, _vocabulary) in enumerate(TAGS):
            through = relation.through._meta
            left = quote(through.get_field("recommendation_id").column)
            table = quote(through.db_table)
            joined = _joined(quote(through.get_field(column).column))
            lists = array("I", bytes(4 * (top - bottom + 1)))
            keys, index = [""], {"": 0}
            # On PostgreSQL a cursor of the server's, so that the rows come a batch at a time rather
            # than all at once (elsewhere a plain cursor, which already does); large batches, each
            # a round trip (25,000 rows hold about 3 MB).
            with connection.chunked_cursor() as cursor:
                # Every name comes from the models; the bounds are parameters.
                cursor.execute(
                    f"SELECT {left}, {joined} FROM {table} WHERE {left} BETWEEN %s AND %s GROUP BY {left}",  # noqa: S608
                    [bottom, top],
                )
                while rows := cursor.fetchmany(25_000):
                    for record, key in rows:
                        at = index.get(key)
                        if at is None:
                            at = index[key] = len(keys)
                            keys.append(key)
                        lists[record - bottom] = at
            self.lists.append(lists)
            self.keys.append(keys)
            self.positions.append(index)
            self.tags.append([vocab._tag_list(kind, key) for key in keys])
        vocab.index = self


@contextmanager
def _one_read() -> Iterator[str | None]:
    """Every query of the export within reads the database as it was when it began. Yields the
    name of that moment's snapshot where a second connection can read it too (PostgreSQL, when the
    export began its own transaction), else None.

    On SQLite a connection reads one snapshot while one of its statements is unfinished, so one is
    left unfinished (a read of the schema, which has more than one row). Writers are not held up
    (the database is in WAL mode), though the log cannot be checkpointed past that moment until the
    export ends, as with any long read; the export's own list of ids holds the snapshot the same
    way, but is finished before its last chunk is read.

    On PostgreSQL the export is one read-only REPEATABLE READ transaction, whose every query sees
    the snapshot of its first. Writers are not held up either (no lock beyond a reader's), though
    vacuum keeps the rows the snapshot may still read until the export ends. Within a transaction
    already open (a test's, say) its queries read as that transaction reads: the isolation of a
    transaction is set before its first query or not at all."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master")
            cursor.fetchone()
            yield
    elif connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            # Its snapshot, for a second connection to read the same moment (see `_Ahead`).
            cursor.execute("SELECT pg_export_snapshot()")
            yield cursor.fetchone()[0]
    else:
        yield


class _Read:
    """The rows of one chunk's `values_list` query, read by `_Ahead`'s connection."""

    def __init__(self, compiler, convert: dict, future: Future) -> None:
        self.compiler, self.convert, self.future = compiler, convert, future

    def rows(self) -> list:
        return self.future.result()


class _Ahead:
    """The records of each chunk of a whole-table export on PostgreSQL, read by a second connection
    in a thread while the chunk before is written. A chunk's thousand records lie all over the
    table (the export's order is not the table's), and the server took some 10 ms to look them
    up, a third of the export's time at 250,000 records, during which nothing was written.

    The second connection reads the export's own moment: a read-only REPEATABLE READ transaction
    on the snapshot the export's transaction exported (`SET TRANSACTION SNAPSHOT`), so both read
    the same records. It is opened with the settings of Django's (never from a pool) and closed
    at the end. Should it not open (the server's connections all taken, say), every chunk is read
    on the export's own connection, as without it."""

    def __init__(self, snapshot: str) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-ahead")
        self.db = None
        self.failed = False
        self.opened = self.pool.submit(self._open, connection.get_connection_params(), snapshot)

    def _open(self, params: dict, snapshot: str) -> None:
        db = psycopg.connect(**params)
        try:
            db.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            db.read_only = True
            db.execute(psql.SQL("SET TRANSACTION SNAPSHOT {}").format(psql.Literal(snapshot)))
        except BaseException:
            db.close()
            raise
        self.db = db

    def read(self, query: QuerySet, convert: dict) -> "_Read | None":
        """Start reading `query`'s rows; None when they are to be read on the export's connection."""
        if self.failed:
            return None
        try:
            self.opened.result()
        except psycopg.Error as exc:
            self.failed = True
            logger.warning("The export reads its records on one connection: %s", type(exc).__name__)
            return None
        compiler = query.query.get_compiler(query.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            done: Future = Future()
            done.set_result([])
            return _Read(compiler, convert, done)
        return _Read(compiler, convert, self.pool.submit(self._rows, sql, params))

    def _rows(self, sql: str, params) -> list:
        with self.db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def __enter__(self) -> "_Ahead":
        return self

    def __exit__(self, *exc) -> None:
        # The reads under way end first; then the connection (its transaction read only) closes.
        self.pool.shutdown(wait=True)
        if self.db is not None:
            self.db.close()


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
    """A recommendation's columns as read by `values_list` (`ROW_FIELDS`, then its tags when they
    are read with it, with its mechanism, state and document from the vocabulary), for the formats
    that only read values: the same attributes as the model instance, several times cheaper to
    make."""

    __slots__ = (*ROW_FIELDS, TAGS_ANNOTATION, "pk", "mechanism", "country", "document")

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
            *tags,
        ) = values  # in the order of ROW_FIELDS, then the tags if read
        self.export_tags = tags[0] if tags else ""
        self.pk = self.id
        self.mechanism = vocab.mechanisms[self.mechanism_id]
        self.country = vocab.countries[self.country_id]
        self.document = vocab.documents[self.document_id] if self.document_id else None


def _among(pks: list[int]) -> RawSQL:
    """The condition "the record is one of `pks`", as SQL: the ORM's `pk__in` would prepare each of
    the thousand ids of a chunk one by one, which costs a fifth of reading the records. On
    PostgreSQL the ids are one parameter, an array: the driver would otherwise parse a query of a
    thousand placeholders for every chunk (a tenth of the export's time)."""
    quote = connection.ops.quote_name
    column = f"{quote(Recommendation._meta.db_table)}.{quote(Recommendation._meta.pk.column)}"
    ids = [int(pk) for pk in pks]
    # The names come from the model; the ids are passed as parameters.
    if connection.vendor == "postgresql":
        return RawSQL(f"{column} = ANY(%s)", [ids], output_field=BooleanField())  # noqa: S611
    placeholders = ", ".join(["%s"] * len(ids))
    return RawSQL(f"{column} IN ({placeholders})", ids, output_field=BooleanField())  # noqa: S611


def _sqlite_datetime(zone) -> Callable:
    """Django's SQLite converter for a datetime (`convert_datetimefield_value`), less its checks and
    its look-ups of the settings and the connection's time zone (`zone`) for every value: the
    value is read as a naive datetime (the connection parses the column's declared type) in that
    time zone."""

    def convert(value):
        if value is None:
            return value
        if not isinstance(value, dt.datetime):
            value = parse_datetime(value)
        if zone is not None and value.tzinfo is None:
            value = value.replace(tzinfo=zone)  # `make_aware`
        return value

    return convert


def _sqlite_boolean(value):
    """Django's SQLite converter for a boolean (`convert_booleanfield_value`)."""
    return bool(value) if value in (1, 0) else value


def _values(qs: QuerySet, convert: dict[int, Callable | None] | None = None) -> list:
    """The rows of a `values_list` queryset, as it reads them, the columns at the positions of
    `convert` passed through its functions instead of Django's converters (None: as read). On
    SQLite the datetime and boolean columns are converted by the two functions above, which do
    what Django's converters do for the values SQLite holds, a fifth of the cost: Django's (each
    through several checks) were a third of the time spent reading a record there. Elsewhere,
    Django's converters."""
    compiler = qs.query.get_compiler(qs.db)
    return _converted(compiler, [row for chunk in compiler.execute_sql(MULTI) for row in chunk], convert)


def _converted(compiler, rows: list, convert: dict[int, Callable | None] | None) -> list:
    """`rows` of `compiler`'s query converted as `_values` says (also the rows `_Ahead` read)."""
    converters = compiler.get_converters([col for col, _sql, _alias in compiler.select[: compiler.col_count]])
    convert = convert or {}
    converters = {at: functions for at, functions in converters.items() if at not in convert}
    fast: dict[int, Callable] | None = {}
    if converters and connection.vendor == "sqlite":
        for at, (_functions, expression) in converters.items():
            field = expression.output_field
            if isinstance(field, DateTimeField):
                fast[at] = _sqlite_datetime(connection.timezone if settings.USE_TZ else None)
            elif isinstance(field, BooleanField):
                fast[at] = _sqlite_boolean
            else:  # a column the export does not read today: as Django converts it
                fast = None
                break
    if converters and (fast is None or connection.vendor != "sqlite"):
        rows = list(compiler.apply_converters(rows, converters))
        fast = {}
    fast.update(convert)
    functions = [(at, function) for at, function in fast.items() if function is not None]
    if not functions:
        return rows
    out = []
    for row in rows:
        row = list(row)
        for at, function in functions:
            row[at] = function(row[at])
        out.append(row)
    return out


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _from_microseconds(value: int | None) -> dt.datetime | None:
    """A time read as microseconds since 1970 (`_microseconds`), as an aware datetime in UTC."""
    return None if value is None else _EPOCH + dt.timedelta(microseconds=value)


def _microseconds(column: str) -> RawSQL:
    """The time in `column` of a record as a whole number of microseconds since 1970 (exact: the
    epoch is a numeric). On PostgreSQL, the driver's own reading of a time (in Python, through
    Django's time-zone loader) cost a tenth of an export; an integer is read in C."""
    quote = connection.ops.quote_name
    name = f"{quote(Recommendation._meta.db_table)}.{quote(Recommendation._meta.get_field(column).column)}"
    # The names come from the model.
    return RawSQL(f"(EXTRACT(EPOCH FROM {name}) * 1000000)::bigint", (), output_field=BigIntegerField())  # noqa: S611


def _row_columns(unread: tuple[str, ...]) -> tuple[list, dict[int, Callable | None]]:
    """What `values_list` selects for ROW_FIELDS (a column in `unread` as NULL: a format that does
    not read it does not pay for it), and the functions that make its values those of the model
    fields (`_values`)."""
    columns: list = []
    convert: dict[int, Callable | None] = {}
    for at, name in enumerate(ROW_FIELDS):
        field = Recommendation._meta.get_field(name)
        if name in unread:
            columns.append(Value(None, output_field=field))
            convert[at] = None  # None as it is
        elif isinstance(field, DateTimeField) and connection.vendor == "postgresql" and settings.USE_TZ:
            columns.append(_microseconds(name))
            convert[at] = _from_microseconds
        else:
            columns.append(name)
    return columns, convert


def _row_query(qs: QuerySet, pks: list[int], *, tags: bool, unread: tuple[str, ...]) -> tuple[QuerySet, dict]:
    """The `values_list` query of the `Row`s of `pks` still in `qs` (see `_records`), and its
    `_values` conversions."""
    qs = qs.filter(_among(pks)).order_by()
    if tags:
        qs = qs.annotate(**{TAGS_ANNOTATION: _tags_sql()})
    columns, convert = _row_columns(unread)
    return qs.values_list(*columns, *([TAGS_ANNOTATION] if tags else [])), convert


def _records(
    qs: QuerySet,
    pks: list[int],
    vocab: Vocabulary,
    *,
    light: bool,
    tags: bool = True,
    unread: tuple[str, ...] = (),
    read: "_Read | None" = None,
) -> list:
    """The records of `pks` still in `qs`, with their tags as TAGS_ANNOTATION when `tags` (else
    they come from a `TagIndex`). With `light`, as `Row`s, the columns of `unread` left None (the
    rows read ahead by `_Ahead` when `read` is given)."""
    if not pks:
        return []
    if light:
        if read is not None:
            values = _converted(read.compiler, read.rows(), read.convert)
        else:
            values = _values(*_row_query(qs, pks, tags=tags, unread=unread))
        _documents(vocab, {v[3] for v in values if v[3]})
        return [Row(v, vocab) for v in values]
    qs = qs.filter(_among(pks)).order_by()
    if tags:
        qs = qs.annotate(**{TAGS_ANNOTATION: _tags_sql()})
    # The search text is a second copy of the texts: never read for an export.
    recs = list(qs.select_related(None).defer("search_document"))
    _documents(vocab, {r.document_id for r in recs if r.document_id})
    for rec in recs:
        _REC_MECHANISM.set_cached_value(rec, vocab.mechanisms[rec.mechanism_id])
        _REC_COUNTRY.set_cached_value(rec, vocab.countries[rec.country_id])
        _REC_DOCUMENT.set_cached_value(rec, vocab.documents[rec.document_id] if rec.document_id else None)
    return recs


def _load(
    qs: QuerySet,
    keys: list[tuple],
    vocab: Vocabulary,
    *,
    light: bool = False,
    index: TagIndex | None = None,
    unread: tuple[str, ...] = (),
    read: "_Read | None" = None,
) -> list[Entry]:
    pks = [k[0] for k in keys]
    found = {
        r.pk: r for r in _records(qs, pks, vocab, light=light, tags=index is None, unread=unread, read=read)
    }
    out = []
    if index is None:
        states, themes, groups, goals, targets = vocab._tags
        for key in keys:
            rec = found.get(key[0])
            if rec is None:  # withdrawn or deleted since the ids were read
                continue
            tag_keys = tuple(getattr(rec, TAGS_ANNOTATION).split(_TAGS_SEPARATOR))
            s, t, g, o, r = tag_keys  # in the order of TAGS
            out.append(Entry(rec, states[s], themes[t], groups[g], goals[o], targets[r], key[1:], tag_keys))
        return out
    # Each relation's lists, keys and tags as local names: this loop runs once per record.
    bottom = index.bottom
    s_at, t_at, g_at, o_at, r_at = index.lists
    s_key, t_key, g_key, o_key, r_key = index.keys
    s_tags, t_tags, g_tags, o_tags, r_tags = index.tags
    for key in keys:
        rec = found.get(key[0])
        if rec is None:  # withdrawn or deleted since the ids were read
            continue
        pk = rec.pk - bottom
        s, t, g, o, r = s_at[pk], t_at[pk], g_at[pk], o_at[pk], r_at[pk]
        out.append(
            Entry(
                rec,
                s_tags[s],
                t_tags[t],
                g_tags[g],
                o_tags[o],
                r_tags[r],
                key[1:],
                (s_key[s], t_key[t], g_key[g], o_key[o], r_key[r]),
            )
        )
    return out


def entries(
    qs: QuerySet,
    *,
    extra: tuple[str, ...] = (),
    rows: QuerySet | None = None,
    enrich: Callable[[list[Entry]], None] | None = None,
    chunk_size: int | None = None,
    vocab: Vocabulary | None = None,
    light: bool = False,
    unread: tuple[str, ...] = (),
    snap: Snapshot | None = None,
) -> Iterator[Entry]:
    """The records of `qs` in its order, as Entries, a chunk at a time. `extra` names annotations
    read with the ids (the matrix groups by one); the records themselves are fetched from `rows`
    (by default `qs`; a queryset without costly annotations); `enrich` adds to each chunk. With
    `light`, each Entry's `rec` is a `Row` of values rather than a model instance, without the
    columns of ROW_FIELDS named in `unread` (None: the format does not read them). `snap` is the
    snapshot `qs` is (`Snapshot.queryset`): an export that covers most of the table
    then reads the tags once (`TagIndex`), all of it in one read (`_one_read`)."""
    size = chunk_size or CHUNK_SIZE
    vocab = vocab or Vocabulary()
    source = qs if rows is None else rows
    whole = (
        snap is not None and snap.count >= WHOLE_TABLE_MIN and 2 * snap.count >= snap.top - snap.bottom + 1
    )
    with _one_read() if whole else nullcontext() as moment:
        index = TagIndex(vocab, snap.bottom, snap.top) if whole else None

        def load(keys: list[tuple], read: _Read | None = None) -> list[Entry]:
            chunk = _load(source, keys, vocab, light=light, index=index, unread=unread, read=read)
            if enrich:
                enrich(chunk)
            return chunk

        def batches() -> Iterator[list[tuple]]:
            # The ids (small rows) are fetched ten chunks at a time: on PostgreSQL each fetch from
            # the server's cursor is a round trip, which a busy machine makes long.
            batch: list[tuple] = []
            for key in qs.values_list("pk", *extra).iterator(chunk_size=10 * size):
                batch.append(key)
                if len(batch) >= size:
                    yield batch
                    batch = []
            if batch:
                yield batch

        if not (moment and light and index is not None):
            for keys in batches():
                yield from load(keys)
            return
        # Each chunk's records are read ahead by a second connection, on this moment's snapshot,
        # while the chunk before is written (see `_Ahead`).
        with _Ahead(moment) as ahead:
            pending: tuple[list[tuple], _Read | None] | None = None
            for keys in batches():
                started = (
                    keys,
                    ahead.read(*_row_query(source, [k[0] for k in keys], tags=False, unread=unread)),
                )
                if pending is not None:
                    yield from load(*pending)
                pending = started
            if pending is not None:
                yield from load(*pending)


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
