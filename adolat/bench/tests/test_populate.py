import pytest

from adolat.bench.data import SEARCH_TERMS, populate
from adolat.followup.models import Assessment, Assignment, ProgressReport
from adolat.lib.audit import history
from adolat.recommendations import search
from adolat.recommendations.models import Recommendation


@pytest.fixture
def population(db):
    return populate(400, seed=7)


def test_populate_writes_the_recommendations_and_their_follow_up(population):
    recs = Recommendation.objects.all()
    assert recs.count() == 400
    assert 0.7 < recs.filter(is_published=True).count() / 400 < 0.97
    # Every language is present, and the vocabularies are attached.
    for language in ("en", "ru", "tg"):
        assert recs.exclude(**{f"text_{language}": ""}).exists()
    assert recs.filter(themes__isnull=False).distinct().count() == 400
    assert recs.filter(recommending_states__isnull=False).exists()
    assert recs.filter(sdg_goals__isnull=False).exists()
    assert Assignment.objects.count() == population.assignment_count > 0
    assert ProgressReport.objects.count() == population.report_count > 0
    assert Assessment.objects.count() == population.assessment_count > 0


def test_each_rated_recommendation_carries_its_latest_published_rating(population):
    """As the follow-up's services keep it (Recommendation.cso_rating)."""
    rated = Recommendation.objects.exclude(cso_rating="")
    assert (
        rated.count()
        == Assessment.objects.filter(is_published=True).values("recommendation").distinct().count()
    )
    for rec in rated[:50]:
        latest = (
            Assessment.objects.filter(recommendation=rec, is_published=True)
            .order_by("-created", "-id")
            .first()
        )
        assert rec.cso_rating == latest.rating


def test_the_long_timeline_is_long(population):
    rec = Recommendation.objects.get(pk=population.long_timeline_id)
    assert rec.is_published
    assert ProgressReport.objects.filter(assignment__recommendation=rec).count() >= 300
    assert Assessment.objects.filter(recommendation=rec).count() >= 40
    assert history(rec).count() >= 600


def test_the_search_index_follows_the_bulk_inserts(population):
    def found(term):
        return set(
            Recommendation.objects.filter(pk__in=search.matching_ids(term)).values_list("pk", flat=True)
        )

    english = found(SEARCH_TERMS["latin_common"])
    russian = found(SEARCH_TERMS["cyrillic_common"])
    assert english == set(
        Recommendation.objects.filter(text_en__icontains="rights").values_list("pk", flat=True)
    )
    assert russian and russian <= set(Recommendation.objects.exclude(text_ru="").values_list("pk", flat=True))
    # Tajik letters fold: ҳуқуқи finds what хукуки finds.
    assert found("ҳуқуқи") == found("хукуки") != set()
    # The stored search document is the one the application would build (the states in any order).
    for rec in Recommendation.objects.filter(recommending_states__isnull=False).distinct()[:20]:
        names = [n for s in rec.recommending_states.all() for n in (s.name_en, s.name_ru, s.name_tg)]
        assert sorted(rec.search_document.split()) == sorted(rec.build_search_document(names).split())
