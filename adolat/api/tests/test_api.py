"""API v1 as its callers use it: the public, a coordinator with a token, a browser session."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from adolat.accounts.models import ApiToken
from adolat.accounts.services import api_token_create, api_token_revoke
from adolat.recommendations.models import (
    AffectedGroup,
    Country,
    Mechanism,
    SdgGoal,
    SdgTarget,
    SourceDocument,
    Theme,
)
from adolat.recommendations.services import RecommendationData, recommendation_create

pytestmark = pytest.mark.django_db

LIST = "/api/v1/recommendations"


def detail_url(pk) -> str:
    return f"{LIST}/{pk}"


@pytest.fixture
def vocab():
    """Vocabulary entries the tests tag with; get_or_create, as a migration may ship some."""

    def country(code, name):
        return Country.objects.get_or_create(code=code, defaults={"name_en": name})[0]

    goal5 = SdgGoal.objects.get_or_create(number=5, defaults={"title_en": "Gender equality"})[0]
    goal16 = SdgGoal.objects.get_or_create(number=16, defaults={"title_en": "Peace and justice"})[0]
    return {
        "tj": country("TJ", "Tajikistan"),
        "fr": country("FR", "France"),
        "de": country("DE", "Germany"),
        "kg": country("KG", "Kyrgyzstan"),
        "upr": Mechanism.objects.get_or_create(
            code="UPR", defaults={"kind": "upr", "name_en": "Universal Periodic Review"}
        )[0],
        "cat": Mechanism.objects.get_or_create(
            code="api-test-CAT", defaults={"kind": "treaty_body", "name_en": "Committee against Torture"}
        )[0],
        "torture": Theme.objects.get_or_create(
            code="api-test-torture", defaults={"name_en": "Torture", "name_ru": "Пытки", "name_tg": "Шиканҷа"}
        )[0],
        "women": Theme.objects.get_or_create(code="api-test-women", defaults={"name_en": "Women's rights"})[
            0
        ],
        "children": AffectedGroup.objects.get_or_create(
            code="api-test-children", defaults={"name_en": "Children"}
        )[0],
        "goal5": goal5,
        "goal16": goal16,
        "target16_3": SdgTarget.objects.get_or_create(
            code="16.3", defaults={"goal": goal16, "title_en": "Rule of law", "sort_order": 3}
        )[0],
    }


@pytest.fixture
def document(vocab):
    return SourceDocument.objects.create(
        mechanism=vocab["upr"],
        country=vocab["tj"],
        symbol="A/HRC/api-test/3",
        title_en="Report of the Working Group",
        title_ru="Доклад Рабочей группы",
        year=2022,
        cycle=4,
        session="41",
    )


@pytest.fixture
def published(make_recommendation, vocab, document):
    return make_recommendation(
        text_en="Ratify the Optional Protocol to the Convention against Torture",
        text_ru="Ратифицировать Факультативный протокол к Конвенции против пыток",
        original_language="en",
        document=document,
        paragraph="88.1",
        position="supported",
        status="in_progress",
        recommending_states=[vocab["fr"], vocab["de"]],
        themes=[vocab["torture"]],
        affected_groups=[vocab["children"]],
        # Goal 16 is implied by its target; given too because services._with_goals_of_targets
        # cannot yet add a goal it was not given (it builds an unsaved SdgGoal).
        sdg_goals=[vocab["goal16"]],
        sdg_targets=[vocab["target16_3"]],
        is_published=True,
    )


@pytest.fixture
def unpublished(make_recommendation):
    return make_recommendation(text_en="Draft: establish a national preventive mechanism", year=2024)


@pytest.fixture
def bearer(users):
    """`bearer("coordinator")`: request headers carrying a fresh token of that user."""

    def make(role: str) -> dict:
        _token, raw = api_token_create(user=users[role], name="test")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


# --- Visibility and authentication --------------------------------------------------------------


def test_it_lists_only_published_recommendations_to_anonymous_callers(client, published, unpublished):
    response = client.get(LIST)
    assert ids(response) == [published.pk]
    assert response.json()["count"] == 1


def test_it_lists_unpublished_recommendations_to_a_coordinator_token(client, bearer, published, unpublished):
    response = client.get(LIST, **bearer("coordinator"))
    assert sorted(ids(response)) == sorted([published.pk, unpublished.pk])
    assert response.json()["count"] == 2


@pytest.mark.parametrize("role", ["focal_point", "cso_contributor", "viewer", "outsider"])
def test_it_hides_unpublished_recommendations_from_other_tokens(client, bearer, role, published, unpublished):
    assert ids(client.get(LIST, **bearer(role))) == [published.pk]
    assert client.get(detail_url(unpublished.pk), **bearer(role)).status_code == 404


def test_it_accepts_the_browser_session(client, users, published, unpublished):
    client.force_login(users["coordinator"])
    assert sorted(ids(client.get(LIST))) == sorted([published.pk, unpublished.pk])
    assert client.get(detail_url(unpublished.pk)).status_code == 200


def test_it_returns_the_same_404_for_missing_and_unpublished(client, published, unpublished):
    hidden = client.get(detail_url(unpublished.pk))
    missing = client.get(detail_url(unpublished.pk + 1000))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"detail": "Not found.", "errors": []}


def test_it_shows_an_unpublished_recommendation_to_a_coordinator(client, bearer, unpublished):
    response = client.get(detail_url(unpublished.pk), **bearer("coordinator"))
    assert response.status_code == 200
    assert response.json()["is_published"] is False


def test_it_refuses_a_revoked_token_rather_than_falling_back_to_anonymous(client, users, published):
    token, raw = api_token_create(user=users["coordinator"], name="laptop")
    api_token_revoke(token=token, by=users["coordinator"])
    response = client.get(LIST, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401
    assert response.json() == {"detail": "This API token is not valid or has been revoked.", "errors": []}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer adl_not-a-real-token", "Bearer nonsense", "Bearer ", "Basic dXNlcjpwYXNz", "adl_x", "Token x"],
)
def test_it_refuses_any_authorization_header_that_is_not_a_valid_token(client, published, header):
    for url in (LIST, detail_url(published.pk), "/api/v1/themes"):
        response = client.get(url, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, url
        assert response.json()["detail"]


def test_it_refuses_the_token_of_a_deactivated_user(client, users, bearer, published):
    headers = bearer("coordinator")
    users["coordinator"].is_active = False
    users["coordinator"].save()
    assert client.get(LIST, **headers).status_code == 401


def test_it_records_token_use_at_most_once_a_minute(client, users, published):
    token, raw = api_token_create(user=users["viewer"], name="script")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    client.get(LIST, **headers)
    token.refresh_from_db()
    first = token.last_used
    assert first is not None

    with CaptureQueriesContext(connection) as queries:
        client.get(LIST, **headers)
    assert not [q for q in queries if q["sql"].upper().startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used == first

    ApiToken.objects.filter(pk=token.pk).update(last_used=first - timedelta(minutes=2))
    client.get(LIST, **headers)
    token.refresh_from_db()
    assert token.last_used > first - timedelta(seconds=1)
    assert token.last_used <= timezone.now()


# --- The recommendation object -------------------------------------------------------------------


def test_it_gives_every_field_of_a_recommendation(client, published, document):
    body = client.get(detail_url(published.pk)).json()
    assert body == {
        "id": published.pk,
        "reference": "A/HRC/api-test/3, para. 88.1",
        "country": "TJ",
        "mechanism": "UPR",
        "document": {
            "id": document.pk,
            "symbol": "A/HRC/api-test/3",
            "session": "41",
            "cycle": 4,
            "year": 2022,
            "title": {"tg": "", "ru": "Доклад Рабочей группы", "en": "Report of the Working Group"},
        },
        "paragraph": "88.1",
        "text": {
            "tg": "",
            "ru": "Ратифицировать Факультативный протокол к Конвенции против пыток",
            "en": "Ratify the Optional Protocol to the Convention against Torture",
        },
        "original_language": "en",
        "recommending_states": ["DE", "FR"],
        "position": "supported",
        "status": "in_progress",
        "themes": ["api-test-torture"],
        "affected_groups": ["api-test-children"],
        # A target implies its goal (recommendations.services).
        "sdg_goals": [16],
        "sdg_targets": ["16.3"],
        "year": 2022,
        "is_published": True,
        "updated": body["updated"],
    }
    assert client.get(LIST).json()["results"] == [body]


def test_it_gives_null_for_a_recommendation_without_document_or_year(client, make_recommendation):
    rec = make_recommendation(is_published=True)
    body = client.get(detail_url(rec.pk)).json()
    assert body["document"] is None
    assert body["year"] is None
    assert body["reference"] == ""


@pytest.mark.parametrize("bad", ["abc", "0", "-3", "1.5", str(2**63)])
def test_it_refuses_an_id_that_is_not_a_positive_integer(client, bad):
    response = client.get(detail_url(bad))
    assert response.status_code == 400
    assert response.json()["errors"] == [f"“{bad}” is not a valid value for the parameter “id”."]


# --- Pagination ---------------------------------------------------------------------------------


@pytest.fixture
def five(make_recommendation):
    return [
        make_recommendation(text_en=f"Recommendation {i}", year=2000 + i, is_published=True) for i in range(5)
    ]


def test_it_paginates(client, five):
    first = client.get(LIST, {"page_size": 2, "sort": "oldest"}).json()
    assert first["count"] == 5
    assert first["pages"] == 3
    assert (first["page"], first["page_size"]) == (1, 2)
    assert [r["year"] for r in first["results"]] == [2000, 2001]
    assert first["previous"] is None
    assert first["next"].startswith("http://testserver/api/v1/recommendations?")

    second = client.get(first["next"]).json()
    assert [r["year"] for r in second["results"]] == [2002, 2003]
    assert "sort=oldest" in second["next"] and "page_size=2" in second["next"]
    assert client.get(second["previous"]).json() == first

    last = client.get(second["next"]).json()
    assert [r["year"] for r in last["results"]] == [2004]
    assert last["next"] is None


def test_it_answers_404_past_the_last_page(client, five):
    response = client.get(LIST, {"page_size": 2, "page": 4})
    assert response.status_code == 404
    assert response.json()["detail"] == "There is no page 4: the list has 3 pages."


def test_it_gives_an_empty_first_page_for_an_empty_list(client, db):
    body = client.get(LIST).json()
    assert body == {
        "count": 0,
        "page": 1,
        "page_size": 20,
        "pages": 1,
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"page": 0}, "“0” is not a valid value for the parameter “page”."),
        ({"page": "x"}, "“x” is not a valid value for the parameter “page”."),
        ({"page_size": 0}, "“0” is not a valid value for the parameter “page_size”."),
        ({"page_size": 101}, "“101” is not a valid value for the parameter “page_size”."),
        ({"page": [1, 2]}, "The parameter “page” may be given only once."),
    ],
)
def test_it_refuses_bad_page_parameters(client, query, message):
    response = client.get(LIST, query)
    assert response.status_code == 400
    assert response.json() == {"detail": message, "errors": [message]}


def test_the_number_of_queries_does_not_grow_with_the_page(
    client, bearer, make_recommendation, vocab, document, django_assert_max_num_queries
):
    for i in range(30):
        make_recommendation(
            text_en=f"Recommendation {i}",
            document=document,
            recommending_states=[vocab["fr"], vocab["de"]],
            themes=[vocab["torture"], vocab["women"]],
            affected_groups=[vocab["children"]],
            sdg_goals=[vocab["goal5"], vocab["goal16"]],
            sdg_targets=[vocab["target16_3"]],
            is_published=i % 3 != 0,
        )
    headers = bearer("coordinator")
    client.get(LIST, **headers)  # the first use of a token records it; later ones do not write

    counts = {}
    for size in (5, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, {"page_size": size, "theme": "api-test-torture"}, **headers)
        assert len(response.json()["results"]) == min(size, 30)
        counts[size] = len(queries)
    assert counts[5] == counts[100]

    # The first unfiltered list after a change recounts the stored facet counts (recommendations/
    # selectors.py); later ones read them: the counts' fingerprint and row, the page's ids, its rows,
    # and one prefetch each for states, themes, groups, goals and targets; a token adds its lookup
    # and the user's roles; a filter is counted by one query instead of the stored counts.
    client.get(LIST, {"page_size": 100})
    with django_assert_max_num_queries(9):
        client.get(LIST, {"page_size": 100})
    with django_assert_max_num_queries(11):
        client.get(LIST, {"page_size": 100}, **headers)
    with django_assert_max_num_queries(12):
        client.get(LIST, {"page_size": 100, "theme": "api-test-torture"}, **headers)
    rec = ids(client.get(LIST, {"page_size": 1}))[0]
    # the recommendation, and its states, themes, groups, goals, targets and the targets' goals.
    with django_assert_max_num_queries(7):
        assert client.get(detail_url(rec)).status_code == 200


# --- Search -------------------------------------------------------------------------------------


@pytest.fixture
def multilingual(make_recommendation):
    return {
        "tg": make_recommendation(
            text_en="",
            text_tg="Ҳуқуқи инсонро дар қонунгузорӣ таъмин намоед",
            original_language="tg",
            is_published=True,
        ),
        "ru": make_recommendation(
            text_en="",
            text_ru="Обеспечить право на справедливое судебное разбирательство; хукук",
            original_language="ru",
            is_published=True,
        ),
        "en": make_recommendation(text_en="Abolish the death penalty", is_published=True),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("death penalty", ["en"]),
        ("DEATH", ["en"]),
        ("справедлив", ["ru"]),
        ("Ҳуқуқи", ["tg"]),
        # Tajik letters typed on a Russian keyboard find the Tajik text, and the other way round.
        ("хукуки", ["tg"]),
        ("хукук", ["ru", "tg"]),
        ("ҳуқуқ", ["ru", "tg"]),
        ("қонунгузорӣ", ["tg"]),
        ("конунгузори", ["tg"]),
        ("nothing-matches-this", []),
    ],
)
def test_it_searches_every_language(client, multilingual, q, expected):
    found = ids(client.get(LIST, {"q": q}))
    assert sorted(found) == sorted(multilingual[k].pk for k in expected)
    assert client.get(LIST, {"q": q}).json()["count"] == len(expected)


# --- Filters ------------------------------------------------------------------------------------


@pytest.fixture
def tagged(make_recommendation, vocab, document):
    """Three published recommendations that differ in every filter."""
    return {
        "a": make_recommendation(
            text_en="A",
            document=document,
            position="supported",
            status="implemented",
            recommending_states=[vocab["fr"]],
            themes=[vocab["torture"]],
            affected_groups=[vocab["children"]],
            sdg_goals=[vocab["goal16"]],
            is_published=True,
        ),
        "b": make_recommendation(
            text_en="B",
            mechanism=vocab["cat"],
            position="noted",
            status="not_started",
            year=2019,
            recommending_states=[vocab["de"]],
            themes=[vocab["women"]],
            sdg_goals=[vocab["goal5"]],
            is_published=True,
        ),
        "c": recommendation_create(
            data=RecommendationData(
                country=vocab["kg"],
                mechanism=vocab["upr"],
                text_en="C",
                position="pending",
                status="in_progress",
                year=2015,
                is_published=True,
            ),
            source="command",
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"mechanism": "api-test-CAT"}, ["b"]),
        ({"mechanism": ["api-test-CAT", "UPR"]}, ["a", "b", "c"]),
        ({"theme": "api-test-torture"}, ["a"]),
        ({"theme": ["api-test-torture", "api-test-women"]}, ["a", "b"]),
        ({"group": "api-test-children"}, ["a"]),
        ({"sdg": 5}, ["b"]),
        ({"sdg": [5, 16]}, ["a", "b"]),
        ({"position": "noted"}, ["b"]),
        ({"position": ["noted", "pending"]}, ["b", "c"]),
        ({"status": "implemented"}, ["a"]),
        ({"year": 2022}, ["a"]),
        ({"year": [2019, 2015]}, ["b", "c"]),
        ({"state": "fr"}, ["a"]),
        ({"state": ["FR", "DE"]}, ["a", "b"]),
        ({"country": "KG"}, ["c"]),
        ({"country": "TJ"}, ["a", "b"]),
        # Filters combine.
        ({"theme": ["api-test-torture", "api-test-women"], "position": "noted"}, ["b"]),
        ({"q": "B", "state": "DE"}, ["b"]),
        # Empty values are ignored, as on the pages.
        ({"theme": "", "q": ""}, ["a", "b", "c"]),
    ],
)
def test_each_filter(client, tagged, query, expected):
    assert sorted(ids(client.get(LIST, query))) == sorted(tagged[k].pk for k in expected)


def test_the_document_filter(client, tagged, document):
    assert ids(client.get(LIST, {"document": document.pk})) == [tagged["a"].pk]


def test_the_sort_orders(client, tagged):
    assert ids(client.get(LIST, {"sort": "oldest"})) == [tagged[k].pk for k in ("c", "b", "a")]
    assert ids(client.get(LIST, {"sort": "newest"})) == [tagged[k].pk for k in ("a", "b", "c")]
    assert ids(client.get(LIST)) == ids(client.get(LIST, {"sort": "newest"}))


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"theme": "no-such-theme"}, ["“no-such-theme” is not a valid value for the filter “theme”."]),
        ({"mechanism": "XYZ"}, ["“XYZ” is not a valid value for the filter “mechanism”."]),
        ({"group": "nobody"}, ["“nobody” is not a valid value for the filter “group”."]),
        ({"state": "ZZ"}, ["“ZZ” is not a valid value for the filter “state”."]),
        ({"document": 999999}, ["“999999” is not a valid value for the filter “document”."]),
        ({"position": "maybe"}, ["“maybe” is not a valid value for the filter “position”."]),
        ({"status": "done"}, ["“done” is not a valid value for the filter “status”."]),
        ({"sdg": 18}, ["“18” is not a valid value for the filter “sdg”."]),
        ({"year": "last"}, ["“last” is not a valid value for the filter “year”."]),
        ({"year": 1900}, ["“1900” is not a valid value for the filter “year”."]),
        ({"sort": "random"}, ["“random” is not a valid sort order."]),
        (
            {"theme": ["api-test-torture", "x1", "x2"]},
            [
                "“x1” is not a valid value for the filter “theme”.",
                "“x2” is not a valid value for the filter “theme”.",
            ],
        ),
    ],
)
def test_it_refuses_unknown_filter_values_naming_them(client, tagged, query, errors):
    response = client.get(LIST, query)
    assert response.status_code == 400
    assert response.json() == {"detail": " ".join(errors), "errors": errors}


@pytest.mark.parametrize("query", [{"theme": "torture\x00"}, {"q": "a\x00b"}, {"state": "\x00"}])
def test_it_refuses_a_nul_character_which_postgresql_cannot_compare(client, tagged, query):
    response = client.get(LIST, query)
    assert response.status_code == 400
    assert response.json()["errors"]


def test_it_names_an_unknown_state_under_review(client, db):
    response = client.get(LIST, {"country": "ZZ"})
    assert response.status_code == 400
    # selectors.parse_filters checks `state` and `country` together and names the filter "state".
    assert "“ZZ”" in response.json()["detail"]


def test_error_messages_follow_the_request_language(client, db):
    """The messages are gettext strings: with no catalogue entry the English text comes back, but
    the request's language is the one activated while they are built."""
    response = client.get(LIST, {"theme": "x"}, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert response["Content-Language"] == "ru"


# --- Vocabularies -------------------------------------------------------------------------------


def test_the_vocabularies(client, vocab, document):
    themes = client.get("/api/v1/themes").json()
    assert {"code": "api-test-torture", "names": {"tg": "Шиканҷа", "ru": "Пытки", "en": "Torture"}} in themes

    groups = client.get("/api/v1/affected-groups").json()
    assert {"code": "api-test-children", "names": {"tg": "", "ru": "", "en": "Children"}} in groups

    countries = client.get("/api/v1/countries").json()
    assert {c["code"] for c in countries} >= {"TJ", "FR", "DE", "KG"}

    goals = {g["number"]: g for g in client.get("/api/v1/sdg-goals").json()}
    goal, target = vocab["goal16"], vocab["target16_3"]
    assert goals[16]["title"] == {"tg": goal.title_tg, "ru": goal.title_ru, "en": goal.title_en}
    assert goals[16]["short_title"]["en"] == goal.short_en
    assert {
        "code": "16.3",
        "title": {"tg": target.title_tg, "ru": target.title_ru, "en": target.title_en},
    } in goals[16]["targets"]


def test_the_paginated_vocabularies(client, vocab, document):
    mechanisms = client.get("/api/v1/mechanisms", {"page_size": 100}).json()
    codes = [m["code"] for m in mechanisms["results"]]
    assert {"UPR", "api-test-CAT"} <= set(codes)
    cat = next(m for m in mechanisms["results"] if m["code"] == "api-test-CAT")
    assert cat["kind"] == "treaty_body"
    assert cat["names"]["en"] == "Committee against Torture"

    documents = client.get("/api/v1/documents").json()
    assert documents["count"] == SourceDocument.objects.count()
    assert documents["results"][0] == {
        "id": document.pk,
        "symbol": "A/HRC/api-test/3",
        "session": "41",
        "cycle": 4,
        "year": 2022,
        "title": {"tg": "", "ru": "Доклад Рабочей группы", "en": "Report of the Working Group"},
        "mechanism": "UPR",
        "country": "TJ",
        "date": None,
    }
    assert client.get("/api/v1/documents", {"page": 99}).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/mechanisms",
        "/api/v1/documents",
        "/api/v1/themes",
        "/api/v1/affected-groups",
        "/api/v1/sdg-goals",
        "/api/v1/countries",
    ],
)
def test_vocabularies_take_a_bounded_number_of_queries(
    client, vocab, document, url, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        assert client.get(url).status_code == 200
