"""The hash chain that makes the audit log tamper-evident.

Each entry carries its place in the log (`seq`, 1, 2, 3 … without gaps), the hash of the entry
before it (`prev_hash`) and its own `hash`: SHA-256 over a canonical JSON of all its fields,
`seq` and `prev_hash` included. Editing a stored entry changes its hash; deleting, inserting or
reordering entries breaks a `seq` or a `prev_hash` link. `adolat verify-audit` walks the chain.

This module is pure (no database) so that the migration that chains the existing entries uses
exactly the code the application uses; changing `entry_hash` would break every stored chain.
"""

import datetime as dt
import hashlib
import json
from typing import Any, NamedTuple

GENESIS = "0" * 64  # the prev_hash of the first entry


def _at(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit timestamps are timezone-aware")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def normalise(changes: Any) -> Any:
    """What the JSON column gives back for `changes` (tuples become lists, keys become strings),
    so that the hash computed before saving equals the one recomputed after reading."""
    return json.loads(json.dumps(changes or {}))


# json.dumps with these options builds an encoder per call; entries are hashed by the thousand.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """`value` as the entries' canonical JSON writes it (sorted keys, no spaces, text as it is)."""
    return _CANONICAL.encode(value)


def canonical(
    *,
    seq: int,
    prev_hash: str,
    at: dt.datetime,
    actor_id: int | None,
    source: str,
    action: str,
    object_type: str,
    object_id: str,
    summary: str,
    changes: Any,
) -> bytes:
    """The entry as JSON with sorted keys and no spaces, non-ASCII characters as they are."""
    return _canonical(
        _at(at),
        _CANONICAL.encode(changes),
        seq=seq,
        prev_hash=prev_hash,
        actor_id=actor_id,
        source=source,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary,
    )


def _canonical(
    at: str, changes: str, *, seq, prev_hash, actor_id, source, action, object_type, object_id, summary
):
    """`canonical` given the timestamp and the changes already encoded: the encoding of
    {"seq": seq, "prev_hash": prev_hash, "at": at, "actor": actor_id, "source": source, "action":
    action, "object_type": object_type, "object_id": object_id, "summary": summary, "changes":
    changes}, put together from the keys before "changes" in sorted order and those after it (a
    JSON object's members are written one after the other, each as it is written alone)."""
    head = _CANONICAL.encode({"action": action, "actor": actor_id, "at": at})
    tail = _CANONICAL.encode(
        {
            "object_id": object_id,
            "object_type": object_type,
            "prev_hash": prev_hash,
            "seq": seq,
            "source": source,
            "summary": summary,
        }
    )
    return f'{head[:-1]},"changes":{changes},{tail[1:]}'.encode()


def entry_hash(**fields) -> str:
    return hashlib.sha256(canonical(**fields)).hexdigest()


class Encoded(NamedTuple):
    """Changes as `Batch.encode` gives them: the JSON stored, and the canonical JSON hashed."""

    stored: str
    hashed: str


class Batch:
    """Entries hashed from plain values by the thousand (adolat.lib.models.append_values), sharing
    one timestamp, encoded once. Changes whose JSON reads back as they are (every key a string) are
    encoded once: that canonical JSON is both stored and hashed. Each hash is `entry_hash`'s."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at
        self._at = _at(at)

    @staticmethod
    def encode(changes: Any) -> Encoded:
        """The JSON to store for `changes`, and the canonical JSON of what reading it gives back."""
        if _text_keys(changes):
            text = _CANONICAL.encode(changes)
            return Encoded(text, text)
        text = json.dumps(changes)
        return Encoded(text, _CANONICAL.encode(json.loads(text)))

    def hash(self, hashed: str, **fields) -> str:
        """entry_hash(at=self.at, changes=json.loads(hashed), **fields) for `hashed` from `encode`."""
        return hashlib.sha256(_canonical(self._at, hashed, **fields)).hexdigest()


_SCALARS = frozenset({str, int, float, bool, type(None)})
_SEQUENCES = frozenset({list, tuple})


def _text_keys(changes: Any) -> bool:
    """Whether JSON reads `changes` back as it is for hashing, known for the shape changes have,
    {name: value or [before, after]} with scalars or lists of scalars as values: a tuple reads back
    as a list, which encodes the same, a subclass of str (a choice, Position.SUPPORTED) is written
    as its text and read back as that text, and a key that is not a string would read back as one
    (sorted differently). Anything else (a nested object, a subclass of another type) is not
    claimed and takes the round trip through JSON."""
    if type(changes) is not dict:
        return False
    for key, value in changes.items():
        if type(key) is not str:
            return False
        kind = type(value)
        if kind in _SCALARS or isinstance(value, str):
            continue
        if kind not in _SEQUENCES:
            return False
        for item in value:
            kind = type(item)
            if kind in _SCALARS or isinstance(item, str):
                continue
            if kind not in _SEQUENCES:
                return False
            for element in item:
                if type(element) not in _SCALARS and not isinstance(element, str):
                    return False
    return True


def hash_of(row: Any) -> str:
    """The hash an entry (a model instance or anything with the same attributes) should have."""
    return entry_hash(
        seq=row.seq,
        prev_hash=row.prev_hash,
        at=row.at,
        actor_id=row.actor_id,
        source=row.source,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        summary=row.summary,
        changes=row.changes,
    )
