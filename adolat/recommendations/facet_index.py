"""The facet counts of the list of recommendations, counted in memory.

Counting every facet of a large result in SQL costs a pass over the result per facet and a join
with each tag table: at 250,000 recommendations, 0.5 to 1.5 s for a list filtered to 80,000 or a
common search term, on SQLite and PostgreSQL alike. This index holds, per process, what those
counts read — for every recommendation its published flag and facet columns, and the pairs
(recommendation, term) of each tag table — as numpy arrays indexed by the recommendation's id
(some 15 MB at 250,000), and counts a facet with one vectorised pass (a few milliseconds).
Nothing is counted in advance: each request counts for its own filters. The rows of the page
itself are still read from the database.

It follows the database through the audit log, the log of every change: each request asks (one
query) for the log's last entry, the hash of the entry the index was built up to, the highest id
of the recommendations and a generation the signals of models.py move when a record is deleted or
loses a tag outside the services. Recommendations named by entries added since are read again
(appends are serialised until their transaction ends, so the log's order is the order of
commits, see adolat.lib.models.append); a changed generation, a log that no longer holds the
entry the index was built up to (a restore, a rolled-back test), or a recommendation the log did
not name rebuild the index from the tables.

`counts(user, filters)` answers as `selectors.facet_counts` does on the database, in the same
shape ({facet: {value as text: count}} and TOTAL); tests compare the two.
"""

import threading
import uuid
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection

from .models import AffectedGroup, FacetCountSnapshot, Mechanism, Recommendation, Theme

# FacetCountSnapshot's row holding the generation (see models._drop_facet_counts).
GENERATION = "generation"
# FacetCountSnapshot's row holding the vocabulary stamp (see models._vocabulary_written, terms.py).
VOCABULARY = "vocabulary"
TOTAL = "_total"
# Beyond this highest id per row (ids of a sparse sequence), the arrays would mostly hold gaps:
# the counts are left to the database.
MAX_SPARSENESS = 4
SPARSE_SLACK = 100_000

_RECOMMENDATION = Recommendation._meta.label_lower
# Facets counted from a column of the recommendation: facet name → column (selectors' SQL counts use
# the same). `country` (the state under review) filters but is not counted.
COLUMN_FACETS = {
    "mechanism": "mechanism_id",
    "document": "document_id",
    "position": "position",
    "status": "status",
    "year": "year",
}
_COLUMNS = {**COLUMN_FACETS, "country": "country_id"}
# Columns holding text: their values are given small integer codes.
_CODED = {"position", "status", "country"}
# Facets read from a many-to-many table: facet name → the relation (the same for the SQL counts).
_RELATIONS = RELATION_FACETS = {
    "theme": Recommendation.themes,
    "group": Recommendation.affected_groups,
    "sdg": Recommendation.sdg_goals,
    "state": Recommendation.recommending_states,
}
# Recommending states are countries: the same codes as the state under review.
_RELATION_CODES = {"state": "country"}
# Filters given as codes that are looked up to the stored ids.
_BY_CODE = {"mechanism": Mechanism, "theme": Theme, "group": AffectedGroup}
# Up to this many selected records (a rare search term), a facet is counted from those records
# alone: their cells of the columns, their pairs found by binary search in the pairs, which are
# kept ordered by record. A larger selection is counted in one pass over all of them.
SMALL_SELECTION = 2_000


def enabled() -> bool:
    return getattr(settings, "ADOLAT_FACET_INDEX", True)


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def relation_columns(descriptor) -> tuple[str, str, str]:
    """(table, recommendation column, term column) of a many-to-many field's table."""
    field = descriptor.field
    through = descriptor.through._meta
    return (
        through.db_table,
        through.get_field(field.m2m_field_name()).column,
        through.get_field(field.m2m_reverse_field_name()).column,
    )


class _Codes:
    """Small integer codes for text values (and back)."""

    def __init__(self):
        self.code: dict[str, int] = {}
        self.value: list[str] = []

    def of(self, value) -> int:
        if value is None:
            return -1
        code = self.code.get(value)
        if code is None:
            code = self.code[value] = len(self.value)
            self.value.append(value)
        return code

    def find(self, values) -> list[int]:
        return [self.code[v] for v in values if v in self.code]


@dataclass
class _State:
    last_seq: int  # the end of the audit log
    last_hash: str | None  # the hash of its last entry
    hash_at: str | None  # the hash of the entry the index was built up to, as stored now
    generation: str | None
    max_id: int
    vocabulary: str = ""  # the vocabulary stamp (terms.py)
    count: int | None = None  # the number of recommendations, read by a build


class FacetIndex:
    def __init__(self):
        self.size = 0
        self.present = np.zeros(0, dtype=bool)
        self.published = np.zeros(0, dtype=bool)
        self.columns = {name: np.zeros(0, dtype=np.int32) for name in _COLUMNS}
        self.codes = {name: _Codes() for name in _CODED}
        # Per relation, (records, terms): the pairs ordered by record.
        self.pairs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.last_seq = 0
        self.last_hash: str | None = None
        self.generation: str | None = None
        self.max_id = 0
        self.vocabulary: str | None = None  # the vocabulary stamp read by the last refresh
        self.builds = 0  # full builds, for tests and the benchmark
        self.sparse = False
        self._rank_cache: dict[str, np.ndarray] = {}

    def nbytes(self) -> int:
        """The memory the arrays hold."""
        arrays = [self.present, self.published, *self.columns.values()]
        arrays += [a for pair in self.pairs.values() for a in pair]
        return sum(a.nbytes for a in arrays)

    # --- reading the database ---------------------------------------------------------------

    def state(self) -> _State:
        from adolat.lib.models import AuditEntry

        audit = _qn(AuditEntry._meta.db_table)
        snapshot = _qn(FacetCountSnapshot._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (SELECT MAX(seq) FROM {audit}),"  # noqa: S608 — table names only
                f" (SELECT hash FROM {audit} WHERE seq = (SELECT MAX(seq) FROM {audit})),"
                f" (SELECT hash FROM {audit} WHERE seq = %s),"
                f" (SELECT fingerprint FROM {snapshot} WHERE scope = %s),"
                f" (SELECT MAX(id) FROM {_qn(Recommendation._meta.db_table)}),"
                f" (SELECT fingerprint FROM {snapshot} WHERE scope = %s)",
                [self.last_seq, GENERATION, VOCABULARY],
            )
            last_seq, last_hash, hash_at, generation, max_id, vocabulary = cursor.fetchone()
        return _State(last_seq or 0, last_hash, hash_at, generation, max_id or 0, vocabulary or "")

    def _rows(self, ids: list[int] | None):
        """(id, is_published, facet columns…) of the given recommendations, or of all."""
        columns = ", ".join(_qn(c) for c in _COLUMNS.values())
        sql = f"SELECT id, is_published, {columns} FROM {_qn(Recommendation._meta.db_table)}"  # noqa: S608
        return self._fetch(sql, ids, "id")

    def _pairs_of(self, name: str, ids: list[int] | None):
        table, rec_col, term_col = relation_columns(_RELATIONS[name])
        sql = f"SELECT {_qn(rec_col)}, {_qn(term_col)} FROM {_qn(table)}"  # noqa: S608
        return self._fetch(sql, ids, _qn(rec_col))

    def _fetch(self, sql: str, ids: list[int] | None, id_column: str) -> list[tuple]:
        with connection.cursor() as cursor:
            if ids is None:
                cursor.execute(sql)
                return cursor.fetchall()
            out = []
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                cursor.execute(f"{sql} WHERE {id_column} IN ({', '.join(['%s'] * len(chunk))})", chunk)
                out += cursor.fetchall()
            return out

    # --- building and following -------------------------------------------------------------

    def _grow(self, max_id: int) -> None:
        size = max_id + 1
        if size <= self.size:
            return
        size = max(size, int(self.size * 1.25) + 1024)
        extra = size - self.size
        self.present = np.concatenate([self.present, np.zeros(extra, dtype=bool)])
        self.published = np.concatenate([self.published, np.zeros(extra, dtype=bool)])
        for name, column in self.columns.items():
            self.columns[name] = np.concatenate([column, np.full(extra, -1, dtype=np.int32)])
        self.size = size

    def _column_values(self, name: str, values: list):
        if name in self.codes:
            of = self.codes[name].of
            return [of(v) for v in values]
        return [-1 if v is None else v for v in values]

    def _term_values(self, name: str, values: list):
        coded = _RELATION_CODES.get(name)
        if coded:
            of = self.codes[coded].of
            return [of(v) for v in values]
        return values

    def _write_rows(self, rows: list[tuple]) -> None:
        if not rows:
            return
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        self._grow(int(ids.max()))
        self.present[ids] = True
        self.published[ids] = np.fromiter((bool(r[1]) for r in rows), dtype=bool, count=len(rows))
        for i, name in enumerate(_COLUMNS, start=2):
            self.columns[name][ids] = np.asarray(
                self._column_values(name, [r[i] for r in rows]), dtype=np.int32
            )

    def _pair_arrays(self, name: str, rows: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
        """(records, terms) of the rows, ordered by record."""
        recs = np.fromiter((r[0] for r in rows), dtype=np.int32, count=len(rows))
        terms = np.asarray(self._term_values(name, [r[1] for r in rows]), dtype=np.int32)
        order = np.argsort(recs, kind="stable")
        return recs[order], terms[order]

    def build(self, state: _State) -> None:
        """Everything again, from the tables. `state` is read before the tables, so that a change
        committed meanwhile is read again by the next refresh rather than missed. Ids too sparse
        for arrays (MAX_SPARSENESS) leave the index empty and `sparse`."""
        builds = self.builds
        self.__init__()
        self.builds = builds + 1
        rows = self._rows(None)
        highest = max((r[0] for r in rows), default=0)
        self.sparse = highest > MAX_SPARSENESS * len(rows) + SPARSE_SLACK
        if self.sparse:
            self._settle(state)
            return
        self._grow(highest)
        self._write_rows(rows)
        for name in _RELATIONS:
            self.pairs[name] = self._pair_arrays(name, self._pairs_of(name, None))
        self._settle(state)

    def _settle(self, state: _State) -> None:
        self.last_seq = state.last_seq
        self.last_hash = state.last_hash
        self.generation = state.generation
        self.max_id = state.max_id

    def _reload(self, ids: list[int]) -> None:
        """Read the given recommendations again (a deleted one is left out of every count)."""
        if not ids:
            return
        self._grow(max(ids))
        wanted = np.asarray(ids, dtype=np.int64)
        self.present[wanted] = False
        self._write_rows(self._rows(ids))
        for name in _RELATIONS:
            recs, terms = self.pairs[name]
            keep = ~np.isin(recs, wanted)
            recs, terms = recs[keep], terms[keep]
            new_recs, new_terms = self._pair_arrays(name, self._pairs_of(name, ids))
            at = np.searchsorted(recs, new_recs, side="right")  # still ordered by record
            self.pairs[name] = (np.insert(recs, at, new_recs), np.insert(terms, at, new_terms))

    def refresh(self) -> bool:
        """Follow the database; False when the ids are too sparse for arrays (count in SQL)."""
        state = self.state()
        serves = self._follow(state)
        self.vocabulary = state.vocabulary
        return serves

    def _follow(self, state: _State) -> bool:
        fresh = (
            self.builds
            and state.generation == self.generation
            and state.last_seq >= self.last_seq
            and (self.last_seq == 0 or state.hash_at == self.last_hash)
        )
        if not fresh:
            self.build(state)
            return not self.sparse
        if self.sparse:
            if state.max_id != self.max_id:  # perhaps dense again (a restore, a purge)
                self.build(state)
            return not self.sparse
        if state.last_seq > self.last_seq:
            from adolat.lib.models import AuditEntry

            changed = {
                int(pk)
                for pk in AuditEntry.objects.filter(seq__gt=self.last_seq, seq__lte=state.last_seq)
                .filter(object_type=_RECOMMENDATION)
                .order_by()
                .values_list("object_id", flat=True)
                .distinct()
                if str(pk).isdigit()
            }
            self._reload(sorted(changed))
            known_max = self.max_id
            self._settle(state)
            if state.max_id > known_max and state.max_id not in changed:
                # A recommendation the log did not name (written around the services).
                self.build(state)
        elif state.max_id != self.max_id:
            self.build(state)
        return not self.sparse

    # --- counting ---------------------------------------------------------------------------

    def _ids_to_mask(self, ids) -> np.ndarray:
        if not isinstance(ids, np.ndarray):
            ids = np.fromiter(ids, dtype=np.int64)
        mask = np.zeros(self.size, dtype=bool)
        mask[ids[(ids >= 0) & (ids < self.size)]] = True
        return mask

    def _filter_mask(self, name: str, values: list) -> np.ndarray:
        if name in _BY_CODE:
            values = list(_BY_CODE[name].objects.filter(code__in=values).values_list("pk", flat=True))
        if name in _RELATIONS:
            if name in _RELATION_CODES:
                values = self.codes[_RELATION_CODES[name]].find(values)
            recs, terms = self.pairs[name]
            return self._ids_to_mask(recs[np.isin(terms, np.asarray(values, dtype=np.int32))])
        if name in self.codes:
            values = self.codes[name].find(values)
        return np.isin(self.columns[name], np.asarray(values, dtype=np.int32))

    def _label(self, name: str, code: int) -> str:
        coded = name if name in self.codes else _RELATION_CODES.get(name)
        return self.codes[coded].value[code] if coded else str(code)

    def _count(self, name: str, mask: np.ndarray, ids: np.ndarray | None = None) -> dict[str, int]:
        """The counts of facet `name` among the records of `mask`; `ids`, when given, are those
        records (few, see SMALL_SELECTION)."""
        if name in _RELATIONS:
            recs, terms = self.pairs[name]
            selected = terms[mask[recs]] if ids is None else terms[_positions(recs, ids)[0]]
        else:
            selected = self.columns[name][mask if ids is None else ids]
            selected = selected[selected >= 0]
        if not len(selected):
            return {}
        values, counts = np.unique(selected, return_counts=True)
        return {self._label(name, int(v)): int(n) for v, n in zip(values, counts, strict=True)}

    def matching(self, *, visible_all: bool, filters) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The records visible and matching the search (`base`), and each facet filter's mask."""
        from . import search

        base = self.present.copy() if visible_all else self.present & self.published
        if filters.q:
            matching = search.matching_ids(filters.q)
            if matching is not None:
                with connection.cursor() as cursor:
                    cursor.execute(matching.sql, matching.params)
                    base &= self._ids_to_mask(row[0] for row in cursor.fetchall())
        masks = {
            name: self._filter_mask(name, getattr(filters, name))
            for name in (*_COLUMNS, *_RELATIONS)
            if getattr(filters, name)
        }
        return base, masks

    def counts(self, *, visible_all: bool, filters, counted: tuple[str, ...]) -> dict[str, dict[str, int]]:
        return self.select(visible_all=visible_all, filters=filters, counted=counted).counts

    def select(self, *, visible_all: bool, filters, counted: tuple[str, ...]) -> "Selection":
        base, masks = self.matching(visible_all=visible_all, filters=filters)
        everything = base.copy()
        for mask in masks.values():
            everything &= mask
        total = int(np.count_nonzero(everything))
        out: dict[str, dict[str, int]] = {TOTAL: {"": total}}
        few = self._few(everything, total)
        for name in counted:
            if name in masks:
                own = base.copy()
                for other, mask in masks.items():
                    if other != name:
                        own &= mask
                counted_values = self._count(name, own, self._few(own))
            else:
                counted_values = self._count(name, everything, few)
            if counted_values:
                out[name] = counted_values
        return Selection(self, out, everything, self.vocabulary)

    def tags(self, name: str, ids: list[int]) -> dict[int, list]:
        """The terms of relation `name` of each of the records `ids` (ids, or codes for states)."""
        recs, terms = self.pairs[name]
        ids = np.asarray(ids, dtype=np.int32)
        at, lengths = _positions(recs, ids)
        values = terms[at].tolist()
        coded = _RELATION_CODES.get(name)
        if coded:
            values = [self.codes[coded].value[v] for v in values]
        out, start = {}, 0
        for rec, length in zip(ids.tolist(), lengths.tolist(), strict=True):
            out[rec] = values[start : start + length]
            start += length
        return out

    @staticmethod
    def _few(mask: np.ndarray, total: int | None = None) -> np.ndarray | None:
        """The records of `mask` when there are few of them (SMALL_SELECTION), else None."""
        if total is None:
            total = int(np.count_nonzero(mask))
        if total > SMALL_SELECTION:
            return None
        return np.flatnonzero(mask).astype(np.int32)

    # --- ordering ---------------------------------------------------------------------------

    def _ranks(self, name: str) -> np.ndarray:
        """Each code's place among the column's values in the database's own collation (asked of
        the database, so that the order is the one ORDER BY gives)."""
        values = self.codes[name].value
        if len(values) != len(self._rank_cache.get(name, ())):
            ordered = []
            if values:
                with connection.cursor() as cursor:
                    rows = ", ".join(["(%s)"] * len(values))
                    cursor.execute(f"SELECT column1 FROM (VALUES {rows}) AS v ORDER BY column1", values)  # noqa: S608
                    ordered = [row[0] for row in cursor.fetchall()]
            place = {value: i for i, value in enumerate(ordered)}
            self._rank_cache[name] = np.asarray([place[v] for v in values], dtype=np.int64)
        return self._rank_cache[name]

    def ordered_ids(self, mask: np.ndarray, order: tuple[str, ...], offset: int, limit: int) -> list[int]:
        """The ids of `mask` in the order of ORDER BY `order` (Django's "-field" notation), rows
        offset to offset + limit, with NULLs where the database puts them."""
        ids = np.flatnonzero(mask)
        if not len(ids) or limit <= 0:
            return []
        null = np.iinfo(np.int64).max if connection.features.nulls_order_largest else -1
        keys = []
        for term in order:
            name = term.lstrip("-")
            if name == "id":
                key = ids.astype(np.int64)
            else:
                facet = {"document_id": "document"}.get(name, name)
                codes = self.columns[facet][ids].astype(np.int64)
                if facet in self.codes:
                    ranks = self._ranks(facet)
                    key = np.where(codes >= 0, ranks[np.maximum(codes, 0)] if len(ranks) else 0, null)
                else:
                    key = np.where(codes >= 0, codes, null)
            keys.append(-key if term.startswith("-") else key)
        # np.lexsort sorts by its last key first.
        order_of = np.lexsort(keys[::-1])
        return [int(i) for i in ids[order_of[offset : offset + limit]]]


def _positions(recs: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the pairs of the records `ids` (int32) are in `recs` (ordered): their positions, record
    after record, and how many each record has."""
    starts = np.searchsorted(recs, ids, side="left")
    lengths = np.searchsorted(recs, ids, side="right") - starts
    # starts[i] … starts[i] + lengths[i] - 1 for every record, in one array.
    firsts = np.cumsum(lengths) - lengths
    return np.repeat(starts - firsts, lengths) + np.arange(lengths.sum()), lengths


@dataclass
class Selection:
    """What one filter set selects: the facet counts, and the pages of the selected records."""

    index: FacetIndex
    counts: dict[str, dict[str, int]]
    mask: np.ndarray
    vocabulary: str | None = None  # the vocabulary stamp read with the counts (terms.py)

    def page_ids(self, order: tuple[str, ...], offset: int, limit: int) -> list[int]:
        with _lock:
            return self.index.ordered_ids(self.mask, order, offset, limit)

    def tags(self, name: str, ids: list[int]) -> dict[int, list]:
        with _lock:
            return self.index.tags(name, ids)


_index = FacetIndex()
_lock = threading.RLock()


def select(*, visible_all: bool, filters, counted: tuple[str, ...]) -> Selection | None:
    """The facet counts and the pages of `filters` from the index, brought up to date first; None
    when the index cannot serve (ids too sparse), and the caller asks the database."""
    with _lock:
        if not _index.refresh():
            return None
        return _index.select(visible_all=visible_all, filters=filters, counted=counted)


def counts(*, visible_all: bool, filters, counted: tuple[str, ...]) -> dict[str, dict[str, int]] | None:
    selection = select(visible_all=visible_all, filters=filters, counted=counted)
    return selection.counts if selection is not None else None


def reset() -> None:
    """Forget the index and the terms read under its vocabulary stamp (tests start each from their
    own database)."""
    from . import terms  # here: the arrays' local `terms` would hide the module

    global _index
    with _lock:
        _index = FacetIndex()
        terms.forget()


def builds() -> int:
    return _index.builds


def new_generation() -> str:
    return uuid.uuid4().hex
