"""The writer's bulk path: records are written a chunk at a time with bulk inserts, and still hold
exactly what the services would give them (history, tags, search index, natural key); a re-import
changes nothing; a failure leaves nothing; queries do not grow with the number of rows."""

import csv
import io

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from adolat.lib import audit
from adolat.lib.models import AuditEntry
from adolat.recommendations import search, services
from adolat.recommendations.importers import base, run_import, writer
from adolat.recommendations.models import Country, Recommendation

pytestmark = pytest.mark.django_db

COLUMNS = ["To", "Text", "From", "Response", "Issue", "Session"]
STATES = ["Denmark", "France", "Brazil", "Japan"]
ISSUES = ["Justice", "Torture and other CID treatment", "Women's rights", "Rights of the Child, Justice"]


def upr_csv(count: int, *, response: str = "Supported", extra_issue: str = "", word: str = "") -> bytes:
    out = io.StringIO()
    rows = csv.writer(out)
    rows.writerow(COLUMNS)
    for n in range(count):
        issue = ISSUES[n % len(ISSUES)] + (f", {extra_issue}" if extra_issue else "")
        text = f"Strengthen the {word}independence of court number {n} and its judges."
        rows.writerow(["Tajikistan", text, STATES[n % len(STATES)], response, issue, str(10 + n % 3)])
    return out.getvalue().encode()


def tag_ids(rec: Recommendation) -> dict:
    return {name: sorted(getattr(rec, name).values_list("pk", flat=True)) for name in services.M2M_FIELDS}


def test_created_records_hold_what_the_services_would_record(users):
    summary = run_import(upr_csv(8), filename="f.csv", country="TJ", by=users["coordinator"])
    assert (summary.created, summary.errors) == (8, [])

    for rec in Recommendation.objects.select_related("document"):
        # The history: one creation, with every field, as recommendation_create records it.
        entries = list(audit.history(rec))
        assert [(e.action, e.source, e.actor_id) for e in entries] == [
            ("create", "import", users["coordinator"].pk)
        ]
        assert entries[0].changes == audit.diff({}, services._snapshot(rec))
        assert entries[0].summary == rec.reference
        # Tags: the state, the mapped themes, and no stray rows.
        tags = tag_ids(rec)
        assert len(tags["recommending_states"]) == 1 and tags["themes"]
        # The search text, as the service indexes it.
        states = list(rec.recommending_states.all())
        names = [n for s in states for n in (s.name_en, s.name_ru, s.name_tg)]
        assert rec.search_document == rec.build_search_document(names)
        # The identity, as base.natural_key computes it.
        assert rec.natural_key == base.natural_key(
            country="TJ",
            session=rec.document.session,
            recommending_states=[s.pk for s in states],
            text=rec.text_en,
        )
    two_issues = tag_ids(Recommendation.objects.get(text_en__contains="number 3 "))
    assert len(two_issues["themes"]) + len(two_issues["affected_groups"]) >= 2


def test_records_written_in_bulk_are_found_by_the_search(users):
    run_import(upr_csv(6, word="quixotic "), filename="f.csv", country="TJ")
    found = Recommendation.objects.filter(pk__in=search.matching_ids("quixot court"))
    assert found.count() == 6
    # By a recommending state's name in another language (indexed with the record).
    japan = Country.objects.get(pk="JP")
    by_state = Recommendation.objects.filter(pk__in=search.matching_ids(japan.name_ru))
    assert set(by_state) == set(Recommendation.objects.filter(recommending_states=japan))
    assert by_state.exists()
    _assert_search_index_follows_the_table()


def _assert_search_index_follows_the_table() -> None:
    """SQLite: the full-text index holds exactly the table's search texts (FTS5 checks an external
    content index against its table), and its insert trigger is in place for later writes."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) VALUES ('integrity-check')")  # noqa: S608
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            [f"{search.FTS_TABLE}_%"],
        )
        assert cursor.fetchone()[0] == 3


def test_a_bulk_import_indexes_its_records_for_the_search_together_and_leaves_the_trigger(users):
    run_import(upr_csv(5, word="quixotic "), filename="f.csv", country="TJ")
    rec = Recommendation.objects.order_by("pk").first()
    services.recommendation_update(
        recommendation=rec,
        data=services.RecommendationData(
            country=rec.country, mechanism=rec.mechanism, document=rec.document, text_en="Abolish torture"
        ),
        source="web",
    )
    run_import(
        upr_csv(3, word="zanzibarian ").replace(b"Tajikistan", b"Kenya"), filename="g.csv", country="Kenya"
    )

    assert Recommendation.objects.filter(pk__in=search.matching_ids("quixot")).count() == 4
    assert list(Recommendation.objects.filter(pk__in=search.matching_ids("abolish"))) == [rec]
    assert Recommendation.objects.filter(pk__in=search.matching_ids("zanzibar")).count() == 3
    _assert_search_index_follows_the_table()


def test_reimporting_the_same_file_changes_nothing(users):
    data = upr_csv(12)
    run_import(data, filename="f.csv", country="TJ")
    before = (
        AuditEntry.objects.count(),
        list(Recommendation.objects.order_by("pk").values_list("pk", "updated", "search_document")),
        {rec.pk: tag_ids(rec) for rec in Recommendation.objects.all()},
    )

    with CaptureQueriesContext(connection) as queries:
        again = run_import(data, filename="f.csv", country="TJ")

    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 12, [])
    after = (
        AuditEntry.objects.count(),
        list(Recommendation.objects.order_by("pk").values_list("pk", "updated", "search_document")),
        {rec.pk: tag_ids(rec) for rec in Recommendation.objects.all()},
    )
    assert after == before
    writes = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []


def test_a_changed_file_updates_records_with_their_history_and_tags(users):
    run_import(upr_csv(6, response="Noted"), filename="f.csv", country="TJ")
    stored = {rec.pk: (services._snapshot(rec), rec.search_document) for rec in Recommendation.objects.all()}

    summary = run_import(
        upr_csv(6, response="Supported", extra_issue="Migrants"), filename="f.csv", country="TJ"
    )

    assert (summary.created, summary.updated, summary.errors) == (0, 6, [])
    for rec in Recommendation.objects.all():
        before, search_text = stored[rec.pk]
        updates = [e for e in audit.history(rec) if e.action == "update"]
        assert len(updates) == 1
        assert updates[0].changes == audit.diff(before, services._snapshot(rec))
        assert updates[0].changes["position"] == ["noted", "supported"]
        assert "themes" in updates[0].changes or "affected_groups" in updates[0].changes
        assert rec.search_document == search_text  # the texts and states did not change
    migrants = Recommendation.objects.filter(affected_groups__code__contains="migrant").distinct().count()
    assert migrants == 6


def test_records_are_written_a_chunk_at_a_time_and_progress_follows_the_writes(monkeypatch):
    monkeypatch.setattr(writer, "WRITE_CHUNK", 2)
    monkeypatch.setattr(writer, "PROGRESS_EVERY", 2)
    calls = []

    def progress(done, total):
        calls.append((done, total, Recommendation.objects.count()))

    summary = run_import(upr_csv(5), filename="f.csv", country="TJ", progress=progress)

    assert summary.created == 5
    # Each report comes once the records it counts are written.
    assert calls == [(2, 5, 2), (4, 5, 4), (5, 5, 5)]


def test_a_failure_while_recording_the_history_leaves_nothing(monkeypatch):
    monkeypatch.setattr(writer, "WRITE_CHUNK", 3)
    original = audit.record_values
    calls = []

    def failing(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(**kwargs)

    monkeypatch.setattr(audit, "record_values", failing)
    entries_before = AuditEntry.objects.count()

    with pytest.raises(RuntimeError):
        run_import(upr_csv(7), filename="f.csv", country="TJ")

    assert Recommendation.objects.count() == 0
    assert Recommendation.themes.through.objects.count() == 0
    assert AuditEntry.objects.count() == entries_before
    _assert_search_index_follows_the_table()


def test_dry_run_reports_the_counts_and_writes_nothing():
    summary = run_import(upr_csv(9), filename="f.csv", country="TJ", dry_run=True)
    assert (summary.created, summary.written) == (9, False)
    assert Recommendation.objects.count() == 0


def test_queries_do_not_grow_with_the_number_of_rows():
    def queries_for(count: int, state: str) -> int:
        data = upr_csv(count).replace(b"Tajikistan", state.encode())
        with CaptureQueriesContext(connection) as queries:
            summary = run_import(data, filename="f.csv", country=state)
        assert summary.created == count
        return len(queries)

    few, many = queries_for(8, "Algeria"), queries_for(80, "Kenya")
    assert many <= few + 2


def test_records_written_in_many_chunks_hold_all_their_tags_and_index_and_a_failure_leaves_nothing(
    users, monkeypatch
):
    """Over many chunks every record has all its tags, is found by the search, and the index is
    whole; a file whose fourth chunk the database refuses leaves nothing of the chunks before, and
    the error is Django's (COPY's included, on PostgreSQL)."""
    monkeypatch.setattr(writer, "WRITE_CHUNK", 3)
    summary = run_import(upr_csv(17, word="quixotic "), filename="f.csv", country="TJ")
    assert (summary.created, summary.errors) == (17, [])
    for rec in Recommendation.objects.all():
        n = int(rec.text_en.split("court number ")[1].split()[0])
        assert [s.name_en for s in rec.recommending_states.all()] == [STATES[n % len(STATES)]]
        issues = ISSUES[n % len(ISSUES)].split(", ")
        assert len(tag_ids(rec)["themes"]) + len(tag_ids(rec)["affected_groups"]) >= len(issues)
    assert Recommendation.objects.filter(pk__in=search.matching_ids("quixot court")).count() == 17
    _assert_search_index_follows_the_table()

    # A tag row written twice in the fourth chunk.
    through_rows, calls = services._through_rows, []

    def duplicated(pairs, *args, **kwargs):
        rows = through_rows(pairs, *args, **kwargs)
        calls.append(1)
        if len(calls) == 4:
            rows["themes"].append(rows["themes"][0])
        return rows

    monkeypatch.setattr(services, "_through_rows", duplicated)
    counts = _counts()
    with pytest.raises(IntegrityError):
        run_import(upr_csv(17, word="zanzibarian "), filename="g.csv", country="TJ")
    assert len(calls) == 4
    assert _counts() == counts
    assert not Recommendation.objects.filter(pk__in=search.matching_ids("zanzibar")).exists()


def _counts() -> tuple:
    return (
        Recommendation.objects.count(),
        AuditEntry.objects.count(),
        Recommendation.themes.through.objects.count(),
        Recommendation.recommending_states.through.objects.count(),
    )
