"""The terms a list page names, kept per process.

The facets and rows of the list name mechanisms, documents, states, themes, groups and goals.
Read from the database, that is six queries and two prefetches on every list page, more than half
of the time of a page that finds a few records. This cache keeps the terms read so far (model
instances, so that names are translated when shown) and forgets them all when the vocabulary stamp
moves: a row of FacetCountSnapshot that models.py moves whenever one of those terms is saved or
deleted, read by the facet index in the query it makes on every request anyway
(facet_index.FacetIndex.state). A term not known yet (a new one, or one written without signals,
as `adolat load-vocabularies` inserts them) is read from the database when asked for. Only the
terms asked for are kept (documents run into the thousands at the UN's scale), and of every term
its place in the model's order as the database sorts (one query per vocabulary and stamp).

Without a stamp read in this request (the facet index turned off or not serving), `lookup` reads
the database, as it always did.
"""

import threading
from collections.abc import Iterable

from django.db.models import Q

_lock = threading.Lock()
_stamp: str | None = None
# (model, key field, value field) → {field: {value: term}}.
_known: dict[tuple, dict[str, dict]] = {}
# model → {primary key: place in the model's order}.
_rank: dict[type, dict] = {}


def _ranks(model) -> dict:
    """Each term's place in the model's default order, as the database sorts it (its collation,
    its place for empty values): the primary keys of every term, in order, one query."""
    return {pk: i for i, pk in enumerate(model.objects.values_list("pk", flat=True))}


def lookup(model, stamp: str | None, **wanted: Iterable) -> list:
    """The terms of `model` whose field `f` has one of the values `wanted[f]` (two fields at most,
    for instance pk=[3, 5], code=["torture"]), each once, in the model's order. From the cache when
    `stamp` is the vocabulary stamp read in this request, else from the database."""
    wanted = {field: set(values) for field, values in wanted.items()}
    if stamp is None:
        condition = Q()
        for field, values in wanted.items():
            condition |= Q(**{f"{field}__in": values})
        return list(model.objects.filter(condition)) if condition else []
    global _stamp
    with _lock:
        if stamp != _stamp:
            _known.clear()
            _rank.clear()
            _stamp = stamp
        known = _known.setdefault((model, *wanted), {field: {} for field in wanted})
        missing = {field: values - known[field].keys() for field, values in wanted.items()}
        if any(missing.values()):
            condition = Q()
            for field, values in missing.items():
                if values:
                    condition |= Q(**{f"{field}__in": values})
            for term in model.objects.filter(condition):
                for field in wanted:
                    known[field][getattr(term, field)] = term
                if term.pk not in _rank.get(model, ()):
                    _rank.pop(model, None)  # a term the order was read without
        found = {}
        for field, values in wanted.items():
            for value in values:
                term = known[field].get(value)
                if term is not None:
                    found[term.pk] = term
        if model not in _rank:
            _rank[model] = _ranks(model)
        rank = _rank[model]
    return sorted(found.values(), key=lambda term: rank.get(term.pk, len(rank)))


def forget() -> None:
    """Forget every term (tests start each from their own database)."""
    global _stamp
    with _lock:
        _known.clear()
        _rank.clear()
        _stamp = None
