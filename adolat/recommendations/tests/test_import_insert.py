"""The bulk inserts of new records (services._insert_records) store what the ORM would store."""

import pytest
from django.utils import timezone

from adolat.recommendations import services
from adolat.recommendations.importers import run_import
from adolat.recommendations.models import Recommendation
from adolat.recommendations.tests.test_import_bulk import upr_csv

pytestmark = pytest.mark.django_db

COMPARED = [
    f.attname for f in Recommendation._meta.concrete_fields if f.attname not in ("id", "created", "updated")
]


def test_inserted_records_hold_what_a_save_would_store_and_get_their_ids():
    run_import(upr_csv(3), filename="f.csv", country="TJ")
    model = Recommendation.objects.select_related("country", "mechanism", "document").order_by("pk").first()
    data = services.RecommendationData(
        country=model.country,
        mechanism=model.mechanism,
        document=model.document,
        paragraph="12.3",
        text_en="Ensure access to justice for «all», Côte d'Ivoire",
        original_language="en",
        position=model.position,
        year=None,
        is_published=True,
        natural_key="k" * 64,
    )
    before = timezone.now()
    many = [services.recommendation_build(data=data) for _n in range(150)]  # several statements
    services._insert_records(many)
    saved = services.recommendation_build(data=data)
    saved.save()

    assert all(not rec._state.adding for rec in many)
    ids = [rec.pk for rec in many]
    assert len(set(ids)) == 150 and ids == sorted(ids)
    expected = Recommendation.objects.filter(pk=saved.pk).values_list(*COMPARED).get()
    rows = {row[0]: row[1:] for row in Recommendation.objects.filter(pk__in=ids).values_list("pk", *COMPARED)}
    assert set(rows) == set(ids)
    assert all(row == expected for row in rows.values())
    assert expected[COMPARED.index("year")] == model.document.year  # a derived field, stored
    first = Recommendation.objects.get(pk=ids[0])
    assert before <= first.created == many[0].created <= timezone.now()
    assert first.updated == many[0].updated
