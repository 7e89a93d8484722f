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
    The unique `seq` makes a fork impossible even if that were ever bypassed.
    """
    entries = list(entries)
    if not entries:
        return entries
    using = using or router.db_for_write(AuditEntry)
    with transaction.atomic(using=using):
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        seq, prev = AuditEntry.objects.using(using).chain_head()
        now = timezone.now()
        stored = []  # each entry's changes as JSON text: chain.normalise's, encoded once
        for e in entries:
            if not e._state.adding or e.pk is not None:
                raise AppendOnlyError("audit entries cannot be changed")
            seq += 1
            e.seq, e.prev_hash, e.at = seq, prev, now
            e.summary = e.summary or ""
            text = json.dumps(e.changes or {})
            e.changes = json.loads(text)  # = chain.normalise(e.changes)
            stored.append(text)
            e.hash = prev = chain.hash_of(e)
        if len(entries) == 1:
            models.QuerySet(AuditEntry, using=using).bulk_create(entries)
        else:
            _insert_many(connection, entries, batch_size or 5000, stored)
    for e in entries:
        e._state.adding = False
        e._state.db = using
    return entries


_COLUMNS = ["seq", "at", "actor_id", "source", "action", "object_type", "object_id", "summary"]
_COLUMNS += ["changes", "prev_hash", "hash"]


def _insert_many(connection, entries: list[AuditEntry], batch_size: int, changes: list[str]) -> None:
    """One prepared INSERT run for the whole batch: imports append thousands of entries, and the
    ORM's bulk_create spends most of its time compiling SQL (SQLite's variable limit cuts it into
    90-row statements). Entries appended this way get no primary key back."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    json_placeholder = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    placeholders = ", ".join(json_placeholder if c == "changes" else "%s" for c in _COLUMNS)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 — no user input
    adapt = connection.ops.adapt_datetimefield_value
    adapted = {}  # a batch shares one timestamp
    rows = [
        (
            e.seq,
            adapted[e.at] if e.at in adapted else adapted.setdefault(e.at, adapt(e.at)),
            e.actor_id,
            e.source,
            e.action,
            e.object_type,
            e.object_id,
            e.summary,
            text,  # the JSON the changes were normalised from: encodes the same value
            e.prev_hash,
            e.hash,
        )
        for e, text in zip(entries, changes, strict=True)
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(sql, rows[start : start + batch_size])
