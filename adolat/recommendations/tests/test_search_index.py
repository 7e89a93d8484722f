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
