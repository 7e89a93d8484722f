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
from typing import Any

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
    return _CANONICAL.encode(
        {
            "seq": seq,
            "prev_hash": prev_hash,
            "at": _at(at),
            "actor": actor_id,
            "source": source,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "summary": summary,
            "changes": changes,
        }
    ).encode()


def entry_hash(**fields) -> str:
    return hashlib.sha256(canonical(**fields)).hexdigest()


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
