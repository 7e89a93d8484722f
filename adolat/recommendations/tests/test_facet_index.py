"""The facet index (facet_index.py) counts what the database counts, for every combination of
filters and both scopes, and follows every kind of write: the audited ones by reading again only
the records the audit log names, the others (a delete, a tag removed, a record written around the
services) by building again."""

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from adolat.recommendations import facet_index, selectors, services
from adolat.recommendations.models import (
    AffectedGroup,
    Country,
    Mechanism,
    Recommendation,
    SdgGoal,
    SourceDocument,
    Theme,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(db):
    """60 recommendations over two mechanisms, three documents, every position and several
    statuses, years, recommending states, themes, groups and goals; a sixth unpublished."""
    tj, _ = Country.objects.get_or_create(code="TJ", defaults={"name_en": "Tajikistan"})
    states = [Country.objects.get_or_create(code=c, defaults={"name_en": c})[0] for c in ("BR", "ES", "FR")]
    upr, _ = Mechanism.objects.get_or_create(code="UPR", defaults={"kind": "upr", "name_en": "UPR"})
    cat, _ = Mechanism.objects.get_or_create(code="CAT", defaults={"kind": "treaty", "name_en": "CAT"})
    documents = [
        SourceDocument.objects.create(mechanism=m, country=tj, symbol=f"DOC/{i}", year=2010 + i)
        for i, m in enumerate((upr, upr, cat))
    ]
    themes = [
        Theme.objects.get_or_create(code=f"fi-theme-{i}", defaults={"name_en": f"T{i}"})[0] for i in range(4)
    ]
    groups = [
        AffectedGroup.objects.get_or_create(code=f"fi-group-{i}", defaults={"name_en": f"G{i}"})[0]
        for i in range(2)
    ]
    goals = list(SdgGoal.objects.order_by("number")[:3])
    datas = []
    for i in range(60):
        document = documents[i % 3]
        datas.append(
            services.RecommendationData(
                country=tj,
                mechanism=document.mechanism,
                document=document if i % 7 else None,
                text_en=f"Recommendation {i} on {'prisons' if i % 4 else 'courts'} and detention",
                position=("supported", "noted", "not_applicable")[i % 3],
                status=("not_started", "in_progress", "implemented", "partially_implemented")[i % 4],
                year=None if i % 11 == 0 else 2010 + i % 5,
                is_published=i % 6 != 0,
                recommending_states=states[: i % 4],
                themes=[themes[i % 4], themes[(i + 1) % 4]] if i % 2 else [themes[i % 4]],
                affected_groups=groups[: i % 3],
                sdg_goals=goals[: i % 4],
            )
        )
    services.recommendations_bulk_create(
        pairs=[(services.recommendation_build(data=d), d) for d in datas], source="import"
    )
    return {"states": states, "themes": themes, "groups": groups, "goals": goals, "documents": documents}


def combinations(corpus):
    """Filters alone and in pairs, and with a search."""
    one = [
        {},
        {"q": "prisons"},
        {"q": "courts"},
        {"mechanism": ["CAT"]},
        {"document": [corpus["documents"][0].pk, corpus["documents"][2].pk]},
        {"theme": ["fi-theme-1"]},
        {"theme": ["fi-theme-0", "fi-theme-3"]},
        {"group": ["fi-group-1"]},
        {"sdg": [corpus["goals"][1].number]},
        {"position": ["noted"]},
        {"status": ["implemented", "in_progress"]},
        {"year": [2011, 2013]},
        {"state": ["ES"]},
        {"country": ["TJ"]},
        {"theme": ["no-such-theme"]},
        {"state": ["ZZ"]},
    ]
    yield from one
    for a, b in itertools.combinations(one[1:], 2):
        if set(a) & set(b):
            continue
        yield {**a, **b}


@pytest.fixture(params=["one pass", "record by record"])
def counting(request, monkeypatch):
    """Both ways the index counts: one pass over every record, and record by record for a small
    selection (every selection of the corpus is small by default)."""
    monkeypatch.setattr(facet_index, "SMALL_SELECTION", -1 if request.param == "one pass" else 10**9)
    return request.param


@pytest.mark.parametrize("visible_all", [False, True], ids=["public", "coordinator"])
def test_the_index_counts_what_the_database_counts(corpus, users, visible_all, counting):
    user = users["coordinator"] if visible_all else AnonymousUser()
    checked = 0
    for given in combinations(corpus):
        filters = selectors.Filters(**given)
        expected = selectors.facet_counts_in_sql(user=user, filters=filters)
        counted = facet_index.counts(
            visible_all=visible_all, filters=filters, counted=selectors.COUNTED_FACETS
        )
        assert counted == expected, given
        checked += 1
    assert checked > 60
    assert facet_index.builds() == 1


def indexed(filters=None) -> dict:
    return facet_index.counts(
        visible_all=False, filters=filters or selectors.Filters(), counted=selectors.COUNTED_FACETS
    )


def in_sql(filters=None) -> dict:
    return selectors.facet_counts_in_sql(user=AnonymousUser(), filters=filters or selectors.Filters())


def test_audited_writes_are_followed_without_building_again(corpus, users, make_recommendation, counting):
    by_theme = selectors.Filters(theme=["fi-theme-2"])
    assert indexed() == in_sql() and indexed(by_theme) == in_sql(by_theme)
    assert facet_index.builds() == 1

    # a new record, a changed one (tags, position), a status set by the follow-up, one unpublished
    make_recommendation(
        text_en="A new one", is_published=True, position="noted", themes=[corpus["themes"][2]]
    )
    rec = Recommendation.objects.filter(is_published=True).order_by("pk")[1]
    data = services.RecommendationData(
        country=rec.country,
        mechanism=rec.mechanism,
        text_en=rec.text_en,
        position="supported",
        is_published=True,
        themes=[corpus["themes"][2]],
        recommending_states=[corpus["states"][2]],
    )
    services.recommendation_update(recommendation=rec, data=data, source="command")
    other = Recommendation.objects.filter(is_published=True).order_by("pk")[2]
    services.recommendation_set_status(recommendation=other, status="implemented", by=None, source="command")
    services.recommendation_set_published(
        recommendation=Recommendation.objects.filter(is_published=True).order_by("pk")[3],
        published=False,
        by=None,
        source="command",
    )
    for filters in (
        None,
        by_theme,
        selectors.Filters(state=["FR"]),
        selectors.Filters(status=["implemented"]),
    ):
        assert indexed(filters) == in_sql(filters)
    assert facet_index.builds() == 1, "audited writes are read again, not built again"
    for recs, _terms in facet_index._index.pairs.values():
        assert (recs[1:] >= recs[:-1]).all(), "the pairs stay ordered by record"


def test_writes_around_the_services_build_the_index_again(corpus):
    assert indexed() == in_sql()
    # a tag removed on its own, without the record being saved (no history)
    rec = Recommendation.objects.filter(is_published=True, themes__code="fi-theme-1").first()
    rec.themes.remove(corpus["themes"][1])
    assert indexed() == in_sql()
    assert facet_index.builds() == 2
    # a record deleted
    Recommendation.objects.filter(is_published=True).order_by("pk").first().delete()
    assert indexed() == in_sql()
    assert facet_index.builds() == 3
    # a record inserted around the services (no history, no signal)
    template = Recommendation.objects.filter(is_published=True).order_by("pk").first()
    Recommendation.objects.bulk_create(
        [
            Recommendation(
                country=template.country,
                mechanism=template.mechanism,
                text_en="Written around the services",
                is_published=True,
                position="noted",
            )
        ]
    )
    assert indexed() == in_sql()
    assert facet_index.builds() == 4


def test_another_process_sees_a_delete_through_the_generation(corpus):
    """Each process has its own index: the signal moves a generation in the database, which an
    index built before the delete (here: a second instance) sees on its next refresh."""
    other = facet_index.FacetIndex()
    assert other.refresh()
    Recommendation.objects.filter(is_published=True).order_by("-pk").exclude(
        pk=Recommendation.objects.order_by("-pk").values("pk")[:1]
    ).first().delete()
    assert other.refresh() and other.builds == 2
    assert (
        other.counts(visible_all=False, filters=selectors.Filters(), counted=selectors.COUNTED_FACETS)
        == in_sql()
    )


def test_the_list_page_reads_counts_from_the_index(client, corpus, django_assert_max_num_queries):
    response = client.get("/", {"theme": "fi-theme-1", "position": "supported"})
    assert response.status_code == 200
    assert facet_index.builds() == 1
    expected = in_sql(selectors.Filters(theme=["fi-theme-1"], position=["supported"]))
    assert response.context["page"].paginator.count == expected["_total"][""]
    shown = {o.value: o.count for f in response.context["facets"] if f.name == "theme" for o in f.options}
    assert shown["fi-theme-2"] == int(expected["theme"][str(Theme.objects.get(code="fi-theme-2").pk)])


@pytest.mark.parametrize("sort", list(selectors.SORTS))
@pytest.mark.parametrize("visible_all", [False, True], ids=["public", "coordinator"])
def test_pages_from_the_index_are_the_pages_the_database_orders(corpus, users, sort, visible_all):
    """Every page of every order, missing years and documents included (where the database puts
    NULLs differs between SQLite and PostgreSQL), is the page plain OFFSET paging gives."""
    from django.core.paginator import Paginator

    user = users["coordinator"] if visible_all else AnonymousUser()
    for given in ({}, {"q": "prisons"}, {"theme": ["fi-theme-1"], "position": ["noted", "supported"]}):
        filters = selectors.Filters(sort=sort, **given)
        qs = selectors.recommendation_list(user=user, filters=filters)
        plain = Paginator(qs, 7)
        ours = selectors.recommendation_paginator(qs, 7, user=user, filters=filters)
        assert ours.page_ids is not None, "the index serves"
        assert ours.count == plain.count > 7
        for number in plain.page_range:
            assert [r.pk for r in ours.page(number)] == [r.pk for r in plain.page(number)], (given, number)


def test_a_page_from_the_index_never_shows_what_the_person_may_not_see(corpus, users):
    """The ids come from memory; the rows are read among the visible records all the same."""
    filters = selectors.Filters()
    qs = selectors.recommendation_list(user=AnonymousUser(), filters=filters)
    paginator = selectors.recommendation_paginator(qs, 100, user=AnonymousUser(), filters=filters)
    # As if the index were behind: its ids for every record, the unpublished included.
    everything = list(Recommendation.objects.order_by("pk").values_list("pk", flat=True))
    paginator.page_ids = lambda offset, limit: everything[offset : offset + limit]
    shown = [r.pk for r in paginator.page(1)]
    published = set(Recommendation.objects.filter(is_published=True).values_list("pk", flat=True))
    assert shown == [pk for pk in everything[: paginator.count] if pk in published]
    assert len(shown) < paginator.count, "the unpublished ids were left out"


def test_long_facets_show_their_most_frequent_values_and_link_to_the_rest(client, corpus, monkeypatch):
    monkeypatch.setattr(selectors, "FACET_SHOWN", 2)

    def themes(response):
        facet = next(f for f in response.context["facets"] if f.name == "theme")
        return [o.value for o in facet.options], facet.more

    response = client.get("/", {"position": "noted"})
    shown, more = themes(response)
    counted = in_sql(selectors.Filters(position=["noted"]))["theme"]
    by_count = sorted(counted.items(), key=lambda kv: -kv[1])
    assert len(shown) == 2 and more == len(counted) - 2 > 0
    assert {Theme.objects.get(code=c).pk for c in shown} == {int(pk) for pk, _n in by_count[:2]}
    body = response.content.decode()
    assert f"{more} more values" in body and "more=theme#facet-theme" in body
    # A selected value stays in view, however rare.
    rare = Theme.objects.get(pk=int(by_count[-1][0])).code
    shown, more = themes(client.get("/", {"position": "noted", "theme": rare}))
    assert rare in shown and len(shown) == 3
    # All of them, asked for.
    response = client.get("/", {"position": "noted", "more": "theme"})
    shown, more = themes(response)
    assert len(shown) == len(counted) and more == 0
    assert 'id="facet-theme" open' in response.content.decode()
    # In Russian too.
    client.cookies["django_language"] = "ru"
    assert "ещё" in client.get("/", {"position": "noted"}).content.decode()


def test_ids_too_sparse_for_arrays_are_counted_by_the_database(client, corpus, monkeypatch):
    monkeypatch.setattr(facet_index, "MAX_SPARSENESS", 1)
    monkeypatch.setattr(facet_index, "SPARSE_SLACK", 0)
    template = Recommendation.objects.filter(is_published=True).order_by("pk").first()
    services.recommendation_create(
        data=services.RecommendationData(
            country=template.country, mechanism=template.mechanism, text_en="Far away", is_published=True
        ),
        source="command",
    )
    Recommendation.objects.filter(text_en="Far away").update(id=10_000)
    facet_index.reset()
    assert (
        facet_index.select(visible_all=False, filters=selectors.Filters(), counted=selectors.COUNTED_FACETS)
        is None
    )
    assert facet_index.builds() == 1
    response = client.get("/", {"size": 100})
    assert response.status_code == 200
    published = Recommendation.objects.filter(is_published=True)
    assert response.context["page"].paginator.count == published.count() <= 100
    assert 10_000 in [r.pk for r in response.context["page"]]
    assert selectors.facet_counts(user=AnonymousUser(), filters=selectors.Filters()) == in_sql()
    assert facet_index.builds() == 1, "not built again on every page"


# --- The names of the terms (terms.py) ----------------------------------------------------------


def labels(response, name: str) -> dict[str, str]:
    return {o.value: o.label for f in response.context["facets"] if f.name == name for o in f.options}


def test_a_list_page_names_its_terms_from_memory_until_one_is_written(client, corpus):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from adolat.recommendations import terms

    query = {"q": "prisons"}
    client.get("/", query)
    terms.forget()
    with CaptureQueriesContext(connection) as cold:
        first = client.get("/", query)
    with CaptureQueriesContext(connection) as warm:
        second = client.get("/", query)
    # Nothing read of the vocabularies: the index's state, the search, the rows.
    tables = [m._meta.db_table for m in (Mechanism, SourceDocument, Theme, AffectedGroup, SdgGoal, Country)]
    assert [q["sql"] for q in cold if f'"{Theme._meta.db_table}"' in q["sql"]]
    assert not [q["sql"] for q in warm for table in tables if f'"{table}"' in q["sql"]]
    assert len(warm) == 3
    for name in ("mechanism", "document", "theme", "group", "sdg", "state"):
        assert labels(second, name) == labels(first, name) != {}, name
    assert labels(second, "theme")["fi-theme-1"] == "T1"

    # A rename (as the administration saves it) is shown on the next page.
    theme = corpus["themes"][1]
    theme.name_en, theme.name_ru = "Prisons", "Тюрьмы"
    theme.save()
    assert labels(client.get("/", query), "theme")["fi-theme-1"] == "Prisons"
    # The terms kept are translated when shown.
    client.cookies["django_language"] = "ru"
    assert labels(client.get("/", query), "theme")["fi-theme-1"] == "Тюрьмы"
    # So is a deleted term: it is no longer named.
    client.cookies["django_language"] = "en"
    state = corpus["states"][0]
    assert state.code in labels(client.get("/", query), "state")
    Recommendation.recommending_states.through.objects.filter(country=state).delete()
    state.delete()
    assert state.code not in labels(client.get("/", query), "state")


def test_a_term_written_without_signals_is_read_when_first_counted(client, corpus):
    client.get("/")
    (new,) = Theme.objects.bulk_create([Theme(code="fi-theme-new", name_en="Brand new")])
    rec = Recommendation.objects.filter(is_published=True).order_by("pk").first()
    services.recommendation_update(
        recommendation=rec,
        data=services.RecommendationData(
            country=rec.country, mechanism=rec.mechanism, text_en=rec.text_en, is_published=True, themes=[new]
        ),
        source="command",
    )
    assert labels(client.get("/"), "theme")["fi-theme-new"] == "Brand new"
    # A filter naming a term that does not exist names nothing.
    assert "fi-theme-none" not in labels(client.get("/", {"theme": "fi-theme-none"}), "theme")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_pages_served_from_memory_read_as_pages_served_by_the_database(client, corpus, settings, language):
    """The rows of a list page and of the API name their mechanism, document, state, recommending
    states, themes, groups and goals from memory when the index served the page; they say what the
    database says, in the same order."""
    import re

    corpus["themes"][2].name_ru = "Тема два"
    corpus["themes"][2].save()
    client.cookies["django_language"] = language
    pages = [
        ("/", {"size": 100}),
        ("/", {"q": "prisons", "sort": "position"}),
        ("/", {"theme": "fi-theme-3", "state": "ES"}),
        ("/api/v1/recommendations", {"page_size": 100}),
        ("/api/v1/recommendations", {"q": "courts", "sdg": corpus["goals"][1].number}),
    ]

    def shown(url, query):
        response = client.get(url, query)
        assert response.status_code == 200
        if url.startswith("/api"):
            return response.json()
        rows = re.search(r'<ol class="recs".*?</ol>', response.content.decode(), re.S).group(0)
        facets = [
            (f.name, [(o.value, o.label, o.count) for o in f.options]) for f in response.context["facets"]
        ]
        return rows, facets

    settings.ADOLAT_FACET_INDEX = True
    client.get("/")  # terms read once; the pages below name them from memory
    from_memory = [shown(url, query) for url, query in pages]
    settings.ADOLAT_FACET_INDEX = False
    from_database = [shown(url, query) for url, query in pages]
    assert from_memory == from_database
    rows = from_memory[0][0]
    assert ("Тема два" if language == "ru" else "T2") in rows and "DOC/1" in rows
    assert ("Франция, Испания" if language == "ru" else "France, Spain") in rows
    api = from_memory[3]["results"][1]
    assert api["themes"] and api["recommending_states"] and api["sdg_goals"]
