import json

from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import chain

# Any constant will do: PostgreSQL's transaction-level advisory lock that serialises appends.
CHAIN_LOCK = 0x61646F6C6174  # "adolat"


class AppendOnlyError(RuntimeError):
    """The audit log is never changed or deleted from the application."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit entries cannot be changed")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("audit entries cannot be changed")

    def delete(self):
        raise AppendOnlyError("audit entries cannot be deleted")

    delete.queryset_only = True

    def bulk_create(self, objs, batch_size=None, **kwargs):
        """Appends, chained: the only way rows enter the table."""
        return append(objs, using=self.db, batch_size=batch_size)

    def chain_head(self) -> tuple[int, str]:
        """(seq, hash) of the last entry, or (0, GENESIS) for an empty log."""
        return self.order_by("-seq").values_list("seq", "hash").first() or (0, chain.GENESIS)


class AuditEntry(models.Model):
    """One change to a record, whatever path made it (pages, API, imports, commands, admin), and
    the refusals worth knowing about (failed logins, refused accesses).

    Append-only and chained: services write entries through `adolat.lib.audit.record`; nothing
    updates or deletes them (the queryset and `save` refuse, and a database trigger refuses
    UPDATE). `changes` maps each changed field to `[before, after]`. `seq`, `prev_hash` and `hash`
    form the hash chain checked by `adolat verify-audit` (see adolat.lib.chain).
    """

    class Source(models.TextChoices):
        WEB = "web", _("web page")
        API = "api", _("API")
        IMPORT = "import", _("import")
        COMMAND = "command", _("command")
        ADMIN = "admin", _("administration")
        SYSTEM = "system", _("system")

    seq = models.BigIntegerField(_("sequence number"), unique=True, editable=False)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True, editable=False)
    # PROTECT: deleting a person would rewrite their entries (SET_NULL) and break the chain; people
    # who have acted are deactivated instead.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, blank=True, on_delete=models.PROTECT
    )
    source = models.CharField(_("through"), max_length=16, choices=Source.choices)
    action = models.CharField(_("action"), max_length=32)
    object_type = models.CharField(_("record type"), max_length=64)
    object_id = models.CharField(_("record"), max_length=64)
    summary = models.CharField(_("summary"), max_length=255, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, editable=False)
    hash = models.CharField(_("hash"), max_length=64, editable=False)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit entries cannot be changed")
        append([self], using=kwargs.get("using"))

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries cannot be deleted")


def append(entries, *, using: str | None = None, batch_size: int | None = None) -> list[AuditEntry]:
    """Add entries at the end of the chain, in the order given, in one INSERT per batch.

    Appends are serialised: on SQLite every write transaction already holds the database's write
    lock (IMMEDIATE transactions); on PostgreSQL a transaction-level advisory lock is taken, held
    until the surrounding transaction ends, so two transactions never chain onto the same head.
    The unique `seq` makes a fork impossible even if that were ever bypassed. (`batch_size`, from
    bulk_create's signature, is not needed: the rows are streamed, see `_insert`.)
    """
    entries = list(entries)
    if not entries:
        return entries
    for e in entries:
        if not e._state.adding or e.pk is not None:
            raise AppendOnlyError("audit entries cannot be changed")
    using = using or router.db_for_write(AuditEntry)
    values = [
        (e.actor_id, e.source, e.action, e.object_type, e.object_id, e.summary or "", e.changes)
        for e in entries
    ]
    with transaction.atomic(using=using):
        rows = _chain(connections[using], values)
        for e, row in zip(entries, rows, strict=True):
            e.seq, e.at, e.summary, e.prev_hash, e.hash = (row[i] for i in _SET_ON_ENTRIES)
            e.changes = json.loads(row[_CHANGES])  # = chain.normalise(e.changes): what is hashed
        if len(entries) == 1:
            models.QuerySet(AuditEntry, using=using).bulk_create(entries)  # gives the entry its pk
        else:
            _insert(connections[using], rows)
    for e in entries:
        e._state.adding = False
        e._state.db = using
    return entries


def append_values(values, *, using: str | None = None) -> int:
    """Add entries given as plain values, (actor_id, source, action, object_type, object_id,
    summary, changes) each — changes as a dict, or encoded ahead by chain.Batch.encode — at the
    end of the chain: `append` without a model instance per entry, for writes of thousands of
    records. They are locked, chained and hashed as `append` does (see chain.Batch), and get no
    primary key back. Returns their number."""
    values = list(values)
    if not values:
        return 0
    using = using or router.db_for_write(AuditEntry)
    with transaction.atomic(using=using):
        connection = connections[using]
        _insert(connection, _chain(connection, values))
    return len(values)


def _lock_head(connection) -> tuple[int, str]:
    """Take the chain's lock (see `append`) and read its head."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
    return AuditEntry.objects.using(connection.alias).chain_head()


def _chain(connection, values) -> list[tuple]:
    """Take the chain's lock and head and chain the entries, given as `append_values` takes them,
    onto it: their rows, in _COLUMNS' order, sharing one timestamp, with `changes` as the JSON text
    stored (chain.Batch: what reading it back gives is what is hashed)."""
    seq, prev = _lock_head(connection)
    batch = chain.Batch(timezone.now())
    at, rows = batch.at, []
    for actor_id, source, action, object_type, object_id, summary, changes in values:
        seq += 1
        summary = summary or ""
        text, hashed = changes if type(changes) is chain.Encoded else batch.encode(changes or {})
        hash_ = batch.hash(
            hashed,
            seq=seq,
            prev_hash=prev,
            actor_id=actor_id,
            source=source,
            action=action,
            object_type=object_type,
            object_id=object_id,
            summary=summary,
        )
        rows.append((seq, at, actor_id, source, action, object_type, object_id, summary, text, prev, hash_))
        prev = hash_
    return rows


_COLUMNS = ["seq", "at", "actor_id", "source", "action", "object_type", "object_id", "summary"]
_COLUMNS += ["changes", "prev_hash", "hash"]
# Where `append` finds seq, at, summary, prev_hash, hash and the stored changes in a row.
_SET_ON_ENTRIES = tuple(_COLUMNS.index(name) for name in ("seq", "at", "summary", "prev_hash", "hash"))
_CHANGES = _COLUMNS.index("changes")


def _insert(connection, rows: list[tuple]) -> None:
    """The rows in few round trips (adolat.lib.bulk): imports append thousands of entries, and the
    ORM's bulk_create spends most of its time compiling SQL (SQLite's variable limit cuts it into
    90-row statements). A batch shares one timestamp, adapted once."""
    from .bulk import insert

    if not rows:
        return
    at = connection.ops.adapt_datetimefield_value(rows[0][1])
    insert(connection, AuditEntry._meta.db_table, _COLUMNS, [(r[0], at, *r[2:]) for r in rows])
