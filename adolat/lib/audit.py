"""History and audit are one mechanism: every write path records its changes here.

The log is append-only and hash-chained (adolat.lib.models.append, adolat.lib.chain): `record`
appends one entry, `record_many` a batch under one lock in few round trips, `record_values` the
same from plain values (thousands of entries written by an import).
"""

import hashlib
import hmac
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext, pgettext_lazy

from . import chain
from .models import AuditEntry, append, append_values


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet):
        return sorted(value.values_list("pk", flat=True))
    if isinstance(value, list | tuple | set):
        return sorted(_jsonable(v) for v in value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value differs, as {field: [before, after]}."""
    out = {}
    for key in sorted(set(before) | set(after)):
        b, a = _jsonable(before.get(key)), _jsonable(after.get(key))
        if b != a:
            out[key] = [b, a]
    return out


def entry(
    *,
    instance: models.Model,
    action: str,
    by=None,
    source: str,
    changes: dict | None = None,
    summary: str = "",
) -> AuditEntry:
    return AuditEntry(
        actor=by if getattr(by, "pk", None) else None,
        source=source,
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        summary=summary[:255],
        changes=changes or {},
    )


def record(**kwargs) -> AuditEntry:
    e = entry(**kwargs)
    append([e])
    return e


def record_many(entries: Iterable[AuditEntry]) -> None:
    append(entries)


def encoded(changes: dict) -> chain.Encoded:
    """`changes` encoded for `record_values` ahead of time: for work done while the database is
    busy with something else (an import streaming records to PostgreSQL)."""
    return chain.Batch.encode(changes or {})


def record_values(
    *, model: type[models.Model], action: str, by=None, source: str, entries: Iterable[tuple]
) -> int:
    """Entries about records of `model`, given as (pk, changes or `encoded(changes)`, summary),
    of one action by one actor through one source: what `record_many` of their `entry(...)` would
    append, without a model instance per entry (imports record thousands). Returns their number."""
    object_type = model._meta.label_lower
    actor_id = by.pk if getattr(by, "pk", None) else None
    return append_values(
        (actor_id, source, action, object_type, str(pk), summary[:255], changes)
        for pk, changes, summary in entries
    )


def record_event(
    *, action: str, object_type: str, object_id: str, by=None, source: str, summary: str = "", changes=None
) -> AuditEntry:
    """An entry about something that is not a stored record (a failed login, a refused page)."""
    e = AuditEntry(
        actor=by if getattr(by, "pk", None) else None,
        source=source,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        summary=summary[:255],
        changes=changes or {},
    )
    append([e])
    return e


def identifier_hash(value: str) -> str:
    """A keyed hash of an identifier people type (an e-mail address): the log can say "the same
    address failed ten times" without holding the address. Whoever holds the SECRET_KEY can
    compute the hash of a given address to look for it."""
    key = hashlib.sha256(b"adolat.audit.identifier:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, value.strip().casefold().encode(), hashlib.sha256).hexdigest()


def history(instance: models.Model):
    return AuditEntry.objects.filter(
        object_type=instance._meta.label_lower, object_id=str(instance.pk)
    ).select_related("actor")


ACTION_LABELS = {
    "create": pgettext_lazy("audit action", "created"),
    "update": pgettext_lazy("audit action", "changed"),
    "delete": pgettext_lazy("audit action", "deleted"),
    "publish": pgettext_lazy("audit action", "published"),
    "unpublish": pgettext_lazy("audit action", "withdrawn from publication"),
    "revoke": pgettext_lazy("audit action", "revoked"),
    "submit": pgettext_lazy("audit action", "submitted"),
    "return": pgettext_lazy("audit action", "returned for revision"),
    "resubmit": pgettext_lazy("audit action", "resubmitted"),
    "validate": pgettext_lazy("audit action", "validated"),
    "supersede": pgettext_lazy("audit action", "superseded"),
    "confirm": pgettext_lazy("audit action", "confirmed"),
    "reject": pgettext_lazy("audit action", "rejected"),
    "deactivate": pgettext_lazy("audit action", "deactivated"),
    "cancel": pgettext_lazy("audit action", "cancelled"),
    "login_failed": pgettext_lazy("audit action", "failed sign-in"),
    "locked_out": pgettext_lazy("audit action", "locked out after failed sign-ins"),
    "refused": pgettext_lazy("audit action", "access refused"),
    "lock_everything": pgettext_lazy("audit action", "ended every session and revoked every token"),
}


def describe(entries, model: type[models.Model]) -> list[dict]:
    """History rows for a page: the action and the changed fields by their translated names."""
    rows = []
    for e in entries:
        names = []
        # A creation sets every field; naming them all says nothing.
        for field in e.changes if e.action != "create" else {}:
            try:
                model_field = model._meta.get_field(field)
            except FieldDoesNotExist:
                names.append(field)
                continue
            if model_field.editable:  # internal bookkeeping (search text, natural key) is not news
                names.append(str(model_field.verbose_name))
        rows.append({"entry": e, "action": ACTION_LABELS.get(e.action, e.action), "fields": names})
    return rows


# --- Verifying the chain ------------------------------------------------------------------------


class Break(NamedTuple):
    seq: int
    id: int | None
    problem: str  # "missing", "altered", "relinked", "anchor"
    message: str


class Verification(NamedTuple):
    count: int
    head_seq: int
    head_hash: str
    broken: Break | None


VERIFY_FIELDS = ["id", "seq", "prev_hash", "hash", "at", "actor_id", "source", "action"]
VERIFY_FIELDS += ["object_type", "object_id", "summary", "changes"]


def verify(*, chunk: int = 5000, anchors: dict[int, str] | None = None) -> Verification:
    """Walk the whole chain in `seq` order, a chunk at a time, and stop at the first broken link:
    a missing entry (deleted), an entry whose content no longer matches its hash (edited, or
    moved to another place), or an entry that does not point at the one before it (inserted or
    reordered). `anchors` ({seq: hash}, noted earlier, e.g. off the machine) must still match:
    this catches the one thing a chain alone cannot, the newest entries deleted or the whole
    chain recomputed."""
    anchors = dict(anchors or {})
    expected, prev, count = 1, chain.GENESIS, 0
    while True:
        rows = list(
            AuditEntry.objects.filter(seq__gte=expected).order_by("seq").values(*VERIFY_FIELDS)[:chunk]
        )
        if not rows:
            break
        for r in rows:
            row = SimpleNamespace(**r)
            if row.seq != expected:
                return Verification(
                    count, expected - 1, prev, Break(expected, None, "missing", _missing(expected))
                )
            if chain.hash_of(row) != row.hash:
                return Verification(
                    count, expected - 1, prev, Break(row.seq, row.id, "altered", _altered(row))
                )
            if row.prev_hash != prev:
                return Verification(
                    count, expected - 1, prev, Break(row.seq, row.id, "relinked", _relinked(row))
                )
            if row.seq in anchors and anchors.pop(row.seq) != row.hash:
                return Verification(
                    count, expected - 1, prev, Break(row.seq, row.id, "anchor", _anchor(row.seq))
                )
            prev = row.hash
            expected += 1
            count += 1
    if anchors:
        seq = min(anchors)
        return Verification(count, expected - 1, prev, Break(seq, None, "anchor", _anchor(seq)))
    return Verification(count, expected - 1, prev, None)


def _missing(seq: int) -> str:
    return gettext("Entry #%(seq)s is missing: it was deleted.") % {"seq": seq}


def _altered(row) -> str:
    return gettext(
        "Entry #%(seq)s (id %(id)s) does not match its hash: it was changed after it was written."
    ) % {"seq": row.seq, "id": row.id}


def _relinked(row) -> str:
    return gettext(
        "Entry #%(seq)s (id %(id)s) does not follow entry #%(previous)s: entries were inserted, "
        "replaced or reordered."
    ) % {"seq": row.seq, "id": row.id, "previous": row.seq - 1}


def _anchor(seq: int) -> str:
    return gettext(
        "Entry #%(seq)s no longer has the hash noted for it: the log was cut short or rewritten."
    ) % {"seq": seq}
