"""The measurements in process, on the test database: every page the benchmark measures answers
200 through the whole stack for its user, and the figures are consistent."""

import pytest

from adolat.bench import runner
from adolat.bench.data import populate


@pytest.fixture
def bench(db):
    return runner.Bench(populate(150, seed=11), repeat=2, warmup=1)


def test_every_page_is_measured(bench):
    pages = bench.pages()
    assert len({p.name for p in pages}) == len(pages) >= 20
    for page in pages:
        result = bench.measure(page).as_dict()
        assert 0 < result["p50_ms"] <= result["p95_ms"], page.name
        assert result["queries"] >= 1 and result["floor_p50_ms"] > 0, page.name


def test_the_coordinator_is_measured_signed_in_past_the_second_factor(bench):
    from adolat.recommendations.models import Recommendation

    # Only coordinators see unpublished recommendations: a 200 proves the page was served to them
    # and not the redirect to the second step.
    unpublished = Recommendation.objects.filter(is_published=False).first()
    assert bench.signed_in.get(f"/recommendations/{unpublished.pk}/", secure=True).status_code == 200
    assert bench.anonymous.get(f"/recommendations/{unpublished.pk}/", secure=True).status_code == 404


def test_percentile():
    assert runner.percentile([1, 2, 3, 4, 5], 50) == 3
    assert runner.percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)
    assert runner.percentile([], 95) == 0.0


def test_the_facet_index_is_measured_and_follows_a_change_without_building_again(bench):
    result = bench.facet_index().as_dict()
    assert result["ok"], result
    assert result["builds"] == 1 and result["bytes"] > 0 and result["build_s"] >= 0
