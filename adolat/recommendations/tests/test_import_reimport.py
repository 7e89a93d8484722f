"""Re-importing a file: rows that bring nothing new are recognised on the stored values alone and
write nothing; a row that brings a change updates exactly its record, with the history a full
comparison records. Also the pieces the fast path rests on: the compared text and the natural
key, computed faster, are the same as `base` defines them; and the garbage collector an import
pauses is resumed when it ends."""

import csv
import gc
import io
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from adolat.lib import audit
from adolat.lib.models import AuditEntry
from adolat.recommendations import services
from adolat.recommendations.importers import base, run_import, writer
from adolat.recommendations.models import Recommendation, SdgTarget, SourceDocument, Theme

pytestmark = pytest.mark.django_db

COLUMNS = ["To", "Text", "From", "Response", "Issue", "Session"]
STATES = ["Denmark", "France", "Brazil", "Japan"]
ISSUES = ["Justice", "Torture and other CID treatment", "Women's rights", "Rights of the Child, Justice"]


def rows(count: int) -> list[list[str]]:
    return [
        [
            "Tajikistan",
            f"Strengthen the independence of court number {n} and its judges.",
            STATES[n % len(STATES)],
            "Supported",
            ISSUES[n % len(ISSUES)],
            str(10 + n % 3),
        ]
        for n in range(count)
    ]


def upr_csv(table: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([COLUMNS, *table])
    return out.getvalue().encode()


def state_of_the_database() -> tuple:
    """Everything an import could write: records (with their update time), tags, history."""
    return (
        list(Recommendation.objects.order_by("pk").values_list("pk", *services.SCALAR_COLUMNS, "updated")),
        {
            name: sorted(getattr(Recommendation, name).through.objects.values_list(*columns))
            for name, columns in (
                ("recommending_states", ("recommendation_id", "country_id")),
                ("themes", ("recommendation_id", "theme_id")),
                ("affected_groups", ("recommendation_id", "affectedgroup_id")),
                ("sdg_goals", ("recommendation_id", "sdggoal_id")),
                ("sdg_targets", ("recommendation_id", "sdgtarget_id")),
            )
        },
        AuditEntry.objects.count(),
        SourceDocument.objects.count(),
    )


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def reimport(data: bytes, **options):
    with CaptureQueriesContext(connection) as queries:
        summary = run_import(data, filename="f.csv", country="TJ", **options)
    return summary, writes(queries)


def test_an_unchanged_file_writes_nothing_and_every_row_is_unchanged_without_building_records(
    users, monkeypatch
):
    data = upr_csv(rows(24))
    first = run_import(data, filename="f.csv", country="TJ", by=users["coordinator"])
    assert (first.created, first.errors) == (24, [])
    before = state_of_the_database()
    built = []
    original = writer.Writer._data
    monkeypatch.setattr(
        writer.Writer, "_data", lambda self, *args: built.append(args) or original(self, *args)
    )

    summary, written = reimport(data, by=users["coordinator"])

    assert (summary.created, summary.updated, summary.unchanged, summary.skipped) == (0, 0, 24, 0)
    assert (summary.errors, summary.near_matches) == ([], 0)
    assert written == []
    assert state_of_the_database() == before
    # Each row was recognised on the stored values: no record data was built to compare.
    assert built == []


@pytest.mark.parametrize("read", ["by ids", "in one query"])
def test_tags_people_added_keep_a_reimported_row_unchanged(users, monkeypatch, read):
    if read == "in one query":
        monkeypatch.setattr(writer, "TAGS_IN_ONE_QUERY_ABOVE", 0)
    data = upr_csv(rows(8))
    run_import(data, filename="f.csv", country="TJ")
    rec = Recommendation.objects.get(text_en__contains="number 5 ")
    # Another theme, a target (with its goal, as the services store it) and another recommending
    # state (the same text from another source made jointly).
    rec.themes.add(Theme.objects.exclude(pk__in=rec.themes.all()).first())
    target = SdgTarget.objects.select_related("goal").first()
    rec.sdg_targets.add(target)
    rec.sdg_goals.add(target.goal)
    rec.recommending_states.add("DE")
    rec.natural_key = base.natural_key(
        country="TJ",
        session=rec.document.session,
        recommending_states=rec.recommending_states.values_list("pk", flat=True),
        text=rec.text_en,
    )
    rec.save(update_fields=["natural_key"])
    before = state_of_the_database()

    summary, written = reimport(data)

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 8)
    assert written == []
    assert state_of_the_database() == before


def tags_of(recs) -> dict[str, set]:
    return {
        name: set(
            getattr(Recommendation, name).through.objects.filter(recommendation__in=recs).values_list(column)
        )
        for name, column in writer.M2M_COLUMNS.items()
    }


@pytest.mark.parametrize("between", [4, 20], ids=["dense ids, read by their range", "sparse ids"])
def test_records_of_another_state_among_the_ids_lend_a_reimport_none_of_their_tags(monkeypatch, between):
    """The stored records' tags are read in one query (TAGS_IN_ONE_QUERY_ABOVE): by the range of
    their ids when they fill most of it (`writer._id_range`), else through their documents. The
    records of another state created in between, which that range holds too, are left aside."""
    monkeypatch.setattr(writer, "TAGS_IN_ONE_QUERY_ABOVE", 0)
    table = rows(8)
    run_import(upr_csv(table[:4]), filename="f.csv", country="TJ")
    kenya = [
        [
            "Kenya",
            f"Protect persons with albinism, measure {n}.",
            "Mexico",
            "Supported",
            "Persons with disabilities, Women's rights",
            "24",
        ]
        for n in range(between)
    ]
    run_import(upr_csv(kenya), filename="other.csv", country="KE")
    run_import(upr_csv(table[4:]), filename="f.csv", country="TJ")
    mine = Recommendation.objects.filter(country="TJ")
    assert (writer._id_range(list(mine.values_list("pk", flat=True))) is not None) == (between == 4)
    theirs = Recommendation.objects.filter(country="KE")
    their_tags = tags_of(theirs)
    assert their_tags["affected_groups"] and their_tags["recommending_states"] == {("MX",)}
    before = state_of_the_database()

    unchanged, _written = reimport(upr_csv(table))

    assert (unchanged.created, unchanged.updated, unchanged.unchanged) == (0, 0, 8)
    assert state_of_the_database() == before

    # Row 5 ("Torture and other CID treatment") gains the issue of row 0 ("Justice").
    changed_rec = mine.get(text_en__contains="number 5 ")
    justice = mine.get(text_en__contains="number 0 ")
    expected = {
        name: {tag for (tag,) in tags_of([changed_rec])[name] | tags_of([justice])[name]}
        for name in ("themes", "affected_groups")
    }
    table[5][4] = f"{table[5][4]}, Justice"

    changed, _written = reimport(upr_csv(table))

    assert (changed.created, changed.updated, changed.unchanged, changed.errors) == (0, 1, 7, [])
    after = {name: {tag for (tag,) in tags} for name, tags in tags_of([changed_rec]).items()}
    assert (after["themes"], after["affected_groups"]) == (expected["themes"], expected["affected_groups"])
    assert after["recommending_states"] == {"FR"}
    assert tags_of(theirs) == their_tags


def test_one_changed_row_updates_exactly_its_record_with_its_history(users):
    table = rows(12)
    run_import(upr_csv(table), filename="f.csv", country="TJ", by=users["coordinator"])
    target = Recommendation.objects.get(text_en__contains="number 7 ")
    snapshots = {rec.pk: services._snapshot(rec) for rec in Recommendation.objects.all()}
    updated_before = dict(Recommendation.objects.values_list("pk", "updated"))
    entries_before = AuditEntry.objects.count()
    table[7][3] = "Noted"

    summary, _written = reimport(upr_csv(table), by=users["coordinator"])

    assert (summary.created, summary.updated, summary.unchanged, summary.errors) == (0, 1, 11, [])
    new_entries = list(AuditEntry.objects.order_by("seq")[entries_before:])
    assert [(e.action, e.object_id, e.actor_id) for e in new_entries] == [
        ("update", str(target.pk), users["coordinator"].pk)
    ]
    target.refresh_from_db()
    assert new_entries[0].changes == audit.diff(snapshots[target.pk], services._snapshot(target))
    assert new_entries[0].changes == {"position": ["supported", "noted"]}
    for rec in Recommendation.objects.exclude(pk=target.pk):
        assert services._snapshot(rec) == snapshots[rec.pk]
        assert rec.updated == updated_before[rec.pk]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # The same identity, other punctuation: the file's wording is stored.
        (lambda row: row.__setitem__(1, row[1].replace(" and its", ", and its")), {"text_en"}),
        (lambda row: row.__setitem__(4, row[4] + ", Migrants"), {"themes", "affected_groups"}),
        (lambda row: row.__setitem__(3, "Noted"), {"position"}),
    ],
    ids=["punctuation", "issue", "response"],
)
def test_each_kind_of_change_is_found(change, expected):
    table = rows(6)
    run_import(upr_csv(table), filename="f.csv", country="TJ")
    record = Recommendation.objects.get(text_en__contains="number 2 ")
    before = services._snapshot(record)
    change(table[2])

    summary, _written = reimport(upr_csv(table))

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 5)
    record.refresh_from_db()
    entry = audit.history(record).filter(action="update").get()
    assert entry.changes == audit.diff(before, services._snapshot(record))
    assert set(entry.changes) - {"natural_key"} == expected


def test_pending_after_a_final_position_changes_nothing():
    table = rows(4)
    run_import(upr_csv(table), filename="f.csv", country="TJ")
    before = state_of_the_database()
    table[1][3] = "Pending"

    summary, written = reimport(upr_csv(table))

    assert (summary.updated, summary.unchanged, written) == (0, 4, [])
    assert state_of_the_database() == before


def test_a_stale_natural_key_is_brought_up_to_date():
    data = upr_csv(rows(4))
    run_import(data, filename="f.csv", country="TJ")
    record = Recommendation.objects.get(text_en__contains="number 3 ")
    right = record.natural_key
    Recommendation.objects.filter(pk=record.pk).update(natural_key="0" * 64)

    summary, _written = reimport(data)

    assert (summary.updated, summary.unchanged) == (1, 3)
    record.refresh_from_db()
    assert record.natural_key == right
    assert audit.history(record).filter(action="update").get().changes == {"natural_key": ["0" * 64, right]}


def test_a_record_changed_by_two_rows_is_compared_with_its_first_change():
    """A joint recommendation given state by state: the second row starts from the first one's
    result, not from the stored values."""
    text = "Abolish the death penalty."
    run_import(
        upr_csv([["Tajikistan", text, "France", "Supported", "Justice", "12"]]),
        filename="f.csv",
        country="TJ",
    )
    record = Recommendation.objects.get()
    record.recommending_states.add("CH")
    record.natural_key = base.natural_key(
        country="TJ", session="12", recommending_states=["FR", "CH"], text=text
    )
    record.save(update_fields=["natural_key"])
    table = [
        ["Tajikistan", text, "Switzerland", "Noted", "Justice", "12"],
        ["Tajikistan", text, "France", "Noted", "Justice", "12"],
    ]

    summary = run_import(upr_csv(table), filename="f.csv", country="TJ")

    assert (summary.created, summary.updated, summary.unchanged, summary.errors) == (0, 1, 1, [])
    record.refresh_from_db()
    assert record.position == "noted"
    assert [e.changes for e in audit.history(record).filter(action="update")] == [
        {"position": ["supported", "noted"]}
    ]


def test_rows_without_a_document_are_matched_among_the_records_without_one():
    mapping = {"text": "Text", "states": "States", "mechanism": "Body"}
    out = io.StringIO()
    csv.writer(out).writerows(
        [
            ["Text", "States", "Body"],
            ["Ratify the Optional Protocol.", "", "CAT"],
            ["Train the police.", "", "CAT"],
        ]
    )
    data = out.getvalue().encode()
    first = run_import(data, filename="g.csv", format="generic", mapping=mapping, country="TJ")
    assert (first.created, first.errors) == (2, [])
    assert Recommendation.objects.filter(document=None).count() == 2
    run_import(upr_csv(rows(3)), filename="f.csv", country="TJ")
    before = state_of_the_database()

    summary, written = reimport(data, format="generic", mapping=mapping)

    assert (summary.created, summary.updated, summary.unchanged, written) == (0, 0, 2, [])
    assert state_of_the_database() == before


def test_reimport_queries_do_not_grow_with_the_number_of_rows():
    def queries_for(count: int, state: str) -> int:
        data = upr_csv(rows(count)).replace(b"Tajikistan", state.encode())
        run_import(data, filename="f.csv", country=state)
        with CaptureQueriesContext(connection) as queries:
            summary = run_import(data, filename="f.csv", country=state)
        assert summary.unchanged == count
        return len(queries)

    few, many = queries_for(8, "Algeria"), queries_for(80, "Kenya")
    assert many <= few


def test_the_garbage_collector_is_paused_during_an_import_and_resumed_after(monkeypatch):
    seen = []
    original = writer.write

    def write(*args, **kwargs):
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    assert gc.isenabled()
    monkeypatch.setattr(writer, "write", write)
    summary = run_import(upr_csv(rows(2)), filename="f.csv", country="TJ")
    assert (summary.created, seen, gc.isenabled()) == (2, [False], True)

    # Resumed after a failure too.
    monkeypatch.setattr(writer, "write", lambda *args, **kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        run_import(upr_csv(rows(2)), filename="f.csv", country="TJ")
    assert gc.isenabled()

    # An import that finds it paused (by another one running) leaves it paused.
    monkeypatch.setattr(writer, "write", write)
    gc.disable()
    try:
        run_import(upr_csv(rows(2)), filename="f.csv", country="TJ")
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- What the fast path rests on ----------------------------------------------------------------


def test_the_compared_text_of_an_ascii_text_is_what_the_unicode_rules_give():
    import re
    import unicodedata

    def by_the_rules(text: str) -> str:
        text = re.sub(r"[^\w\s]+", "", unicodedata.normalize("NFKC", text).casefold())
        return " ".join(text.split())

    every_character = "".join(chr(code) for code in range(128))
    assert base.normalise_text(every_character) == by_the_rules(every_character)
    rng = random.Random(5)
    for _ in range(2000):
        text = "".join(rng.choice(every_character + "aaaa    ") for _ in range(rng.randint(0, 60)))
        assert base.normalise_text(text) == by_the_rules(text)
    for text in ("Women’s rights", "pre-trial ﬁnes", "Ⅻ session", "İstanbul", "", "Закон\u00a0о"):
        assert base.normalise_text(text) == by_the_rules(text)


@pytest.mark.parametrize(
    "text",
    ['Say "no" to torture \\ now.', "Женщины — права.", "Tab\tand\x1f control", "Emoji 🙂 and ünïcode"],
)
def test_the_natural_key_written_is_the_one_base_defines(text):
    table = [["Tajikistan", text, "France, Denmark", "Supported", "Justice", "12"]]

    summary = run_import(upr_csv(table), filename="f.csv", country="TJ")

    assert summary.errors == []
    rec = Recommendation.objects.get()
    assert rec.natural_key == base.natural_key(
        country="TJ", session="12", recommending_states=["FR", "DK"], text=text.strip()
    )
