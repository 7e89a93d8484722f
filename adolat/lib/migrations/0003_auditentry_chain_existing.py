"""Chain the entries written before the log was chained, in the order they were written."""

from django.db import migrations

from adolat.lib import chain


def chain_existing(apps, schema_editor):
    AuditEntry = apps.get_model("lib", "AuditEntry")
    db = schema_editor.connection.alias
    seq, prev = 0, chain.GENESIS
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.using(db).filter(pk__gt=last_id).order_by("pk")[:2000])
        if not batch:
            break
        for e in batch:
            seq += 1
            e.seq, e.prev_hash = seq, prev
            e.changes = chain.normalise(e.changes)
            e.summary = e.summary or ""
            e.hash = prev = chain.hash_of(e)
        AuditEntry.objects.using(db).bulk_update(batch, ["seq", "prev_hash", "hash", "changes", "summary"])
        last_id = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("lib", "0002_auditentry_chain_fields")]

    operations = [migrations.RunPython(chain_existing, migrations.RunPython.noop)]
