"""Cluster suggestions: on the real Tajikistan 2011 UPR recommendations, and the pieces underneath."""

import io
import json
import random
from itertools import combinations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from adolat.conftest import SHARED_DATA, needs_shared_data
from adolat.followup import clustering
from adolat.followup.models import Cluster
from adolat.followup.services import cluster_create, cluster_reject
from adolat.lib.models import AuditEntry
from adolat.recommendations.importers import import_upr_info
from adolat.recommendations.models import Country, Recommendation
from adolat.recommendations.services import RecommendationData, recommendation_create

TAJIK_2011 = SHARED_DATA / "upr-info" / "tajikistan-2011-upr-info-utf8.csv"
STANDING_INVITATION_STATES = {"Brazil", "Spain", "Romania", "Latvia"}


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def tajikistan_2011(db):
    summary = import_upr_info(TAJIK_2011, country="TJ", publish=True)
    assert summary.created == 150
    return Recommendation.objects.filter(country="TJ")


def states_of(cluster: Cluster) -> set[str]:
    return {state.name_en for rec in cluster.recommendations.all() for state in rec.recommending_states.all()}


def members(cluster: Cluster) -> set[int]:
    return set(cluster.recommendations.values_list("pk", flat=True))


def standing_invitation_cluster(clusters) -> Cluster:
    found = [c for c in clusters if any("standing invitation" in r.text_en for r in c.recommendations.all())]
    assert len(found) == 1, [c.title_en for c in found]
    return found[0]


def suggest(*args) -> list[dict]:
    out = io.StringIO()
    call_command("suggest-clusters", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


# --- the real recommendations -------------------------------------------------------------------


@needs_shared_data
def test_it_groups_the_standing_invitation_recommendations(tajikistan_2011):
    clusters = clustering.suggest_clusters(country="TJ")

    cluster = standing_invitation_cluster(clusters)
    assert states_of(cluster) == STANDING_INVITATION_STATES
    assert cluster.recommendations.count() == 4
    # Nothing unrelated pulled in: every member asks for the standing invitation...
    assert all("standing invitation" in r.text_en.lower() for r in cluster.recommendations.all())
    # ...and only that: Japan's and Uruguay's also ask to ratify treaties, a demand of their own.
    assert not [r for r in cluster.recommendations.all() if "ratify" in r.text_en.lower()]
    assert (cluster.origin, cluster.state, cluster.country_id) == ("suggested", "proposed", "TJ")
    assert "standing invitation" in cluster.title_en
    assert len(cluster.title_en) <= clustering.TITLE_LENGTH
    assert AuditEntry.objects.filter(
        object_type="followup.cluster", object_id=str(cluster.pk), action="create"
    ).exists()


@needs_shared_data
def test_every_suggestion_on_the_real_data_is_a_tight_group(tajikistan_2011):
    clusters = clustering.suggest_clusters(country="TJ")

    assert 3 <= len(clusters) <= 12
    seen: set[int] = set()
    for cluster in clusters:
        pks = members(cluster)
        assert len(pks) >= 2
        assert not pks & seen, "a recommendation is suggested in two clusters at once"
        seen |= pks
    # The Optional Protocol to CAT and the one to CEDAW are different treaties, however alike the
    # sentences asking to ratify them.
    for cluster in clusters:
        texts = " ".join(r.text_en for r in cluster.recommendations.all())
        assert not ("CEDAW" in texts and "CAT" in texts), cluster.title_en


@needs_shared_data
def test_a_rejected_suggestion_is_not_suggested_again(tajikistan_2011, users):
    first = clustering.suggest_clusters(country="TJ")
    cluster = standing_invitation_cluster(first)
    cluster_reject(cluster=cluster, by=users["coordinator"])

    again = clustering.suggest_clusters(country="TJ")

    assert again == []
    assert Cluster.objects.count() == len(first)
    rejected = members(cluster)
    assert not [
        s for s in clustering.find_suggestions(country="TJ") if {r.pk for r in s.recommendations} <= rejected
    ]


@needs_shared_data
def test_a_rejected_suggestion_does_not_come_back_inside_a_larger_group(
    tajikistan_2011, users, make_recommendation
):
    cluster = standing_invitation_cluster(clustering.suggest_clusters(country="TJ"))
    cluster_reject(cluster=cluster, by=users["coordinator"])
    rejected = members(cluster)
    # A later review brings the same recommendation once more.
    newcomer = make_recommendation("Extend a standing invitation to all special procedures")

    [again] = clustering.suggest_clusters(country="TJ")

    assert newcomer.pk in members(again)
    assert len(members(again) & rejected) == 1


@needs_shared_data
def test_running_it_again_suggests_nothing_twice(tajikistan_2011):
    first = clustering.suggest_clusters(country="TJ")

    assert clustering.suggest_clusters(country="TJ") == []
    assert Cluster.objects.count() == len(first)


@needs_shared_data
def test_recommendations_in_a_confirmed_cluster_are_left_out(tajikistan_2011):
    brazil, spain = (
        Recommendation.objects.get(
            country="TJ", recommending_states__name_en=name, text_en__icontains="standing"
        )
        for name in ("Brazil", "Spain")
    )
    cluster_create(
        country=brazil.country,
        recommendations=[brazil, spain],
        origin="manual",
        state="confirmed",
        title_en="Standing invitation",
        source="web",
    )

    cluster = standing_invitation_cluster(clustering.suggest_clusters(country="TJ"))

    assert states_of(cluster) == {"Romania", "Latvia"}


@needs_shared_data
def test_the_command_dry_run_lists_and_saves_nothing(tajikistan_2011):
    found = suggest("--country", "tj", "--dry-run")

    assert Cluster.objects.count() == 0
    group = next(s for s in found if any("standing invitation" in r["text"] for r in s["recommendations"]))
    assert len(group["recommendations"]) == 4
    assert group["cluster"] is None
    assert all(r["score"] >= clustering.DEFAULT_THRESHOLD for r in group["recommendations"])

    created = suggest("--country", "TJ")

    assert len(created) == len(found) == Cluster.objects.count()
    assert all(s["cluster"] for s in created)
    assert AuditEntry.objects.filter(object_type="followup.cluster", source="command").count() == len(created)


@needs_shared_data
def test_the_command_prints_a_readable_list(tajikistan_2011):
    out = io.StringIO()
    call_command("suggest-clusters", stdout=out)  # the states this instance tracks: TJ

    text = out.getvalue()
    assert "Extend a standing invitation to all Special Procedures" in text
    assert f"{Cluster.objects.count()} clusters suggested." in text


def test_the_command_refuses_an_unknown_state_or_a_wrong_threshold(db):
    with pytest.raises(CommandError, match="not a known state"):
        suggest("--country", "XX")
    with pytest.raises(CommandError, match="threshold"):
        suggest("--country", "TJ", "--threshold", "0")
    with pytest.raises(CommandError, match="threshold"):
        suggest("--country", "TJ", "--threshold", "101")


def test_other_states_recommendations_are_never_grouped_with_ours(make_recommendation):
    ours = [make_recommendation("Extend a standing invitation to all special procedures") for _ in range(2)]
    kg = Country.objects.get_or_create(code="KG", defaults={"name_en": "Kyrgyzstan"})[0]
    text = "Extend a standing invitation to all special procedures"
    recommendation_create(
        data=RecommendationData(country=kg, mechanism=ours[0].mechanism, text_en=text), source="web"
    )

    [cluster] = clustering.suggest_clusters(country="TJ")

    assert members(cluster) == {r.pk for r in ours}


def test_russian_texts_are_grouped_too(make_recommendation):
    a = make_recommendation(
        "",
        text_ru="Рассмотреть возможность направления постоянного приглашения специальным процедурам",
        original_language="ru",
    )
    b = make_recommendation(
        "", text_ru="Направить постоянное приглашение всем специальным процедурам", original_language="ru"
    )
    make_recommendation("", text_ru="Ратифицировать Конвенцию о правах инвалидов", original_language="ru")
    make_recommendation("", text_ru="Отменить смертную казнь", original_language="ru")

    [cluster] = clustering.suggest_clusters(country="TJ")

    assert members(cluster) == {a.pk, b.pk}
    assert cluster.title_ru == "Направить постоянное приглашение всем специальным процедурам"
    assert cluster.title_en == ""


# --- the pieces ---------------------------------------------------------------------------------


def test_normalising_drops_lead_ins_stop_words_and_qualifiers():
    forms = {
        "Consider issuing a standing invitation to Special Procedures",
        "Extend a standing invitation to all Special Procedures",
        "Issue a standing invitation to all special procedures of the United Nations Human Rights Council",
        "Consider extending a standing invitation to all  Special Procedures of the Human Rights Council ",
        "Continue to extend a standing invitation to all special procedures as soon as possible",
    }
    assert len({tuple(clustering.normalise(f)) for f in forms}) == 1
    assert clustering.normalise("Ratify the Optional Protocol to the CAT") == [
        "ratify",
        "optional",
        "protocol",
        "cat",
    ]


def test_similarity_weighs_rare_words_and_spelling_variants():
    texts = [
        clustering.normalise(t)
        for t in (
            "Ratify the Optional Protocol to CEDAW",
            "Ratify the Optional Protocol to the CAT",
            "Sign and ratify the Optional Protocol to the CAT",
            "Ratify the Optional Protocol to the Convention on the Rights of the Child",
            "Strengthen the national human rights organisation",
            "Strengthen the national human rights organization",
        )
    ]
    weights = clustering.word_weights(texts)
    assert clustering.similarity(texts[0], texts[1], weights) < 70  # different treaties
    assert clustering.similarity(texts[1], texts[2], weights) >= 80  # the same one
    assert clustering.similarity(texts[4], texts[5], weights) == pytest.approx(100)


def test_a_chain_is_cut_around_its_medoid():
    # 0~1~2~3~4 in a chain, each only like its neighbours: no group of five, nor of four.
    links = {0: {1: 90}, 1: {0: 90, 2: 90}, 2: {1: 90, 3: 90}, 3: {2: 90, 4: 90}, 4: {3: 90}}

    groups = clustering.cut_groups(links)

    assert max(len(g.members) for g in groups) == 3
    for group in groups:
        assert all(member in links[group.medoid] for member in group.members[1:])


def test_a_cut_off_part_is_grouped_again():
    links = {
        0: {1: 95, 2: 95, 3: 85},
        1: {0: 95, 2: 95},
        2: {0: 95, 1: 95},
        3: {0: 85, 4: 90},
        4: {3: 90, 5: 90},
        5: {4: 90},
    }

    groups = clustering.cut_groups(links)

    assert [sorted(g.members) for g in groups] == [[0, 1, 2, 3], [4, 5]]


def test_short_titles_cut_at_a_word():
    long = "Take all necessary measures to protect " * 10
    title = clustering.short_title(long)
    assert len(title) <= clustering.TITLE_LENGTH and title.endswith("…")
    assert long.startswith(title.removesuffix("…") + " ")
    assert clustering.short_title("  Extend   a standing invitation. ") == "Extend a standing invitation"


# --- scale --------------------------------------------------------------------------------------


def _random_corpus(n: int, seed: int) -> list[list[str]]:
    """Texts of 6-20 words drawn from a Zipf-like vocabulary of 3,000 short words (too short for the
    fuzzy word match, so `similarity` is exact and the blocking guarantee can be checked)."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(3000)]
    zipf = [1 / (rank + 1) for rank in range(len(vocabulary))]
    return [rng.choices(vocabulary, zipf, k=rng.randint(6, 20)) for _ in range(n)]


@pytest.mark.parametrize("threshold", [60, 80, 95])
def test_blocking_misses_no_pair_above_the_threshold(threshold):
    texts = _random_corpus(300, seed=threshold)
    # Near-duplicates: a copy of some texts with a word changed.
    rng = random.Random(7)
    for words in list(texts[:60]):
        copy = list(words)
        copy[rng.randrange(len(copy))] = "w2999"
        texts.append(copy)
    weights = clustering.word_weights(texts)

    candidates = set(clustering.candidate_pairs(texts, weights, threshold=threshold))
    above = {
        (i, j)
        for i, j in combinations(range(len(texts)), 2)
        if clustering.similarity(texts[i], texts[j], weights) >= threshold
    }

    assert above, "the test corpus has near-duplicates"
    assert above <= candidates
    assert len(candidates) < len(texts) * (len(texts) - 1) / 2 / 3


def test_blocking_keeps_candidates_far_below_all_pairs_on_a_large_corpus():
    texts = _random_corpus(20_000, seed=1)
    weights = clustering.word_weights(texts)

    candidates = list(clustering.candidate_pairs(texts, weights, threshold=clustering.DEFAULT_THRESHOLD))

    all_pairs = len(texts) * (len(texts) - 1) // 2
    assert len(candidates) < all_pairs / 1000  # under 0.1 % of the 200 million pairs
