"""The bulk inserts of new records (services._insert_records) store what the ORM would store."""

import pytest
from django.core.exceptions import ValidationError
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


def _built(**values) -> Recommendation:
    rec = services._new_record()
    for name, value in {"text_en": "Ensure access to justice", "position": "supported", **values}.items():
        setattr(rec, name, value)
    return rec


@pytest.mark.parametrize(
    "values",
    [
        {"paragraph": "1" * 33},
        {"position": "maybe"},
        {"position": ""},
        {"status": None},
        {"original_language": "fr", "paragraph": "x" * 40},
        {"year": -1},
        {"year": 40000},
        {"year": "2012"},
        {"is_published": None},
        {"text_ru": 5},
        {"cso_rating": "great"},
        {"is_published": 1},
        {"year": True},
    ],
)
def test_bulk_validation_gives_the_errors_and_values_of_clean_fields(values):
    def outcome(check) -> tuple:
        rec = _built(**values)
        try:
            check(rec)
        except ValidationError as exc:
            return ("invalid", exc.message_dict)
        # clean_fields keeps what to_python made of a value ("2012" for a year is 2012).
        return (
            "valid",
            [(f.attname, type(v), v) for f in Recommendation._meta.fields for v in [getattr(rec, f.attname)]],
        )

    expected = outcome(lambda rec: rec.clean_fields(exclude=services._BULK_EXCLUDE))
    assert outcome(services._clean_fields) == expected


def test_bulk_validation_of_valid_values_is_cheap_and_changes_nothing(monkeypatch):
    rec = _built(paragraph="1" * 32, year=2012, is_published=True, text_tg="Ҳуқуқ", position_note="x")
    before = {f.attname: getattr(rec, f.attname) for f in Recommendation._meta.fields}
    rec.clean_fields(exclude=services._BULK_EXCLUDE)  # valid

    def refused(*args, **kwargs):
        raise AssertionError("clean_fields ran")

    monkeypatch.setattr(Recommendation, "clean_fields", refused)
    services._clean_fields(rec)
    assert {f.attname: getattr(rec, f.attname) for f in Recommendation._meta.fields} == before
    # A value the quick checks do not vouch for runs the full checks.
    rec.year = "2012"
    with pytest.raises(AssertionError):
        services._clean_fields(rec)


def test_new_records_never_take_the_id_of_a_deleted_one():
    """Ids are given before the rows are written (services._new_ids): after the highest ever given,
    not the highest stored, so a deleted record's history (kept by id) never passes to a new one."""
    run_import(upr_csv(3), filename="f.csv", country="TJ")
    model = Recommendation.objects.order_by("pk").last()
    deleted = model.pk
    model.delete()
    data = services.RecommendationData(
        country=model.country, mechanism=model.mechanism, text_en="Ratify the Optional Protocol"
    )
    before = Recommendation.objects.count()

    created = services.recommendations_bulk_create(
        pairs=[(services.recommendation_build(data=data), data) for _n in range(3)], source="import"
    )

    ids = [rec.pk for rec in created]
    assert min(ids) > deleted and ids == sorted(set(ids))
    assert Recommendation.objects.count() == before + 3
    assert set(Recommendation.objects.filter(pk__in=ids).values_list("text_en", flat=True)) == {data.text_en}


def test_the_history_of_a_created_record_is_written_as_the_canonical_json_of_its_changes():
    """services._created_encoded writes the snapshot's JSON straight; it must be, byte for byte,
    what encoding the snapshot's changes gives (the hash chain depends on it)."""
    from adolat.lib import audit
    from adolat.recommendations.models import Country, Position, SdgTarget

    run_import(upr_csv(3), filename="f.csv", country="TJ")
    model = Recommendation.objects.select_related("country", "mechanism", "document").first()
    states = list(Country.objects.order_by("-code")[:3])
    targets = list(SdgTarget.objects.select_related("goal").order_by("code")[:3])
    texts = ['Say "no" to\\ torture\n\ttoday', "Ҳуқуқи инсон — «ҳама»", "emoji 🙂 \x01\x7f\u2028", ""]
    varied = []
    for n, text in enumerate(texts):
        for document in (model.document, None):
            varied.append(
                services.RecommendationData(
                    country=model.country,
                    mechanism=model.mechanism,
                    document=document,
                    paragraph=str(n) * n,
                    text_en=text or "x",
                    text_ru=text,
                    position=Position.SUPPORTED if n % 2 else "noted",
                    position_note=text,
                    year=None if n % 2 else 2000 + n,
                    is_published=bool(n % 2),
                    natural_key=text,
                    recommending_states=states[: n % 4],
                    themes=list(model.themes.all()),
                    sdg_targets=targets[: n % 4],
                )
            )
    assert len(states) == 3 and len(targets) == 3 and model.themes.exists()
    for data in varied:
        snap = services.data_snapshot(data)
        assert services._created_encoded(snap) == audit.encoded(audit.diff({}, snap))
