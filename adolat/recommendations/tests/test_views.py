"""The public registry pages: search, filters with counts, pagination, detail, languages."""

import re

import pytest
from django.urls import reverse

from adolat.recommendations.models import Country, Theme

LIST = reverse("recommendations:list")


@pytest.fixture
def corpus(make_recommendation):
    """A few published recommendations in three languages and one draft."""
    brazil, _ = Country.objects.get_or_create(
        code="BR", defaults={"name_en": "Brazil", "name_ru": "Бразилия"}
    )
    spain, _ = Country.objects.get_or_create(code="ES", defaults={"name_en": "Spain", "name_ru": "Испания"})
    torture, _ = Theme.objects.get_or_create(code="torture-test", defaults={"name_en": "Torture (test)"})
    recs = {
        "torture": make_recommendation(
            text_en="Criminalise torture in line with the Convention against Torture",
            text_ru="Криминализировать пытки в соответствии с Конвенцией против пыток",
            position="supported",
            is_published=True,
            year=2011,
            recommending_states=[brazil],
            themes=[torture],
        ),
        "tajik": make_recommendation(
            text_en="",
            text_tg="Ҳуқуқи инсонро дар ҷойҳои маҳрумият аз озодӣ таъмин кунед",
            original_language="tg",
            position="noted",
            is_published=True,
            year=2016,
            recommending_states=[spain],
        ),
        "invitation": make_recommendation(
            text_en="Issue a standing invitation to all special procedures",
            position="supported",
            is_published=True,
            year=2016,
            recommending_states=[brazil, spain],
        ),
        "draft": make_recommendation(text_en="Draft about torture not yet published", is_published=False),
    }
    return recs


def ids_on_page(response):
    return {rec.pk for rec in response.context["page"].object_list}


@pytest.mark.django_db
class TestSearch:
    def test_latin_query_finds_english_text_case_insensitively(self, client, corpus):
        response = client.get(LIST, {"q": "TORTURE convention"})
        assert ids_on_page(response) == {corpus["torture"].pk}

    def test_cyrillic_query_finds_russian_text(self, client, corpus):
        response = client.get(LIST, {"q": "пыток"})
        assert ids_on_page(response) == {corpus["torture"].pk}

    def test_prefix_of_a_word_matches(self, client, corpus):
        assert ids_on_page(client.get(LIST, {"q": "invit"})) == {corpus["invitation"].pk}

    @pytest.mark.parametrize("query", ["хукуки", "ҳуқуқи", "ХУКУКИ", "маҳрумият", "махрумият", "озоди"])
    def test_tajik_letters_and_russian_keyboard_spellings_find_each_other(self, client, corpus, query):
        assert ids_on_page(client.get(LIST, {"q": query})) == {corpus["tajik"].pk}

    def test_anonymous_search_never_shows_unpublished(self, client, corpus):
        found = ids_on_page(client.get(LIST, {"q": "torture"}))
        assert corpus["draft"].pk not in found

    def test_coordinator_search_includes_unpublished(self, client, corpus, users):
        client.force_login(users["coordinator"])
        found = ids_on_page(client.get(LIST, {"q": "torture"}))
        assert corpus["draft"].pk in found

    def test_recommending_state_name_is_searchable_in_russian(self, client, corpus):
        assert ids_on_page(client.get(LIST, {"q": "испания"})) == {
            corpus["tajik"].pk,
            corpus["invitation"].pk,
        }

    def test_a_query_with_no_match_shows_an_empty_state(self, client, corpus):
        response = client.get(LIST, {"q": "zzzznotaword"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert b"No recommendation matches" in response.content

    def test_punctuation_only_query_lists_everything(self, client, corpus):
        assert len(ids_on_page(client.get(LIST, {"q": '"*) -:^ ('}))) == 3


@pytest.mark.django_db
class TestFilters:
    def facet(self, response, name):
        return {o.value: o.count for f in response.context["facets"] if f.name == name for o in f.options}

    def test_position_filter_and_its_counts(self, client, corpus):
        response = client.get(LIST, {"position": "supported"})
        assert ids_on_page(response) == {corpus["torture"].pk, corpus["invitation"].pk}
        # A facet is counted without its own filter, so the other choice stays visible.
        assert self.facet(response, "position") == {"supported": 2, "noted": 1}

    def test_facets_combine_and_values_within_a_facet_are_alternatives(self, client, corpus):
        response = client.get(LIST, {"state": ["BR", "ES"], "year": "2016"})
        assert ids_on_page(response) == {corpus["tajik"].pk, corpus["invitation"].pk}
        response = client.get(LIST, {"state": "BR", "year": "2016"})
        assert ids_on_page(response) == {corpus["invitation"].pk}

    def test_counts_follow_the_other_filters(self, client, corpus):
        response = client.get(LIST, {"year": "2011"})
        assert self.facet(response, "state") == {"BR": 1}
        assert self.facet(response, "year") == {"2011": 1, "2016": 2}

    def test_theme_filter(self, client, corpus):
        assert ids_on_page(client.get(LIST, {"theme": "torture-test"})) == {corpus["torture"].pk}

    def test_search_and_filter_together(self, client, corpus):
        assert ids_on_page(client.get(LIST, {"q": "special", "position": "noted"})) == set()

    def test_unknown_filter_value_is_a_clear_translated_error(self, client, corpus):
        response = client.get(LIST, {"position": "maybe"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "“maybe” is not a valid value for the filter “position”" in response.content.decode()

    def test_sorting_oldest_first(self, client, corpus):
        response = client.get(LIST, {"sort": "oldest"})
        years = [r.year for r in response.context["page"].object_list]
        assert years == sorted(years)


@pytest.mark.django_db
class TestPagination:
    def test_pages_and_sizes(self, client, make_recommendation):
        for i in range(25):
            make_recommendation(text_en=f"Recommendation number {i}", is_published=True)
        first = client.get(LIST)
        assert len(first.context["page"].object_list) == 20
        assert first.context["page"].paginator.count == 25
        second = client.get(LIST, {"page": 2})
        assert len(second.context["page"].object_list) == 5
        assert ids_on_page(first).isdisjoint(ids_on_page(second))
        assert len(client.get(LIST, {"size": 50}).context["page"].object_list) == 25

    def test_out_of_range_page_shows_the_last_page(self, client, make_recommendation):
        make_recommendation(is_published=True)
        assert client.get(LIST, {"page": 999}).status_code == 200

    def test_query_count_does_not_grow_with_page_size(
        self, client, make_recommendation, users, django_assert_max_num_queries
    ):
        states = [
            Country.objects.get_or_create(code=c, defaults={"name_en": c})[0] for c in ("BR", "ES", "FR")
        ]
        theme, _ = Theme.objects.get_or_create(code="t1", defaults={"name_en": "T1"})
        for i in range(60):
            make_recommendation(
                text_en=f"Text {i}", is_published=True, recommending_states=states, themes=[theme]
            )
        client.force_login(users["coordinator"])
        client.get(LIST)  # warm the session
        counts = []
        for size in (20, 100):
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as ctx:
                assert (
                    client.get(LIST, {"size": size, "theme": "t1", "position": "not_applicable"}).status_code
                    == 200
                )
            counts.append(len(ctx.captured_queries))
        assert counts[0] == counts[1]
        assert counts[0] <= 25


@pytest.mark.django_db
class TestDetail:
    def test_detail_shows_text_and_facts(self, client, corpus):
        response = client.get(
            reverse("recommendations:detail", args=[corpus["torture"].pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 200
        assert "Criminalise torture" in response.content.decode()
        assert "Brazil" in response.content.decode()

    def test_missing_and_unpublished_give_the_same_404(self, client, corpus):
        missing = client.get(reverse("recommendations:detail", args=[999999]))
        hidden = client.get(reverse("recommendations:detail", args=[corpus["draft"].pk]))
        assert missing.status_code == hidden.status_code == 404
        assert missing.content == hidden.content

    def test_text_missing_in_the_language_is_shown_in_another_with_a_marker(self, client, corpus):
        client.cookies["django_language"] = "en"
        response = client.get(reverse("recommendations:detail", args=[corpus["tajik"].pk]))
        body = response.content.decode()
        assert "Ҳуқуқи инсонро" in body
        assert 'lang="tg"' in body
        assert response.context["text"].is_fallback

    def test_text_in_the_readers_language_has_no_marker(self, client, corpus):
        client.cookies["django_language"] = "ru"
        response = client.get(reverse("recommendations:detail", args=[corpus["torture"].pk]))
        assert "Криминализировать пытки" in response.content.decode()
        assert not response.context["text"].is_fallback

    def test_detail_query_count_is_bounded(self, client, corpus, django_assert_max_num_queries):
        # 14: the clusters holding the recommendation are read on their own, for its assignments
        # and for its timeline (followup.selectors._of_recommendation), which keeps PostgreSQL from
        # joining every recommendation.
        with django_assert_max_num_queries(14):
            client.get(reverse("recommendations:detail", args=[corpus["invitation"].pk]))

    def test_history_is_shown_to_coordinators_only(self, client, corpus, users):
        url = reverse("recommendations:detail", args=[corpus["torture"].pk])
        assert client.get(url).context["history"] is None
        client.force_login(users["coordinator"])
        history = client.get(url).context["history"]
        assert [row["entry"].action for row in history] == ["create"]


@pytest.mark.django_db
class TestHtmx:
    def test_htmx_request_gets_only_the_results_partial(self, client, corpus):
        full = client.get(LIST, {"q": "torture"})
        partial = client.get(LIST, {"q": "torture"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="browser")
        assert b"<html" in full.content
        assert b"<html" not in partial.content
        assert b'id="browser"' in partial.content
        links = re.compile(rb'href="/recommendations/(\d+)/')
        assert set(links.findall(partial.content)) == set(links.findall(full.content)) != set()


@pytest.mark.django_db
class TestLanguages:
    def test_switcher_remembers_the_language(self, client, corpus):
        response = client.post(reverse("set_language"), {"language": "ru", "next": LIST})
        assert response.status_code == 302
        assert response.cookies["django_language"].value == "ru"
        assert client.get(LIST).context["LANGUAGE_CODE"] == "ru"

    def test_default_language_is_tajik(self, corpus):
        from django.test import Client

        assert Client().get(LIST).context["LANGUAGE_CODE"] == "tg"

    def test_browser_language_is_followed_when_nothing_was_chosen(self, corpus):
        from django.test import Client

        assert Client(HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9").get(LIST).context["LANGUAGE_CODE"] == "ru"


@pytest.mark.django_db
class TestListRows:
    """What each row of the list says (recommendation_list.recommendation_rows)."""

    def row_of(self, body: str, rec) -> str:
        href = reverse("recommendations:detail", args=[rec.pk])
        match = re.search(
            r'<li class="rec">((?:(?!</li>).)*?href="' + re.escape(href) + r"\?.*?)</li>", body, re.S
        )
        assert match, f"no row links to {href}"
        return match.group(1)

    def test_a_row_shows_its_reference_badges_states_and_themes(self, client, corpus):
        client.cookies["django_language"] = "en"
        body = client.get(LIST, {"q": "criminalise"}).content.decode()
        row = self.row_of(body, corpus["torture"])
        assert 'class="badge pos-supported">supported<' in row
        assert 'class="badge st-' in row and "· 2011" in row
        assert '<p class="states">Recommended by: Brazil</p>' in row
        assert '<span class="tag">Torture (test)</span>' in row
        assert "not published" not in row

    def test_a_row_links_back_to_the_list_it_was_found_in(self, client, corpus):
        body = client.get(LIST, {"q": "criminalise", "position": "supported"}).content.decode()
        row = self.row_of(body, corpus["torture"])
        assert "?back=/%3Fq%3Dcriminalise%26position%3Dsupported" in row

    def test_a_text_not_in_the_readers_language_is_marked_with_its_own(self, client, corpus):
        client.cookies["django_language"] = "en"
        row = self.row_of(client.get(LIST).content.decode(), corpus["tajik"])
        assert 'lang="tg">Ҳуқуқи инсонро' in row
        assert 'class="fallback" title="Not yet translated into your language">[tg]</span>' in row
        client.cookies["django_language"] = "ru"
        row = self.row_of(client.get(LIST).content.decode(), corpus["torture"])
        assert "Криминализировать пытки" in row and "fallback" not in row and "lang=" not in row

    def test_the_text_is_escaped_and_a_long_one_cut(self, client, make_recommendation):
        short = make_recommendation(text_en="Stop <script>alert(1)</script> & co", is_published=True)
        long = make_recommendation(text_en="word " * 200, is_published=True)
        body = client.get(LIST).content.decode()
        assert "Stop &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in self.row_of(body, short)
        text = re.search(r'<a href="[^"]*"\s*>([^<]*)</a>', self.row_of(body, long)).group(1)
        assert len(text) == 420 and text.endswith("…")

    def test_a_coordinator_sees_which_are_not_published(self, client, corpus, users):
        client.force_login(users["coordinator"])
        client.cookies["django_language"] = "en"
        body = client.get(LIST).content.decode()
        assert '<span class="badge draft">not published</span>' in self.row_of(body, corpus["draft"])
        assert "badge draft" not in self.row_of(body, corpus["torture"])

    def test_a_facet_value_is_a_checkbox_with_its_count_ticked_when_chosen(self, client, corpus):
        client.cookies["django_language"] = "en"
        body = client.get(LIST, {"position": "supported"}).content.decode()
        assert re.search(
            r'name="position" value="supported"\s*checked>\s*supported <span class="count">2</span>', body
        )
        assert re.search(r'name="position" value="noted"\s*>\s*noted <span class="count">1</span>', body)
        assert re.search(r'name="state" value="ES"\s*>\s*Spain <span class="count">1</span>', body)

    @pytest.mark.parametrize("language", ["en", "ru", "tg"])
    def test_a_facet_count_is_written_as_the_language_writes_numbers(self, settings, language):
        from django.utils import translation
        from django.utils.formats import localize

        from adolat.recommendations.selectors import Facet, FacetOption
        from adolat.recommendations.templatetags.recommendation_list import facet_options

        settings.USE_THOUSAND_SEPARATOR = True
        facet = Facet("theme", "Theme", [FacetOption("a&b", 'Prisons <"old">', 1234567, False)])
        with translation.override(language):
            written = facet_options(facet)
            expected = localize(1234567)
        assert expected != "1234567"
        assert f'<span class="count">{expected}</span>' in written
        assert 'value="a&amp;b"' in written and "Prisons &lt;&quot;old&quot;&gt;" in written
