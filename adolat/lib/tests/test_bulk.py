"""adolat.lib.bulk.insert stores the rows given, as they are, whichever way it sends them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from adolat.lib import bulk
from adolat.recommendations.models import Recommendation, Theme

THROUGH = Recommendation.themes.through


def _stored() -> list[tuple]:
    return list(THROUGH.objects.order_by("pk").values_list("recommendation_id", "theme_id"))


@pytest.mark.django_db
def test_rows_of_integers_are_stored_in_order(make_recommendation):
    first, second = make_recommendation(), make_recommendation()
    themes = list(Theme.objects.order_by("pk")[:3])
    assert len(themes) == 3
    THROUGH.objects.all().delete()
    rows = [(second.pk, themes[2].pk), (first.pk, themes[0].pk), (first.pk, themes[1].pk)]
    with CaptureQueriesContext(connection) as captured:
        bulk.insert(connection, THROUGH._meta.db_table, ["recommendation_id", "theme_id"], rows)
    assert _stored() == rows
    assert set(first.themes.all()) == {themes[0], themes[1]}
    if connection.vendor == "sqlite":
        # One statement for all the rows, read by SQLite from JSON.
        inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
        assert len(inserts) == 1 and "json_each" in inserts[0]


@pytest.mark.django_db
def test_values_json_would_change_go_as_they_are(make_recommendation):
    """A bool (JSON writes true), a number too large for 64 bits or a text beyond ASCII is never
    sent as JSON: SQLite could read back 1, a float or another text."""
    rec = make_recommendation()
    theme = Theme.objects.order_by("pk").first()
    THROUGH.objects.all().delete()
    assert not bulk._json_exact([(rec.pk, True)])
    assert not bulk._json_exact([(rec.pk, 2**63)])
    assert not bulk._json_exact([(rec.pk, "Таджикистан")])
    assert not bulk._json_exact([(rec.pk, "\ud800")])
    assert not bulk._json_exact([(rec.pk, 1.5)])
    assert bulk._json_exact([(rec.pk, None), (-(2**63), 2**63 - 1), (1, "TJ")])
    # Wider rows go row by row, as they are.
    columns = ["id", "recommendation_id", "theme_id"]
    bulk.insert(connection, THROUGH._meta.db_table, columns, [(1000, rec.pk, theme.pk)])
    assert _stored() == [(rec.pk, theme.pk)]
    assert THROUGH.objects.get().pk == 1000


@pytest.mark.django_db
def test_codes_are_stored_as_they_are(make_recommendation):
    """The recommending states' rows hold a code: it goes through JSON and back as it is."""
    from adolat.recommendations.models import Country

    rec = make_recommendation()
    codes = sorted(Country.objects.values_list("code", flat=True)[:3])
    through = Recommendation.recommending_states.through
    through.objects.all().delete()
    rows = [(rec.pk, code) for code in codes]
    bulk.insert(connection, through._meta.db_table, ["recommendation_id", "country_id"], rows)
    assert list(through.objects.order_by("pk").values_list("recommendation_id", "country_id")) == rows
