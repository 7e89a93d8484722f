"""The open-data JSON format (docs/open-data.md describes every field).

One object: a header (format, version, when, how many, which filters) and `recommendations`, one
object per recommendation with the text in every language and codes for every vocabulary, so the
file means the same in any language and loads back into an empty instance (see `load`).

Written as a stream: the header, then one line per record, so memory does not grow with the number
of records, and two exports of the same data differ only in `generated_at`.
"""

import datetime as dt
import json
from collections.abc import Iterator

from django.utils import timezone

from adolat.recommendations import selectors
from adolat.recommendations.models import SourceDocument

from .common import Entry, buffered, entries, identity_key, snapshot

FORMAT_NAME = "adolat-recommendations"
FORMAT_VERSION = "1.0"
LANGUAGES = ("tg", "ru", "en")


def timestamp(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with microseconds, so a load restores the exact value."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat()


def _texts(obj, field: str) -> dict[str, str]:
    return {code: getattr(obj, f"{field}_{code}", "") or "" for code in LANGUAGES}


def document_record(doc: SourceDocument) -> dict:
    return {
        "symbol": doc.symbol,
        "mechanism": doc.mechanism.code,
        "country": doc.country_id,
        "session": doc.session,
        "cycle": doc.cycle,
        "year": doc.year,
        "date": doc.date.isoformat() if doc.date else None,
        "title": _texts(doc, "title"),
    }


def recommendation_record(entry: Entry, documents: dict | None = None) -> dict:
    """One recommendation as the open-data format writes it. Lists of codes are sorted so that the
    same record always serialises the same way. `documents` keeps each document's record once made
    (a stream names the same documents again and again)."""
    rec = entry.rec
    states = [c.code for c in entry.states]
    document = None
    if rec.document_id:
        document = documents.get(rec.document_id) if documents is not None else None
        if document is None:
            document = document_record(rec.document)
            if documents is not None:
                documents[rec.document_id] = document
    return {
        "natural_key": identity_key(rec, states),
        "country": rec.country_id,
        "mechanism": rec.mechanism.code,
        "document": document,
        "paragraph": rec.paragraph,
        "year": rec.year,
        "text": _texts(rec, "text"),
        "original_language": rec.original_language,
        "recommending_states": sorted(states),
        "position": rec.position,
        "position_note": rec.position_note,
        "status": rec.status,
        "is_published": rec.is_published,
        "themes": sorted(t.code for t in entry.themes),
        "affected_groups": sorted(g.code for g in entry.groups),
        "sdg_goals": sorted(g.number for g in entry.goals),
        "sdg_targets": sorted((t.code for t in entry.targets), key=_target_order),
        "created": timestamp(rec.created),
        "updated": timestamp(rec.updated),
    }


def _target_order(code: str) -> tuple:
    """16.3 before 16.10, 16.a after 16.10 (targets are numbered, then lettered)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.split("."))


def filters_record(filters: selectors.Filters) -> dict:
    out: dict = {}
    if filters.q:
        out["q"] = filters.q
    for facet in filters.FACETS:
        values = getattr(filters, facet)
        if values:
            out[facet] = list(values)
    if filters.sort != selectors.DEFAULT_SORT:
        out["sort"] = filters.sort
    return out


# One encoder for the whole stream (json.dumps with these options would make one per record).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def _dumps(value) -> str:
    return _ENCODER.encode(value)


def json_stream(qs, *, filters: selectors.Filters, published_only: bool, now=None) -> Iterator[bytes]:
    """The file as UTF-8 pieces: the header first, then each record on its own line."""
    snap = snapshot(qs)
    header = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "generated_at": timestamp(now or timezone.now()),
        "count": snap.count,
        "published_only": published_only,
        "filters": filters_record(filters),
    }

    def pieces() -> Iterator[bytes]:
        head = ",\n".join(f"  {_dumps(k)}: {_dumps(v)}" for k, v in header.items())
        yield ("{\n" + head + ',\n  "recommendations": [').encode()
        separator = "\n    "
        documents: dict[int, dict] = {}
        for entry in entries(snap.queryset, light=True):
            yield (separator + _dumps(recommendation_record(entry, documents))).encode()
            separator = ",\n    "
        yield b"\n  ]\n}\n"

    return buffered(pieces())
