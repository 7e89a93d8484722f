"""Cluster suggestions: near-identical recommendations of one state under review, grouped by text
similarity, for a coordinator to confirm, edit or reject.

Several states often recommend the same thing in different words ("Extend a standing invitation
to all Special Procedures" from Spain, "Consider issuing a standing invitation to Special
Procedures" from Brazil...). Grouping them lets the state assign and report on them once.

How a suggestion is found
1. Each text is reduced to its meaningful words (`normalise`): folded (`lib.text.fold`), English
   and Russian stop-words dropped, each word cut to a rough stem (so "issuing", "issue" and
   "issues" meet), lead-ins that do not change what is asked dropped ("consider", "continue to",
   "take all necessary measures to", "рассмотреть возможность"...), and so are qualifiers that
   only name the UN bodies involved ("of the United Nations Human Rights Council") or the pace
   ("as soon as possible").
2. Words are weighted by their rarity among the state's recommendations (inverse document
   frequency): sharing "standing" and "invitation" says much more than sharing "rights".
3. `similarity` is the weight of the words two texts share over the weight of the heavier text,
   0-100. Words that are not equal but spelt almost alike (organisation/organization) count as
   shared when they begin alike and rapidfuzz rates them 85 or more. A text that adds a demand
   of its own ("Ratify OP-CAT and CED and extend a standing invitation...") scores low against
   the plain one: its extra words are rare and weigh much.
4. Pairs scoring at least the threshold are linked; each connected group is then cut around its
   medoid (the member with the most and strongest links): only texts that are themselves similar
   to the medoid stay, so A~B~C chains cannot pull in a C unrelated to A. What is cut off is
   grouped again the same way.

Scale: blocking instead of all pairs
Comparing every pair is O(n²): 31 billion pairs for the Universal Human Rights Index's 250,000
recommendations. Instead
- only recommendations of the same state are compared (a state rarely has more than a few
  thousand), and
- within a state, candidate pairs come from an inverted index of each text's *rarest* words
  (prefix filtering, as in set-similarity joins): the words of a text are ordered rarest first,
  and only the shortest prefix whose weight is more than (100 - threshold)% of the text's weight
  is indexed and probed. Two texts reaching the threshold must share a word of both prefixes
  (otherwise what they share would weigh less than the threshold), so no pair reaching the
  threshold on exactly equal words is missed. A length filter drops pairs whose weights differ by
  more than the threshold allows, and a posting list stops growing at `MAX_BLOCK` entries, so a
  word shared by thousands of texts never makes a block that large (a pair sharing only such
  words is missed: those are generic texts, not near-duplicates).
Normalising and indexing are O(n·w) for n texts of w words; probing costs at most
O(n·p·MAX_BLOCK) for prefixes of p words (p is 1-4 in practice), so the work grows linearly with
the number of texts of a state, whatever their number across states. Measured (2 shared CPUs):
- UPR Info's export for sessions 10-13 imported for all its 64 states (9,046 recommendations):
  261 suggestions in 3.6 s, the second run finding nothing new in 2.2 s;
- the same 9,047 texts taken as ONE state: 55,000 candidate pairs scored out of 41 million
  (0.13 %), about 5 s;
- 250,000 texts (real ones and mixtures of two real ones) in 180 states of 1,388: about 1 minute
  (`group_texts` alone, no database).
"""

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from rapidfuzz import fuzz

from adolat.lib.text import fold
from adolat.recommendations.models import Country, Recommendation

from . import services
from .models import Cluster

DEFAULT_THRESHOLD = 80
# A posting list of the blocking index stops growing here (see the module docstring).
MAX_BLOCK = 1000
# Two different words count as the same word when rapidfuzz rates them at least this (and both
# are long enough for a rating to mean something).
FUZZY_WORD_SCORE = 85
FUZZY_WORD_LENGTH = 5
# Blocking keys are words cut to this length (see `candidate_pairs`).
BLOCK_KEY_LENGTH = 5
TITLE_LENGTH = 120
AUDIT_SOURCE = "system"

# --- Normalising: English, Russian and the commonest Tajik words, folded as search folds ---------

_WORD = re.compile(r"\w+", re.UNICODE)
_LATIN = re.compile(r"[a-z]+")
_CYRILLIC = re.compile(r"[а-яё]+")

_STOP_WORDS = """
    a an the to of and or in on for with by at as from into onto its it their them they all any
    such that this these those which who whom whose be is are was were been being has have had
    will would should shall may might can could must not no also other others more most so than
    including inter alia well order particular particularly especially etc regard regards view
    relevant necessary appropriate while within without through thereof therein upon both each
    every own same under over
    и в во не на с со по к ко о об обо от до для из за у при а но или что чтобы как так также
    все всех всем всеми всей всего его ее их этот эта это эти этих этой этого который которая
    которые которых которым быть является были был была было том числе чем же ли бы ни
    ва дар бо аз ба барои оид то ки ин он хамаи хама низ е
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

# Russian endings, longest first; a word keeps at least four letters.
_RU = (
    "ами ями ого его ому ему ыми ими ая яя ое ее ые ие ий ый ой ом ем ам ям ах ях ов ев ей ия ию ья "
    "ью ье ть ым им ых их ою ею а я о е ы и у ю ь й"
)
_RU_ENDINGS = sorted(
    _RU.split(),
    key=len,
    reverse=True,
)
_EN_SUFFIXES = ("ations", "ation", "ings", "ing", "ied", "ies", "ed", "es", "s")
# Stems that mean the same request ("issue" or "extend" a standing invitation).
_SYNONYMS = {"issu": "extend"}


def _phrases(text: str) -> tuple[tuple[str, ...], ...]:
    """Phrases written as plain words, reduced the way texts are (stop-words out, stemmed), the
    longest first so that "consider the possibility of" goes as a whole before "consider" alone."""
    phrases = {
        tuple(stem(w) for w in _WORD.findall(fold(phrase)) if w not in STOP_WORDS)
        for phrase in text.split("|")
    }
    return tuple(sorted(phrases, key=lambda p: (-len(p), p)))


def stem(word: str) -> str:
    """A rough stem, enough to match forms of one word across texts (not a linguist's stem)."""
    if _LATIN.fullmatch(word):
        for suffix in _EN_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)] + ("y" if suffix in ("ied", "ies") else "")
                break
        if word.endswith("e") and len(word) > 4:
            word = word[:-1]
        return _SYNONYMS.get(word, word)
    if _CYRILLIC.fullmatch(word):
        for ending in _RU_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 4:
                return word[: -len(ending)][:7]
        return word[:7]
    return word


# Lead-ins that soften or stage a request without changing what is asked, dropped at the start
# (repeatedly: "Consider continuing to take steps to ..."; "Sign and ratify" asks to ratify).
LEAD_INS = _phrases(
    "consider|continue|further|seek|strive|endeavour|endeavor|ensure|positively|sign|"
    "make efforts|make every effort|redouble efforts|intensify efforts|step up efforts|"
    "pursue efforts|continue efforts|take steps|take measures|take concrete steps|"
    "take concrete measures|take further steps|take further measures|take effective measures|"
    "adopt measures|give consideration|study possibility|explore possibility|"
    "examine possibility|consider possibility|envisage|look into|"
    "рассмотреть|рассмотреть возможность|продолжать|продолжить|принять меры|"
    "предпринять шаги|предпринять меры|активизировать усилия|изучить возможность|обеспечить"
)
# Words that name the UN bodies involved or the pace, dropped anywhere.
QUALIFIERS = _phrases(
    "united nations|human rights council|hrc|un|mandate holders|ohchr|as soon as possible|"
    "near future|without delay|without further delay|earliest opportunity|possible|soon|fully|"
    "full|организации объединенных наций|оон|совета по правам человека|в ближайшее время"
)


def _drop_leading(words: list[str], phrases) -> list[str]:
    changed = True
    while changed and words:
        changed = False
        for phrase in phrases:
            if tuple(words[: len(phrase)]) == phrase:
                words = words[len(phrase) :]
                changed = True
    return words


def _drop_anywhere(words: list[str], phrases) -> list[str]:
    out, i = [], 0
    while i < len(words):
        for phrase in phrases:
            if tuple(words[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            out.append(words[i])
            i += 1
    return out


def normalise(text: str) -> list[str]:
    """The meaningful words of a recommendation's text, stemmed, in order."""
    words = [
        stem(w) for w in _WORD.findall(fold(text)) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())
    ]
    return _drop_anywhere(_drop_leading(words, LEAD_INS), QUALIFIERS)


# --- Comparing ----------------------------------------------------------------------------------


def word_weights(texts: Iterable[Iterable[str]]) -> dict[str, float]:
    """Inverse document frequency of each word among the given (normalised) texts."""
    texts = [set(t) for t in texts]
    counts = Counter(w for t in texts for w in t)
    n = len(texts)
    return {w: math.log((n + 1) / (c + 1)) + 1 for w, c in counts.items()}


def similarity(a: Iterable[str], b: Iterable[str], weights: Mapping[str, float]) -> float:
    """0-100: the weight of the words `a` and `b` share over the weight of the heavier one."""
    a, b = set(a), set(b)
    return _score(a, b, _weight(a, weights), _weight(b, weights), weights)


def _weight(words: set[str], weights: Mapping[str, float]) -> float:
    return sum(weights.get(w, 1.0) for w in words)


def _score(a: set[str], b: set[str], wa: float, wb: float, weights: Mapping[str, float]) -> float:
    total = max(wa, wb)
    if not total:
        return 0.0
    shared = a & b
    score = _weight(shared, weights)
    # Spelling variants: unshared words with the same first letters that rapidfuzz rates alike.
    # Looking only among words with the same beginning keeps this linear in the words, not
    # quadratic, and matches what the blocking index can find.
    others: dict[str, list[str]] = defaultdict(list)
    for word in b - shared:
        if len(word) >= FUZZY_WORD_LENGTH:
            others[word[:BLOCK_KEY_LENGTH]].append(word)
    if not others:
        return 100.0 * score / total
    for word in a - shared:
        candidates = others.get(word[:BLOCK_KEY_LENGTH]) if len(word) >= FUZZY_WORD_LENGTH else None
        if not candidates:
            continue
        for other in candidates:
            if fuzz.ratio(word, other, score_cutoff=FUZZY_WORD_SCORE):
                score += min(weights.get(word, 1.0), weights.get(other, 1.0))
                candidates.remove(other)
                break
    return 100.0 * score / total


def candidate_pairs(
    texts: list[list[str]], weights: Mapping[str, float], *, threshold: float, max_block: int = MAX_BLOCK
) -> Iterator[tuple[int, int]]:
    """Index pairs (j < i) worth scoring, each once: they share a word of both their prefixes of
    rarest words and their weights are close enough (see the module docstring). A generator, so
    the pairs are scored as they come and never all held in memory.

    The index is keyed by a word's first BLOCK_KEY_LENGTH letters rather than the whole word, so
    texts whose rare words differ only at the end (spelt almost alike, which `similarity` counts as
    shared) still meet; texts sharing a whole word share its key anyway."""
    t = threshold / 100.0
    index: dict[str, list[int]] = defaultdict(list)
    totals: list[float] = []
    for i, words in enumerate(texts):
        ordered = sorted(set(words), key=lambda w: (-weights[w], w))
        total = sum(weights[w] for w in ordered)
        totals.append(total)
        rest, prefix = total, 0
        while prefix < len(ordered) and rest >= t * total - 1e-9:
            rest -= weights[ordered[prefix]]
            prefix += 1
        seen: set[int] = set()
        for key in {w[:BLOCK_KEY_LENGTH] for w in ordered[:prefix]}:
            postings = index[key]
            for j in postings:
                if j not in seen and min(total, totals[j]) >= t * max(total, totals[j]):
                    seen.add(j)
                    yield (j, i)
            if len(postings) < max_block:
                postings.append(i)


@dataclass
class Group:
    """Indexes into the compared texts: the medoid first, then the others by decreasing score."""

    members: list[int]
    scores: dict[int, float] = field(default_factory=dict)  # member → similarity to the medoid

    @property
    def medoid(self) -> int:
        return self.members[0]

    @property
    def weakest(self) -> float:
        return min(self.scores.values()) if self.scores else 100.0


def group_texts(
    texts: list[str], *, threshold: float = DEFAULT_THRESHOLD, max_block: int = MAX_BLOCK
) -> list[Group]:
    """Groups of near-identical texts (indexes into `texts`), two or more each, largest first.
    Pure: no database."""
    words = [normalise(t) for t in texts]
    weights = word_weights(words)
    sets = [set(w) for w in words]
    totals = [_weight(s, weights) for s in sets]
    links: dict[int, dict[int, float]] = defaultdict(dict)
    for i, j in candidate_pairs(words, weights, threshold=threshold, max_block=max_block):
        score = _score(sets[i], sets[j], totals[i], totals[j], weights)
        if score >= threshold:
            links[i][j] = links[j][i] = score
    return cut_groups(links, length=lambda i: len(texts[i]))


def _components(nodes: set[int], links: Mapping[int, Mapping[int, float]]) -> list[set[int]]:
    seen: set[int] = set()
    out = []
    for start in sorted(nodes):
        if start in seen:
            continue
        part, stack = set(), [start]
        while stack:
            node = stack.pop()
            if node not in part:
                part.add(node)
                stack.extend(n for n in links.get(node, {}) if n in nodes and n not in part)
        seen |= part
        out.append(part)
    return out


def cut_groups(links: Mapping[int, Mapping[int, float]], *, length=lambda i: 0) -> list[Group]:
    """Groups from the links between texts (each link at least the threshold, both directions).

    A connected set of texts is not a group as such: A~B and B~C do not make A~C. Each set is cut
    around its medoid (most links, then the strongest, then the shortest text, which makes the best
    title): the medoid and the texts linked to it form a group; the rest is grouped again."""
    groups = []
    pending = _components({i for i in links if links[i]}, links)
    while pending:
        part = pending.pop()
        if len(part) < 2:
            continue

        def rank(i: int, part=part) -> tuple:
            inside = [s for n, s in links[i].items() if n in part]
            return (-len(inside), -sum(inside), length(i), i)

        medoid = min(part, key=rank)
        near = {n: s for n, s in links[medoid].items() if n in part}
        members = [medoid, *sorted(near, key=lambda n: (-near[n], n))]
        groups.append(Group(members=members, scores=near))
        pending.extend(_components(part - set(members), links))
    groups.sort(key=lambda g: (-len(g.members), g.medoid))
    return groups


# --- Suggestions from the database ---------------------------------------------------------------


def comparison_text(rec: Recommendation) -> str:
    """The text compared: English where there is one (most UN texts), else Russian, else Tajik.
    Texts in different languages share no words and so are never grouped together."""
    return rec.text_en.strip() or rec.text_ru.strip() or rec.text_tg.strip()


def short_title(text: str, limit: int = TITLE_LENGTH) -> str:
    """A title from a recommendation's text: one line, cut at a word boundary."""
    text = " ".join(text.split()).rstrip(" .;,")
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return f"{cut}…"


@dataclass
class Suggestion:
    country: Country
    recommendations: list[Recommendation]  # the medoid first
    scores: dict[int, float]  # recommendation pk → similarity to the medoid
    cluster: Cluster | None = None  # once created

    @property
    def medoid(self) -> Recommendation:
        return self.recommendations[0]

    def titles(self) -> dict[str, str]:
        return {
            f"title_{lang}": short_title(getattr(self.medoid, f"text_{lang}")) for lang in ("en", "ru", "tg")
        }

    def as_dict(self) -> dict:
        return {
            "country": self.country.pk,
            "cluster": self.cluster.pk if self.cluster else None,
            "title": self.titles()["title_en"] or self.titles()["title_ru"] or self.titles()["title_tg"],
            "recommendations": [
                {
                    "id": r.pk,
                    "reference": r.reference,
                    "score": round(self.scores.get(r.pk, 100.0), 1),
                    "text": short_title(comparison_text(r)),
                }
                for r in self.recommendations
            ],
        }


def _resolve_country(country) -> Country:
    if isinstance(country, Country):
        return country
    return Country.objects.get(pk=str(country).upper())


def find_suggestions(*, country, threshold: float = DEFAULT_THRESHOLD) -> list[Suggestion]:
    """Groups worth suggesting for a state, without writing anything.

    Left out: recommendations already in a confirmed cluster (of any origin); groups contained in
    a suggestion still waiting for a coordinator (proposed); and what a coordinator rejected: two
    recommendations of a rejected suggestion are never suggested together again, not even inside
    a larger group (the weaker one is left out of it). A coordinator who finds only some members
    wrong edits the suggestion instead of rejecting it."""
    country = _resolve_country(country)
    if not 0 < threshold <= 100:
        raise ValueError("threshold must be above 0 and at most 100")
    clustered = set(
        Cluster.recommendations.through.objects.filter(
            cluster__country=country, cluster__state=Cluster.State.CONFIRMED
        ).values_list("recommendation_id", flat=True)
    )
    recs = [
        r
        for r in Recommendation.objects.filter(country=country)
        .select_related("document")
        .only("pk", "text_en", "text_ru", "text_tg", "paragraph", "document__symbol")
        .order_by("pk")
        if r.pk not in clustered and comparison_text(r)
    ]
    earlier: dict[tuple[str, int], set[int]] = defaultdict(set)
    for cluster_id, state, rec_id in Cluster.recommendations.through.objects.filter(
        cluster__country=country,
        cluster__origin=Cluster.Origin.SUGGESTED,
        cluster__state__in=[Cluster.State.PROPOSED, Cluster.State.REJECTED],
    ).values_list("cluster_id", "cluster__state", "recommendation_id"):
        earlier[(state, cluster_id)].add(rec_id)
    pending = [pks for (state, _pk), pks in earlier.items() if state == Cluster.State.PROPOSED]
    rejected = [pks for (state, _pk), pks in earlier.items() if state == Cluster.State.REJECTED]

    suggestions = []
    for group in group_texts([comparison_text(r) for r in recs], threshold=threshold):
        members: list[Recommendation] = []
        for rec in (recs[i] for i in group.members):  # the medoid first, then the closest
            if not any(rec.pk in pks and any(m.pk in pks for m in members) for pks in rejected):
                members.append(rec)
        keep = {m.pk for m in members}
        if len(members) < 2 or any(keep <= pks for pks in pending):
            continue
        scores = {recs[i].pk: s for i, s in group.scores.items() if recs[i].pk in keep}
        suggestions.append(Suggestion(country=country, recommendations=members, scores=scores))
    return suggestions


def suggest_clusters(
    *, country, threshold: float = DEFAULT_THRESHOLD, by=None, source: str = AUDIT_SOURCE
) -> list[Cluster]:
    """Create the suggestions `find_suggestions` finds, as proposed clusters a coordinator then
    confirms, edits or rejects. Running it again creates nothing new."""
    return [s.cluster for s in record_suggestions(country=country, threshold=threshold, by=by, source=source)]


def record_suggestions(
    *, country, threshold: float = DEFAULT_THRESHOLD, by=None, source: str = AUDIT_SOURCE
) -> list[Suggestion]:
    """`suggest_clusters`, returning the suggestions (with their scores and created clusters).
    One transaction, holding the state's row so two runs for one state cannot both create the
    same suggestion."""
    with transaction.atomic():
        country = Country.objects.select_for_update().get(pk=_resolve_country(country).pk)
        suggestions = find_suggestions(country=country, threshold=threshold)
        for suggestion in suggestions:
            suggestion.cluster = services.cluster_create(
                country=country,
                recommendations=suggestion.recommendations,
                origin=Cluster.Origin.SUGGESTED,
                state=Cluster.State.PROPOSED,
                by=by,
                source=source,
                **suggestion.titles(),
            )
        return suggestions
