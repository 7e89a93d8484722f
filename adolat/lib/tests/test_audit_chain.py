"""The audit log is append-only and hash-chained: `adolat verify-audit` finds any entry changed,
deleted, inserted or moved behind the application's back."""

import json
import threading
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, models

from adolat.accounts.models import Organisation
from adolat.lib import audit, chain
from adolat.lib.models import AppendOnlyError, AuditEntry

pytestmark = pytest.mark.django_db


def _write(n: int, *, by=None) -> list[AuditEntry]:
    org = Organisation.objects.create(kind="cso", name_en="Audited NGO")
    audit.record_many(
        audit.entry(
            instance=org, action="update", by=by, source="command", changes={"name_en": [str(i), str(i + 1)]}
        )
        for i in range(n)
    )
    return list(AuditEntry.objects.order_by("seq"))


@contextmanager
def _behind_the_apps_back():
    """Raw SQL as someone with direct access to the database would run it, the database's own
    guard lifted (inside the test's transaction, so it comes back afterwards)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
        else:
            cursor.execute("DROP TRIGGER IF EXISTS lib_auditentry_no_update")
        yield cursor


def _verify_command() -> str:
    with pytest.raises(CommandError) as exc:
        call_command("verify-audit")
    assert exc.value.returncode == 1
    return str(exc.value)


def test_entries_form_an_unbroken_chain_and_the_command_says_so(users, capsys):
    entries = _write(5, by=users["coordinator"])
    audit.record(instance=entries[0], action="create", by=users["coordinator"], source="web")
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert [s for s, _p, _h in seqs] == list(range(1, len(seqs) + 1))
    assert seqs[0][1] == chain.GENESIS
    assert all(seqs[i][1] == seqs[i - 1][2] for i in range(1, len(seqs)))
    call_command("verify-audit")
    out = capsys.readouterr().out
    assert f"OK: {len(seqs)} audit entries" in out
    assert seqs[-1][2] in out


def test_a_changed_field_is_detected(capsys):
    entries = _write(6)
    with _behind_the_apps_back() as cursor:
        cursor.execute(
            "UPDATE lib_auditentry SET summary = %s WHERE id = %s", ["nothing here", entries[3].pk]
        )
    result = audit.verify()
    assert result.broken.problem == "altered"
    assert result.broken.seq == 4
    assert result.count == 3
    _verify_command()
    assert "Entry #4" in capsys.readouterr().err


def test_a_changed_before_and_after_value_is_detected():
    entries = _write(3)
    with _behind_the_apps_back() as cursor:
        cursor.execute(
            "UPDATE lib_auditentry SET changes = %s WHERE id = %s",
            ['{"name_en": ["0", "forged"]}', entries[0].pk],
        )
    assert audit.verify().broken.seq == 1


def test_a_deleted_entry_is_detected(capsys):
    entries = _write(6)
    with _behind_the_apps_back() as cursor:
        cursor.execute("DELETE FROM lib_auditentry WHERE id = %s", [entries[2].pk])
    result = audit.verify()
    assert (result.broken.problem, result.broken.seq) == ("missing", 3)
    _verify_command()
    assert "Entry #3 is missing" in capsys.readouterr().err


def test_two_swapped_entries_are_detected():
    entries = _write(6)
    a, b = entries[1], entries[4]
    with _behind_the_apps_back() as cursor:
        cursor.execute("UPDATE lib_auditentry SET seq = -1 WHERE id = %s", [a.pk])
        cursor.execute("UPDATE lib_auditentry SET seq = %s WHERE id = %s", [a.seq, b.pk])
        cursor.execute("UPDATE lib_auditentry SET seq = %s WHERE id = %s", [b.seq, a.pk])
    assert audit.verify().broken.seq == 2


def test_an_entry_inserted_with_a_hash_of_its_own_is_detected():
    entries = _write(4)
    # Forged properly hashed, but it cannot point at the entry before it without rewriting the rest.
    with _behind_the_apps_back() as cursor:
        cursor.execute("UPDATE lib_auditentry SET seq = seq + 100 WHERE seq >= 3")
    forged = AuditEntry(source="web", action="delete", object_type="x", object_id="1", summary="", changes={})
    forged.seq, forged.prev_hash, forged.at = 3, entries[1].hash, entries[1].at
    forged.hash = chain.hash_of(forged)
    with _behind_the_apps_back() as cursor:
        cursor.execute(
            "INSERT INTO lib_auditentry (seq, prev_hash, hash, at, source, action, object_type, object_id, "
            "summary, changes) VALUES (%s, %s, %s, %s, 'web', 'delete', 'x', '1', '', '{}')",
            [3, forged.prev_hash, forged.hash, forged.at],
        )
    result = audit.verify()
    assert result.broken.seq == 4  # entry #3 is the forgery; the original #3 (now #103) is gone


def test_an_anchor_noted_earlier_catches_the_newest_entries_deleted():
    entries = _write(4)
    anchor = {4: entries[3].hash}
    assert audit.verify(anchors=anchor).broken is None
    with _behind_the_apps_back() as cursor:
        cursor.execute("DELETE FROM lib_auditentry WHERE seq = 4")
    assert audit.verify().broken is None  # the chain alone cannot tell
    assert audit.verify(anchors=anchor).broken.problem == "anchor"
    with pytest.raises(CommandError):
        call_command("verify-audit", "--anchor", f"4:{entries[3].hash}")


def test_the_walk_is_chunked_and_still_finds_the_break():
    entries = _write(25)
    assert audit.verify(chunk=4).count == 25
    with _behind_the_apps_back() as cursor:
        cursor.execute("UPDATE lib_auditentry SET action = 'x' WHERE id = %s", [entries[17].pk])
    assert audit.verify(chunk=4).broken.seq == 18


def test_the_application_never_changes_or_deletes_an_entry():
    entry = _write(1)[0]
    entry.summary = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.summary != "rewritten"


def test_the_database_refuses_an_update_made_around_the_application():
    entry = _write(1)[0]
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE lib_auditentry SET summary = 'x' WHERE id = %s", [entry.pk])


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL also refuses DELETE")
def test_postgresql_refuses_a_delete_made_around_the_application():
    entry = _write(1)[0]
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM lib_auditentry WHERE id = %s", [entry.pk])


def test_a_person_who_has_acted_cannot_be_deleted_which_would_rewrite_their_entries(users):
    from django.db.models import ProtectedError

    _write(1, by=users["viewer"])
    with pytest.raises(ProtectedError):
        users["viewer"].delete()


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite serialises every write transaction")
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_valid_chain():
    org = Organisation.objects.create(kind="cso", name_en="Busy NGO")
    barrier = threading.Barrier(4)
    errors = []

    def work(i):
        try:
            barrier.wait()
            for j in range(15):
                if j % 3:
                    audit.record(instance=org, action="update", source="web", summary=f"{i}-{j}")
                else:
                    audit.record_many(
                        audit.entry(instance=org, action="update", source="import", summary=f"{i}-{j}-{k}")
                        for k in range(10)
                    )
        except Exception as e:  # noqa: BLE001 — reported by the assertion below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = audit.verify()
    assert result.broken is None
    assert result.count == AuditEntry.objects.count() == 4 * (10 * 1 + 5 * 10)


# --- Entries appended from plain values (imports) -----------------------------------------------


class _Colour(models.TextChoices):
    RED = "red", "Red"
    BLUE = "blue", "Blue «»"


VARIED_CHANGES = [
    {},
    {"name_en": ["Old", "New"]},
    {"text_en": [None, "Côte d'Ivoire «quoted» \\ \" \n\t ҳақ"], "year": [None, 2012], "ok": [False, True]},
    {"themes": [[], [3, 1, 2]], "score": [None, 97.5], "nested": [None, {"b": 1, "a": [1, {"z": None}]}]},
    {"tuple": (None, ("a", "b"))},
    {"int keys": [None, {2: "two", 10: "ten"}]},  # JSON reads them back as strings: "10" < "2"
    {2: ["a", "b"], 10: [None, ["c"]]},
    {"z": [1, 2], "a": [3, 4], "m": [None, ""]},
    # Choices are str: written and read back as their text (an import's positions).
    {"position": [None, _Colour.RED], "tags": [[_Colour.BLUE], ["x", _Colour.RED]], "plain": _Colour.BLUE},
]


def _reference_canonical(**f) -> bytes:
    """The canonical JSON as the chain defined it from the start: one sorted, compact object."""
    return chain._CANONICAL.encode(
        {
            "seq": f["seq"],
            "prev_hash": f["prev_hash"],
            "at": chain._at(f["at"]),
            "actor": f["actor_id"],
            "source": f["source"],
            "action": f["action"],
            "object_type": f["object_type"],
            "object_id": f["object_id"],
            "summary": f["summary"],
            "changes": f["changes"],
        }
    ).encode()


@pytest.mark.django_db(False)
@pytest.mark.parametrize("changes", VARIED_CHANGES)
def test_the_canonical_form_and_a_batchs_hashes_are_the_chains_own(changes):
    from django.utils import timezone

    fields = {
        "seq": 12,
        "prev_hash": "ab" * 32,
        "actor_id": None,
        "source": "import",
        "action": "create",
        "object_type": "recommendations.recommendation",
        "object_id": "7",
        "summary": "A/HRC/19/3, para. «88.1»",
    }
    at = timezone.now()
    normalised = chain.normalise(changes)
    assert chain.canonical(at=at, changes=normalised, **fields) == _reference_canonical(
        at=at, changes=normalised, **fields
    )
    batch = chain.Batch(at)
    stored, hashed = batch.encode(changes)
    assert json.loads(stored) == normalised  # what the JSON column gives back
    if changes and "_Colour" in repr(changes):
        assert chain._text_keys(changes) and stored == hashed, "encoded once, as the text it is"
    assert batch.hash(hashed, **fields) == chain.entry_hash(at=at, changes=normalised, **fields)


def test_entries_appended_from_values_chain_and_read_back_as_appended_ones(users):
    from adolat.lib.models import append_values

    org = Organisation.objects.create(kind="cso", name_en="Audited NGO")
    audit.record(instance=org, action="create", by=users["coordinator"], source="web")
    count = audit.record_values(
        model=Organisation,
        action="update",
        by=users["coordinator"],
        source="import",
        # Changes as they are, or encoded ahead of time.
        entries=[(org.pk, audit.encoded(c) if i % 2 else c, "x" * 300) for i, c in enumerate(VARIED_CHANGES)],
    )
    append_values([(None, "command", "delete", "accounts.organisation", "9", None, None)])
    audit.record(instance=org, action="update", by=None, source="web", changes={"name_en": ["a", "b"]})

    assert count == len(VARIED_CHANGES)
    result = audit.verify()
    assert result.broken is None and result.count == len(VARIED_CHANGES) + 3
    entries = list(AuditEntry.objects.order_by("seq"))[1 : 1 + len(VARIED_CHANGES)]
    assert [e.changes for e in entries] == [chain.normalise(c) for c in VARIED_CHANGES]
    assert {(e.actor_id, e.object_type, e.object_id, e.summary) for e in entries} == {
        (users["coordinator"].pk, "accounts.organisation", str(org.pk), "x" * 255)
    }
    assert len({e.at for e in entries}) == 1
