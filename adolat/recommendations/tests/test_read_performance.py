"""What keeps the list pages fast at scale: a bounded number of queries whatever the page size, the
facet counts (from the in-memory facet index, and from the database with the stored counts of the
unfiltered list) kept right through every kind of write, and pages read by their ids giving the
same rows as plain OFFSET paging."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils.http import urlencode

from adolat.api.pagination import paginate as api_paginate
from adolat.recommendations import facet_index, selectors, services
from adolat.recommendations.models import (
    AffectedGroup,
    Country,
    FacetCountSnapshot,
    Mechanism,
    Recommendation,
    Theme,
)

LIST = reverse("recommendations:list")


@pytest.fixture
def vocab(db):
    brazil, _ = Country.objects.get_or_create(code="BR", defaults={"name_en": "Brazil"})
    spain, _ = Country.objects.get_or_create(code="ES", defaults={"name_en": "Spain"})
    torture, _ = Theme.objects.get_or_create(code="torture-perf", defaults={"name_en": "Torture (perf)"})
    women, _ = Theme.objects.get_or_create(code="women-perf", defaults={"name_en": "Women (perf)"})
    children, _ = AffectedGroup.objects.get_or_create(code="children-perf", defaults={"name_en": "Children"})
    return {"brazil": brazil, "spain": spain, "torture": torture, "women": women, "children": children}


@pytest.fixture
def many(vocab):
    """45 published recommendations (more than two pages of 20) and 3 drafts, written as imports
    write them."""
    mechanism, _ = Mechanism.objects.get_or_create(
        code="UPR", defaults={"kind": "upr", "name_en": "Universal Periodic Review"}
    )
    country, _ = Country.objects.get_or_create(code="TJ", defaults={"name_en": "Tajikistan"})
    datas = [
        services.RecommendationData(
            country=country,
            mechanism=mechanism,
            text_en=f"Recommendation number {i} on torture",
            position=("supported", "noted")[i % 2],
            status=("not_started", "in_progress", "implemented")[i % 3],
            is_published=True,
            year=2000 + i % 20,
            recommending_states=[vocab["brazil"], vocab["spain"]][: 1 + i % 2],
            themes=[vocab["torture"]] if i % 3 else [vocab["torture"], vocab["women"]],
            affected_groups=[vocab["children"]] if i % 5 == 0 else [],
        )
        for i in range(PUBLISHED)
    ]
    datas += [
        services.RecommendationData(
            country=country, mechanism=mechanism, text_en=f"Draft {i}", themes=[vocab["women"]]
        )
        for i in range(3)
    ]
    return services.recommendations_bulk_create(
        pairs=[(services.recommendation_build(data=d), d) for d in datas], source="import"
    )


PUBLISHED = 45


def naive_counts(qs) -> dict:
    """The counts the facets must show, counted the slow and obvious way."""
    return {
        "position": {p: qs.filter(position=p).count() for p in ("supported", "noted")},
        "theme": {t.code: qs.filter(themes=t).count() for t in Theme.objects.filter(code__endswith="-perf")},
        "state": {
            c.code: qs.filter(recommending_states=c).count()
            for c in Country.objects.filter(code__in=["BR", "ES"])
        },
        "group": {"children-perf": qs.filter(affected_groups__code="children-perf").count()},
        "total": qs.count(),
    }


def shown_counts(response) -> dict:
    facets = {f.name: {o.value: o.count for o in f.options} for f in response.context["facets"]}
    return {
        "position": {p: facets["position"].get(p, 0) for p in ("supported", "noted")},
        "theme": {c: facets["theme"].get(c, 0) for c in ("torture-perf", "women-perf")},
        "state": {c: facets["state"].get(c, 0) for c in ("BR", "ES")},
        "group": {"children-perf": facets["group"].get("children-perf", 0)},
        "total": response.context["page"].paginator.count,
    }


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"theme": "torture-perf", "position": "supported"},
        {"q": "torture", "state": "BR"},
        {"theme": "torture-perf", "position": "supported", "page": "2"},
    ],
)
def test_the_list_page_costs_the_same_queries_at_every_page_size(
    client, many, query, django_assert_max_num_queries
):
    client.get(LIST, query)  # stores the unfiltered counts, as any visit after a write does
    counts = {}
    for size in (20, 100):
        with django_assert_max_num_queries(14) as ctx:
            response = client.get(LIST, {**query, "size": size})
        assert response.status_code == 200
        assert len(response.context["page"].object_list) > 0
        counts[size] = len(ctx.captured_queries)
    assert counts[20] == counts[100], counts


def test_the_api_list_costs_the_same_queries_at_every_page_size(client, many, django_assert_max_num_queries):
    url = "/api/v1/recommendations"
    client.get(url)
    counts = {}
    for size in (20, 100):
        with django_assert_max_num_queries(12) as ctx:
            response = client.get(url, {"page_size": size, "theme": "torture-perf"})
        assert response.status_code == 200
        counts[size] = len(ctx.captured_queries)
    assert counts[20] == counts[100], counts


# --- Facet counts -----------------------------------------------------------------------------


def test_facet_counts_of_a_filtered_list_leave_out_each_facets_own_filter(client, many, counting):
    response = client.get(LIST, {"theme": "torture-perf", "position": "supported"})
    published = Recommendation.objects.filter(is_published=True)
    shown = shown_counts(response)
    # The position facet ignores the position filter, the theme facet the theme filter.
    assert shown["position"] == naive_counts(published.filter(themes__code="torture-perf"))["position"]
    assert shown["theme"] == naive_counts(published.filter(position="supported"))["theme"]
    both = published.filter(themes__code="torture-perf", position="supported")
    assert shown["state"] == naive_counts(both)["state"]
    assert shown["total"] == both.count() == 23


@pytest.fixture(params=["index", "sql"])
def counting(request, settings):
    """The facet counts from the facet index (the default) and from the database."""
    settings.ADOLAT_FACET_INDEX = request.param == "index"
    return request.param


def test_facet_counts_follow_every_kind_of_write(client, many, vocab, make_recommendation, users, counting):
    published = Recommendation.objects.filter(is_published=True)

    def check():
        assert shown_counts(client.get(LIST)) == naive_counts(published)
        for query in ({"position": "noted"}, {"theme": "women-perf", "state": "ES"}, {"q": "imported"}):
            response = client.get(LIST, query)
            assert response.status_code == 200
            expected = selectors.facet_counts_in_sql(
                user=AnonymousUser(), filters=selectors.parse_filters(QueryDict(urlencode(query)))
            )
            assert (
                selectors.facet_counts(user=AnonymousUser(), filters=response.context["filters"]) == expected
            )

    check()
    if counting == "sql":
        assert FacetCountSnapshot.objects.filter(scope="published").exists()
    check()  # read from the snapshot, or from the index as it is

    # create
    make_recommendation(text_en="A new one", is_published=True, position="noted", themes=[vocab["women"]])
    check()
    # update through the service: position and tags change
    rec = many[0]
    data = services.RecommendationData(
        country=rec.country,
        mechanism=rec.mechanism,
        text_en=rec.text_en,
        position="noted",
        is_published=True,
        themes=[vocab["women"]],
        recommending_states=[vocab["spain"]],
    )
    services.recommendation_update(recommendation=rec, data=data, source="command")
    check()
    # a tag removed on its own, without saving the record
    many[1].themes.remove(vocab["torture"])
    check()
    # unpublished
    services.recommendation_set_published(recommendation=many[2], published=False, by=None, source="command")
    check()
    # deleted
    many[3].delete()
    check()
    # bulk writes, as imports make them
    datas = [
        services.RecommendationData(
            country=rec.country,
            mechanism=rec.mechanism,
            text_en=f"Imported {i}",
            is_published=True,
            position="supported",
            themes=[vocab["torture"]],
        )
        for i in range(3)
    ]
    created = services.recommendations_bulk_create(
        pairs=[(services.recommendation_build(data=d), d) for d in datas], source="import"
    )
    check()
    changed = []
    for new_rec, d in zip(created, datas, strict=True):
        d.position, d.themes = "noted", []
        changed.append((services.recommendation_build(data=d, recommendation=new_rec), d, {"themes": [1, 2]}))
    services.recommendations_bulk_update(changed=changed, source="import")
    check()


def test_coordinators_counts_include_unpublished_and_are_stored_apart(client, many, users, counting):
    client.get(LIST)
    client.force_login(users["coordinator"])
    response = client.get(LIST)
    assert shown_counts(response) == naive_counts(Recommendation.objects.all())
    if counting == "sql":
        stored = FacetCountSnapshot.objects.exclude(scope=facet_index.VOCABULARY)
        assert set(stored.values_list("scope", flat=True)) == {"published", "all"}
    assert Client().get(LIST).context["page"].paginator.count == PUBLISHED


# --- Pages read by their ids ------------------------------------------------------------------


@pytest.mark.parametrize("sort", list(selectors.SORTS))
def test_pages_read_by_ids_are_the_pages_of_plain_offset_paging(many, users, sort):
    filters = selectors.Filters(sort=sort)
    qs = selectors.recommendation_list(user=users["coordinator"], filters=filters)
    plain = Paginator(qs, 20)
    ours = selectors.RecommendationPaginator(qs, 20)
    assert ours.count == plain.count == PUBLISHED + 3
    for number in plain.page_range:
        assert [r.pk for r in ours.page(number)] == [r.pk for r in plain.page(number)]
    given = selectors.RecommendationPaginator(qs, 20, count=PUBLISHED + 3)
    assert [r.pk for r in given.page(3)] == [r.pk for r in plain.page(3)]


def test_the_api_pages_the_same_way(rf, many):
    qs = selectors.recommendation_list(user=AnonymousUser(), filters=selectors.Filters())
    request = rf.get("/api/v1/recommendations")
    page = api_paginate(request, qs, 2, 20, paginator=selectors.RecommendationPaginator(qs, 20))
    assert page["count"] == PUBLISHED and page["pages"] == 3
    assert [r.pk for r in page["results"]] == [r.pk for r in Paginator(qs, 20).page(2)]
