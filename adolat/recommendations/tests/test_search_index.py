"""The full-text index survives migrations that rebuild the recommendations table (SQLite)."""

import pytest
from django.db import connection

from adolat.recommendations import search
from adolat.recommendations.models import Recommendation


@pytest.mark.django_db
def test_lost_triggers_are_recreated_and_the_index_rebuilt(make_recommendation):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite keeps its index with triggers; PostgreSQL indexes the column itself")
    with connection.cursor() as cursor:
        for trigger in ("ai", "ad", "au"):
            cursor.execute(f"DROP TRIGGER {search.FTS_TABLE}_{trigger}")
    rec = make_recommendation(text_en="Abolish the death penalty", is_published=True)
    assert not Recommendation.objects.filter(pk__in=search.matching_ids("abolish")).exists()

    assert search.ensure(connection) is True
    assert list(Recommendation.objects.filter(pk__in=search.matching_ids("abolish"))) == [rec]
    assert search.ensure(connection) is False  # nothing left to repair


def _automerge() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT v FROM {search.FTS_TABLE}_config WHERE k = 'automerge'")  # noqa: S608
        row = cursor.fetchone()
    return row and int(row[0])


@pytest.mark.django_db
def test_the_index_merges_as_configured_after_migrations_and_a_rebuild(make_recommendation):
    """Imports index thousands of records at a time; the index merges its segments less often
    than FTS5's default (search.SQLITE_AUTOMERGE), on a migrated database and on one whose index
    `ensure` had to build again."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL indexes the column itself")
    assert _automerge() == search.SQLITE_AUTOMERGE != 4
    with connection.cursor() as cursor:
        for sql in search.SQLITE_TEARDOWN:
            cursor.execute(sql)
    assert search.ensure(connection) is True
    assert _automerge() == search.SQLITE_AUTOMERGE
    rec = make_recommendation(text_en="Abolish the death penalty", is_published=True)
    assert list(Recommendation.objects.filter(pk__in=search.matching_ids("abolish"))) == [rec]
