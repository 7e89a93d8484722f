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
from json.encoder import encode_basestring

from django.utils import timezone

from adolat.recommendations import selectors
from adolat.recommendations.models import SourceDocument

from .common import (
    GOALS,
    GROUPS,
    STATES,
    TARGETS,
    THEMES,
    Entry,
    Memo,
    TagMemo,
    Vocabulary,
    buffered,
    entries,
    identity_key,
    snapshot,
)

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


class Shared:
    """What the records of one export share, made once: each document's record and each distinct
    list of tags as sorted codes (by `Entry.tag_keys`), and their JSON. A stream names the same
    documents and lists again and again; the records hold these very objects, never changed."""

    def __init__(self, vocab: Vocabulary) -> None:
        tags = vocab.tags
        self.documents = Memo(lambda pk: document_record(vocab.documents[pk]) if pk else None)
        self.states = TagMemo(lambda key: sorted(c.code for c in tags(STATES, key)), vocab, STATES)
        self.themes = TagMemo(lambda key: sorted(t.code for t in tags(THEMES, key)), vocab, THEMES)
        self.groups = TagMemo(lambda key: sorted(g.code for g in tags(GROUPS, key)), vocab, GROUPS)
        self.goals = TagMemo(lambda key: sorted(g.number for g in tags(GOALS, key)), vocab, GOALS)
        self.targets = TagMemo(
            lambda key: sorted((t.code for t in tags(TARGETS, key)), key=_target_order), vocab, TARGETS
        )
        # As JSON, by the same keys (made from the same values, which the stream need not keep);
        # and each mechanism's code and each value of the columns that take few values (one memo
        # per column: True and 1 are the same key).
        self.json = {"document": Memo(lambda pk: _dumps(self.documents.make(pk)))}
        for name, memo in (
            ("recommending_states", self.states),
            ("themes", self.themes),
            ("affected_groups", self.groups),
            ("sdg_goals", self.goals),
            ("sdg_targets", self.targets),
        ):
            self.json[name] = TagMemo(lambda key, make=memo.make: _dumps(make(key)), vocab, memo.kind)
        self.json["mechanism"] = Memo(lambda pk: _dumps(vocab.mechanisms[pk].code))
        for name in ("country", "year", "original_language", "position", "status", "is_published"):
            self.json[name] = Memo(_dumps)


def recommendation_record(entry: Entry, shared: Shared) -> dict:
    """One recommendation as the open-data format writes it. Lists of codes are sorted so that the
    same record always serialises the same way."""
    rec = entry.rec
    states, themes, groups, goals, targets = entry.tag_keys
    return {
        # The states are read only for a record without a natural key (entered by hand).
        "natural_key": rec.natural_key or identity_key(rec, [c.code for c in entry.states]),
        "country": rec.country_id,
        "mechanism": rec.mechanism.code,
        "document": shared.documents[rec.document_id],
        "paragraph": rec.paragraph,
        "year": rec.year,
        "text": {"tg": rec.text_tg or "", "ru": rec.text_ru or "", "en": rec.text_en or ""},
        "original_language": rec.original_language,
        "recommending_states": shared.states[states],
        "position": rec.position,
        "position_note": rec.position_note,
        "status": rec.status,
        "is_published": rec.is_published,
        "themes": shared.themes[themes],
        "affected_groups": shared.groups[groups],
        "sdg_goals": shared.goals[goals],
        "sdg_targets": shared.targets[targets],
        "created": timestamp(rec.created),
        "updated": timestamp(rec.updated),
    }


def record_json(entry: Entry, shared: Shared) -> str:
    """`_dumps(recommendation_record(entry, shared))`, several times faster: the JSON of what
    records share is made once (`Shared.json`), and only the record's own texts and times are
    encoded here. The keys and separators are those of `_ENCODER`."""
    rec = entry.rec
    states, themes, groups, goals, targets = entry.tag_keys
    json_of = shared.json
    return "".join(
        (
            '{"natural_key": ',
            _string(rec.natural_key or identity_key(rec, [c.code for c in entry.states])),
            ', "country": ',
            json_of["country"][rec.country_id],
            ', "mechanism": ',
            json_of["mechanism"][rec.mechanism_id],
            ', "document": ',
            json_of["document"][rec.document_id],
            ', "paragraph": ',
            _string(rec.paragraph),
            ', "year": ',
            json_of["year"][rec.year],
            ', "text": {"tg": ',
            _string(rec.text_tg or ""),
            ', "ru": ',
            _string(rec.text_ru or ""),
            ', "en": ',
            _string(rec.text_en or ""),
            '}, "original_language": ',
            json_of["original_language"][rec.original_language],
            ', "recommending_states": ',
            json_of["recommending_states"][states],
            ', "position": ',
            json_of["position"][rec.position],
            ', "position_note": ',
            _string(rec.position_note),
            ', "status": ',
            json_of["status"][rec.status],
            ', "is_published": ',
            json_of["is_published"][rec.is_published],
            ', "themes": ',
            json_of["themes"][themes],
            ', "affected_groups": ',
            json_of["affected_groups"][groups],
            ', "sdg_goals": ',
            json_of["sdg_goals"][goals],
            ', "sdg_targets": ',
            json_of["sdg_targets"][targets],
            ', "created": ',
            _timestamp_json(rec.created),
            ', "updated": ',
            _timestamp_json(rec.updated),
            "}",
        )
    )


def _timestamp_json(value: dt.datetime | None) -> str:
    """`_dumps(timestamp(value))`: a time in ISO 8601 holds no character JSON escapes."""
    return "null" if value is None else f'"{value.astimezone(dt.UTC).isoformat()}"'


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
# How `_ENCODER` writes a string, called directly (the columns it is used for are never null).
_string = encode_basestring


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
        vocab = Vocabulary()
        shared = Shared(vocab)
        lines: list[str] = []
        size = 0
        for entry in entries(snap.queryset, vocab=vocab, light=True, snap=snap):
            line = record_json(entry, shared)
            lines.append(line)
            size += len(line)
            if size >= 64 * 1024:  # encoded in pieces of about 64 KB
                yield (separator + ",\n    ".join(lines)).encode()
                separator = ",\n    "
                lines, size = [], 0
        if lines:
            yield (separator + ",\n    ".join(lines)).encode()
        yield b"\n  ]\n}\n"

    return buffered(pieces())
