"""The one writer every import format goes through.

A parser hands over a `records.ParsedFile` with values as found in the file; this module resolves
them against the vocabularies, recognises the records already stored, and writes through the
recommendation services, so that every format follows the same rules:

- **One transaction per file.** Nothing is written when any recommendation is wrong (unless the
  caller asked to skip invalid ones), nor when the process dies half-way; a dry run does
  everything and rolls it back, so its summary is exactly what the import would report.
- **Every error names where** (the row as a spreadsheet shows it, or the paragraph), the column,
  the value and the reason, translated. Labels the vocabularies do not know (themes, groups, SDGs,
  states, mechanisms) are errors, never created: an administrator maps them (Label mappings).
- **Identity.** A recommendation is the same one when it concerns the same state under review,
  comes from the same mechanism and review, has the same recommending states and the same
  normalised text in the same language (`base.normalise_text`). The review is the source
  document: by its UN symbol when the file gives one, else by (mechanism, state, session). A
  document can carry both, which is how two sources of one review meet: the Working Group report
  A/HRC/19/3 (a symbol, no session) and UPR Info's "session 12" rows are linked when most of their
  recommendations are the same — the document gains the session (or the symbol) it lacked, and a
  later import with either finds it. Documents of one mechanism that share a session are one
  review. `Recommendation.natural_key` records this identity (state, session or else symbol,
  recommending states, text).
- **Exact matches update** the stored record with what the file owns (its text's spacing and
  punctuation, the position, the paragraph) and add its themes, groups and SDGs to those already
  there; translations, status, publication and tags people added are kept. A "pending" position
  never replaces a final one (a Working Group report re-imported after the state's responses).
- **Near matches are never merged by an import**: a text of the same review with the same
  recommending states, similar above `NEAR_MATCH_RATIO` (or whose words are all within the other's,
  `CONTAINED_RATIO`) but not the same, or the same text made jointly by states that stored
  records each hold part of, is created as a new record and listed as a `NearMatch` for a
  coordinator to confirm (merge) or dismiss; see `near_matches`. A confirmed near match remembers
  the merged text, so that a later import of it finds the kept record.
- Recommendations sharing a non-empty `cluster` value (the paragraph of a UN document holding
  several) become a ready-made, confirmed cluster of their document.

Lookups are made once per file (vocabularies, states, documents, and the stored recommendations of
the reviews the file's rows belong to, as plain values). A row matching a stored record that it
would leave as it is (what most rows of a re-import do) is recognised on those values alone
(`Writer._unchanged`): it costs no query, no record and no comparison of snapshots. The other
records are built and checked one by one and written a chunk at a time (`WRITE_CHUNK`) through the
services' bulk functions: bulk inserts of records, their tags and their history, bulk updates of
the changed ones. New records are built as the services write them (`Writer._built`): PostgreSQL
takes in a chunk's records while the next ones are built. The number of queries does not grow with
the number of rows, and the records,
tags, search text and history are those `recommendation_create` / `recommendation_update` would
write. Near matches are only looked for among the stored records of the same review, language and
recommending states.
"""

import functools
import hashlib
import json
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rapidfuzz import fuzz, process

from adolat.lib import audit
from adolat.recommendations import countries, services, vocabularies
from adolat.recommendations.models import (
    AffectedGroup,
    Country,
    LabelMapping,
    Mechanism,
    NearMatch,
    Position,
    Recommendation,
    SdgGoal,
    SdgTarget,
    SourceDocument,
    Theme,
)

from . import records
from .base import (
    ImporterError,
    ImportSummary,
    document_titles,
    natural_key,
    normalise_label,
    normalise_session,
    normalise_text,
    parse_whole_number,
    session_year,
    shorten,
    strip_bullet,
    upr_cycle,
)

logger = logging.getLogger(__name__)

# json.dumps(text, ensure_ascii=False), without building an encoder each time.
_json_string = json.encoder.encode_basestring
# Rows repeat a few sessions: normalised once each (a pure function of the value).
_session = functools.lru_cache(maxsize=4096)(normalise_session)

AUDIT_SOURCE = "import"
# rapidfuzz ratio (0-100) of the normalised texts above which a new record is listed as a near match.
NEAR_MATCH_RATIO = 90.0
# rapidfuzz token_set_ratio above which one text counts as contained in the other (also listed).
CONTAINED_RATIO = 97.0
# Two documents of one review are linked when at least this share of the smaller one's
# recommendations are the same (see the module docstring).
LINK_SHARE = 0.5
PROGRESS_EVERY = 100

# Where each format's theme and group labels are looked up, in order; every format also accepts a
# vocabulary term's own name. The OHCHR matrix uses UHRI's labels.
LABEL_SOURCES = {
    "upr_info": (LabelMapping.Source.UPR_INFO,),
    "uhri": (LabelMapping.Source.UHRI,),
    "ohchr_matrix": (LabelMapping.Source.OHCHR_MATRIX, LabelMapping.Source.UHRI),
    "un_document": (LabelMapping.Source.UHRI,),
    "generic": (LabelMapping.Source.UHRI, LabelMapping.Source.UPR_INFO),
}

# The mechanism of a document, by the start of its UN symbol.
SYMBOL_PREFIXES = (
    ("CAT/OP/", "SPT"),
    ("CAT/C/", "CAT"),
    ("CCPR/C/", "CCPR"),
    ("E/C.12/", "CESCR"),
    ("CEDAW/C/", "CEDAW"),
    ("CRC/C/", "CRC"),
    ("CRPD/C/", "CRPD"),
    ("CERD/C/", "CERD"),
    ("CMW/C/", "CMW"),
    ("CED/C/", "CED"),
)
_SPECIAL_PROCEDURE = re.compile(
    r"^(sr|wg|ie|sp)\b|special rapporteur|special procedure|working group on|independent expert",
    re.IGNORECASE,
)
_UPR = re.compile(r"^upr\b|universal periodic review", re.IGNORECASE)
_SDG = re.compile(r"^(?:sdg|goal|target)?\s*(\d{1,2})(?:\.(\d{1,2}|[a-z]))?(?=$|[\s:.\-–—)])", re.IGNORECASE)

FIELD_NAMES = {
    "text": gettext_lazy("text"),
    "language": gettext_lazy("language"),
    "recommending_states": gettext_lazy("recommending states"),
    "state_under_review": gettext_lazy("state under review"),
    "position": gettext_lazy("position"),
    "themes": gettext_lazy("themes"),
    "affected_groups": gettext_lazy("affected groups"),
    "sdgs": gettext_lazy("SDGs"),
    "mechanism": gettext_lazy("mechanism"),
    "document_symbol": gettext_lazy("document"),
    "session": gettext_lazy("session"),
    "paragraph": gettext_lazy("paragraph"),
}


def resolve_country(value) -> Country:
    """The state under review named by an ISO code or any of its names; ImporterError if none."""
    if isinstance(value, Country):
        return value
    code = countries.find_country_code(str(value or ""), countries.lookup_table(Country))
    country = Country.objects.filter(pk=code).first() if code else None
    if country is None:
        raise ImporterError(_('"%(value)s" is not a known state.') % {"value": value})
    return country


def symbol_key(symbol: str) -> str:
    """UN symbols compared without case or spaces: `a/hrc/19/3 ` is `A/HRC/19/3`."""
    return re.sub(r"\s+", "", symbol or "").upper()


def symbol_year(symbol: str) -> int | None:
    """About the year of a Human Rights Council document (A/HRC/19/3: the 19th session, 2012):
    the Council holds three sessions a year since 2006. Used only to keep documents of different
    reviews apart (within a year)."""
    match = re.match(r"A/HRC/(\d{1,3})/", symbol_key(symbol))
    return 2006 + (int(match.group(1)) - 1) // 3 if match else None


def text_key_hash(language: str, text: str, states) -> str:
    """The stored form of a text's identity (NearMatch.text_key)."""
    parts = [language, normalise_text(text), sorted(states)]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def _clean(value: str) -> str:
    value = strip_bullet(value or "").strip().strip(";,.").strip()
    if value.startswith("(") and value.endswith(")"):
        value = value[1:-1].strip()
    return value


# The stored fields an import compares (and their tags, by relation → the through table's column).
STORED_FIELDS = services.SCALAR_COLUMNS
M2M_COLUMNS = {
    "recommending_states": "country_id",
    "themes": "theme_id",
    "affected_groups": "affectedgroup_id",
    "sdg_goals": "sdggoal_id",
    "sdg_targets": "sdgtarget_id",
}
# Stored.__init__ unpacks rows in this order: change both together.
_UNPACKED = "country_id mechanism_id document_id paragraph text_tg text_ru text_en original_language position"
_UNPACKED += " position_note status year is_published natural_key"
if tuple(STORED_FIELDS) != tuple(_UNPACKED.split()):
    raise RuntimeError("Stored.__init__ unpacks STORED_FIELDS: change both together")  # pragma: no cover
# Where `_read_stored` finds a field in a row read as ("pk", *STORED_FIELDS).
_COUNTRY, _MECHANISM, _DOCUMENT, _TEXT_TG, _TEXT_RU, _TEXT_EN = (
    1 + STORED_FIELDS.index(name)
    for name in ("country_id", "mechanism_id", "document_id", "text_tg", "text_ru", "text_en")
)
POSITIONS = frozenset(Position.values)
# Recommendations built, checked and written per round of bulk queries.
WRITE_CHUNK = 1000
# Stored records are read by their documents' ids up to this many documents, else all of the
# state's (a longer list of ids reads about everything anyway, and databases limit a query's
# parameters).
MAX_LISTED_DOCUMENTS = 500


class Stored:
    """A stored recommendation as values: its fields (STORED_FIELDS) and its tags as ids."""

    __slots__ = ("pk", *STORED_FIELDS, "tags")

    def __init__(self, row: tuple) -> None:
        # One unpacking (STORED_FIELDS' order) rather than a setattr per field: thousands of rows.
        (
            self.pk,
            self.country_id,
            self.mechanism_id,
            self.document_id,
            self.paragraph,
            self.text_tg,
            self.text_ru,
            self.text_en,
            self.original_language,
            self.position,
            self.position_note,
            self.status,
            self.year,
            self.is_published,
            self.natural_key,
        ) = row
        # M2M_COLUMNS' relations, written out: a comprehension costs more, thousands of times.
        self.tags = {
            "recommending_states": [],
            "themes": [],
            "affected_groups": [],
            "sdg_goals": [],
            "sdg_targets": [],
        }

    def take(self, snap: dict) -> None:
        """Hold what `snap` (services.data_snapshot) says the record now holds."""
        for name in STORED_FIELDS:
            setattr(self, name, snap[name.removesuffix("_id")])
        self.tags = {name: list(snap[name]) for name in M2M_COLUMNS}

    def snapshot(self) -> dict:
        """As `services._snapshot` reads the record."""
        snap = {name.removesuffix("_id"): getattr(self, name) for name in STORED_FIELDS}
        for name, ids in self.tags.items():
            snap[name] = sorted(ids)
        return snap


if tuple(Stored((None,) * (1 + len(STORED_FIELDS))).tags) != tuple(M2M_COLUMNS):
    raise RuntimeError("Stored.__init__ names M2M_COLUMNS' relations: change both")  # pragma: no cover


_FINAL_POSITIONS = frozenset((Position.SUPPORTED, Position.SUPPORTED_IN_PART, Position.NOTED))


def _position(given: str | None, stored: str) -> str:
    """A stored record's position once a row giving `given` (None: the source does not say) is
    imported: the row's, except that "pending" never replaces a final position."""
    if given is not None and not (given == Position.PENDING and stored in _FINAL_POSITIONS):
        return given
    return stored


def _union(kept, added) -> list:
    by_pk = {obj.pk: obj for obj in kept}
    for obj in added:
        by_pk.setdefault(obj.pk, obj)
    return list(by_pk.values())


# --- Vocabularies -------------------------------------------------------------------------------


class Vocabulary:
    """Everything a file is resolved against, read once per import."""

    def __init__(self, fmt: str) -> None:
        self.countries = countries.lookup_table(Country)
        self.mechanisms = {m.code.upper(): m for m in Mechanism.objects.all()}
        self.mechanism_names = {
            normalise_label(name): m
            for m in self.mechanisms.values()
            for name in (m.name_en, m.name_ru, m.name_tg)
            if name
        }
        self.sources = LABEL_SOURCES.get(fmt, (LabelMapping.Source.UHRI, LabelMapping.Source.UPR_INFO))
        self.label_tables = [vocabularies.label_mapping(source) for source in self.sources]
        self.term_names: dict[str, tuple[list, list]] = {}
        for index, model in enumerate((Theme, AffectedGroup)):
            for term in model.objects.all():
                for name in (term.name_en, term.name_ru, term.name_tg):
                    if name:
                        targets = self.term_names.setdefault(normalise_label(name), ([], []))
                        if term not in targets[index]:
                            targets[index].append(term)
        self.memo: dict[tuple, tuple] = {}
        self.label_memo: dict[str, tuple] = {}
        self.ids_memo: dict[tuple, tuple] = {}
        self.mechanism_memo: dict[tuple, Mechanism | None] = {}
        self.goals = {g.number: g for g in SdgGoal.objects.all()}
        self.targets = {t.code.lower(): t for t in SdgTarget.objects.select_related("goal")}
        self.goal_names = {
            normalise_label(name): g
            for g in self.goals.values()
            for name in (g.short_en, g.title_en, g.short_ru, g.title_ru, g.short_tg, g.title_tg)
            if name
        }

    def tag_ids(self, item: "Item") -> tuple[frozenset, ...]:
        """The ids of a resolved recommendation's themes, groups, goals and targets, and of the
        targets' goals: for comparing with stored tags. Computed once per combination of the
        labels and SDGs it was resolved from (`labels` and `sdgs` give the same for the same)."""
        rec = item.rec
        key = (tuple(rec.themes), tuple(rec.affected_groups), tuple(rec.sdgs))
        ids = self.ids_memo.get(key)
        if ids is None:
            ids = self.ids_memo[key] = (
                frozenset(theme.pk for theme in item.themes),
                frozenset(group.pk for group in item.groups),
                frozenset(goal.pk for goal in item.goals),
                frozenset(target.pk for target in item.targets),
                frozenset(target.goal_id for target in item.targets),
            )
        return ids

    def _memo(self, kind: str, values: list[str]):
        """`kind`'s answer for these values, computed once per file: rows repeat the same states,
        labels and goals."""
        key = (kind, tuple(values))
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = getattr(self, f"_{kind}")(values)
        return tuple(map(list, found))

    def state(self, name: str) -> str | None:
        return countries.find_country_code(_clean(name), self.countries)

    def states(self, values: list[str]):
        return self._memo("states", values)

    def _states(self, values: list[str]) -> tuple[list[str], list[str]]:
        """ISO codes of the named states, and the names that are none. A value is tried whole
        first ("Korea, Republic of"), then split on commas, semicolons and lines."""
        codes, unknown = [], []
        for value in values:
            value = _clean(value)
            if not value:
                continue
            code = self.state(value)
            if code:
                codes.append(code)
                continue
            for part in re.split(r"[,;\n]", value):
                part = _clean(part)
                if not part:
                    continue
                code = self.state(part)
                if code:
                    codes.append(code)
                else:
                    unknown.append(part)
        return codes, unknown

    def _label(self, label: str):
        for table in self.label_tables:
            targets = table.get(label)
            if targets is not None:
                return targets
        return self.term_names.get(normalise_label(label))

    def labels(self, values: list[str]):
        return self._memo("labels", values)

    def _labels(self, values: list[str]) -> tuple[list, list, list[str]]:
        """Themes and groups the labels map onto, and the labels that map onto nothing. A label
        with commas that is unknown whole is tried as comma-separated labels."""
        themes: dict[int, Theme] = {}
        groups: dict[int, AffectedGroup] = {}
        unknown = []
        for value in values:
            value, found = self._one_label(value)
            if not value:
                continue
            if found is None:
                unknown.append(value)
                continue
            for theme_list, group_list in found:
                for theme in theme_list:
                    themes.setdefault(theme.pk, theme)
                for group in group_list:
                    groups.setdefault(group.pk, group)
        return list(themes.values()), list(groups.values()), unknown

    def _one_label(self, value: str) -> tuple[str, list | None]:
        """A label cleaned, and the (themes, groups) it maps onto — several when a label with
        commas is unknown whole but its parts are known — or None; computed once per label (rows
        combine the same labels in many ways)."""
        answer = self.label_memo.get(value)
        if answer is None:
            label = _clean(value)
            found = [self._label(label)] if label else []
            if label and found[0] is None and "," in label:
                found = [self._label(p.strip()) for p in label.split(",") if p.strip()]
            if not found or any(f is None for f in found):
                found = None
            answer = self.label_memo[value] = (label, found)
        return answer

    def sdgs(self, values: list[str]):
        if not values:  # most formats give none
            return [], [], []
        return self._memo("sdgs", values)

    def _sdgs(self, values: list[str]) -> tuple[list, list, list[str]]:
        """Goals and targets: `16`, `Goal 16`, `16.3`, `16.3 - Promote the rule of law…`,
        `16 - PEACE, JUSTICE AND STRONG INSTITUTIONS`, or a goal's name."""
        goals: dict[int, SdgGoal] = {}
        targets: dict[str, SdgTarget] = {}
        unknown = []
        for value in values:
            value = _clean(value)
            if not value:
                continue
            match = _SDG.match(value)
            if match:
                number, target = int(match.group(1)), match.group(2)
                if target:
                    found = self.targets.get(f"{number}.{target.lower()}")
                    if found is not None:
                        targets[found.code] = found
                        continue
                elif number in self.goals:
                    goals[number] = self.goals[number]
                    continue
            else:
                goal = self.goal_names.get(normalise_label(re.sub(r"^sdg\s*", "", value, flags=re.I)))
                if goal is not None:
                    goals[goal.number] = goal
                    continue
            unknown.append(value)
        return list(goals.values()), list(targets.values()), unknown

    def mechanism(self, value: str, *, symbol: str, has_states: bool, fmt: str) -> Mechanism | None:
        """The mechanism a body's code or name stands for (special procedures' mandates are SP);
        when the file does not say: by the document symbol, else UPR for recommendations made by
        states (and for the UPR formats). Computed once per combination (rows repeat them)."""
        key = (value, symbol, has_states, fmt)
        if key not in self.mechanism_memo:
            self.mechanism_memo[key] = self._mechanism(value, symbol=symbol, has_states=has_states, fmt=fmt)
        return self.mechanism_memo[key]

    def _mechanism(self, value: str, *, symbol: str, has_states: bool, fmt: str) -> Mechanism | None:
        value = _clean(value)
        if value:
            found = self.mechanisms.get(value.upper()) or self.mechanism_names.get(normalise_label(value))
            if found is not None:
                return found
            if _UPR.search(value):
                return self.mechanisms.get("UPR")
            if _SPECIAL_PROCEDURE.search(value):
                return self.mechanisms.get("SP")
            return None
        key = symbol_key(symbol)
        for prefix, code in SYMBOL_PREFIXES:
            if key.startswith(prefix):
                return self.mechanisms.get(code)
        if (
            has_states
            or fmt in ("upr_info", "ohchr_matrix")
            or (fmt == "un_document" and key.startswith("A/HRC/"))
        ):
            return self.mechanisms.get("UPR")
        return None


# --- Items --------------------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class Item:
    """A parsed recommendation about the chosen state, resolved against the vocabularies."""

    index: int
    rec: records.ParsedRecommendation
    mechanism: Mechanism | None = None
    language: str = "en"
    text: str = ""
    normtext: str = ""
    states: tuple[str, ...] = ()
    themes: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    goals: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    symbol: str = ""
    session: str = ""
    date: object = None
    valid: bool = True
    document: SourceDocument | None = None
    stored_pk: int | None = None
    alias: bool = False
    result: Recommendation | None = None

    @property
    def text_key(self) -> tuple:
        return (self.language, self.normtext, self.states)

    @property
    def row(self):
        """The JSON summary's "row": the spreadsheet row, else the paragraph."""
        if self.rec.row is not None:
            return self.rec.row
        return self.rec.paragraph or self.rec.where or None


# Above this many matched records, the tags of all the records read are read in one query per tag
# table (see Writer._stored_records); below it, by lists of ids.
TAGS_IN_ONE_QUERY_ABOVE = 2000
# Records whose ids fill at least this share of the range between the smallest and the largest
# (as those of one import do) have their tags read by that range of ids alone (see `_id_range`).
DENSE_IDS = 0.5


def _tags_of(pks, scope: dict) -> dict:
    """The filter of a tag table's rows for the records `pks` read under `scope` (a filter of the
    records): by the range of their ids when they are dense (see `_id_range`), else through the
    records of `scope`."""
    span = _id_range(pks)
    if span is not None:
        return {"recommendation_id__gte": span[0], "recommendation_id__lte": span[1]}
    return {f"recommendation__{name}": value for name, value in scope.items()}


def _id_range(pks) -> tuple[int, int] | None:
    """The smallest and the largest of `pks` when they are dense (DENSE_IDS) in between, else None.
    The tags of such records are read by that range of the tag table's index on the record, rows
    of other records in it left aside: a plan no statistics can spoil. Joined to the records (by
    their documents), PostgreSQL planned by statistics that had not yet seen the records of a
    recent import and scanned an index of every record instead (a re-import of 20,000 rows read
    its records' themes in 73 ms, 5 ms by their range)."""
    if not pks:
        return None
    low, high = min(pks), max(pks)
    return (low, high) if len(pks) >= DENSE_IDS * (high - low + 1) else None


def _problem_row(where: str):
    where = (where or "").strip()
    if not where:
        return None
    return int(where) if where.isdigit() else where


def _sort_key(error: dict):
    row = error["row"]
    if row is None:
        return (0, ())
    if isinstance(row, int):
        return (1, (row,))
    return (1, tuple(int(n) for n in re.findall(r"\d+", str(row))))


# --- The writer ---------------------------------------------------------------------------------


class Writer:
    def __init__(
        self,
        parsed: records.ParsedFile,
        *,
        country: Country,
        filename: str = "",
        document: str = "",
        dry_run: bool = False,
        skip_invalid: bool = False,
        publish: bool = False,
        by=None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.parsed = parsed
        self.country = country
        self.filename = filename
        self.document = (document or "").strip()
        self.skip_invalid = skip_invalid
        self.publish = publish
        self.by = by if getattr(by, "pk", None) else None
        self.progress = progress
        self.summary = ImportSummary(dry_run=dry_run, format=parsed.format)
        self.vocab = Vocabulary(parsed.format)

    # -- messages

    def _where(self, rec: records.ParsedRecommendation, name: str) -> str:
        column = self.parsed.columns.get(name)
        if rec.row is not None:
            if column:
                return _('Row %(row)s, column "%(column)s"') % {"row": rec.row, "column": column}
            return _("Row %(row)s, %(field)s") % {"row": rec.row, "field": FIELD_NAMES.get(name, name)}
        if rec.paragraph:
            return _("Paragraph %(paragraph)s, %(field)s") % {
                "paragraph": rec.paragraph,
                "field": column or FIELD_NAMES.get(name, name),
            }
        return _("%(where)s, %(field)s") % {
            "where": rec.where,
            "field": column or FIELD_NAMES.get(name, name),
        }

    def _error(self, item: Item, name: str, reason: str) -> None:
        item.valid = False
        self.summary.add_error(
            item.row, _("%(where)s: %(reason)s") % {"where": self._where(item.rec, name), "reason": reason}
        )

    def _problem(self, problem: records.ParseProblem) -> None:
        row = _problem_row(problem.where)
        message = problem.message
        if problem.value and shorten(problem.value) not in message and problem.value not in message:
            message = _('%(reason)s (value: "%(value)s")') % {
                "reason": message,
                "value": shorten(problem.value),
            }
        if row is None:
            self.summary.add_error(None, message)
            return
        if isinstance(row, int):
            where = (
                _('Row %(row)s, column "%(column)s"') % {"row": row, "column": problem.column}
                if problem.column
                else _("Row %(row)s") % {"row": row}
            )
        elif row[:1].isdigit():  # a paragraph number: 88.1, 42(b)
            where = (
                _("Paragraph %(paragraph)s, %(field)s") % {"paragraph": row, "field": problem.column}
                if problem.column
                else _("Paragraph %(paragraph)s") % {"paragraph": row}
            )
        else:  # the parser's own words for the place ("table 2, row 4"), already translated
            where = (
                _("%(where)s, %(field)s") % {"where": row, "field": problem.column} if problem.column else row
            )
        self.summary.add_error(row, _("%(where)s: %(reason)s") % {"where": where, "reason": message})

    # -- checking

    @staticmethod
    def _location(rec: records.ParsedRecommendation) -> str:
        return str(rec.row) if rec.row is not None else (rec.paragraph or rec.where)

    def _mine(self) -> list[records.ParsedRecommendation]:
        """The recommendations about the chosen state; the others are counted and left aside,
        with the problems found in them."""
        mine, other_locations, other_names = [], set(), Counter()
        cache: dict[str, str | None] = {}
        country = self.country.pk
        for rec in self.parsed.recommendations:
            names = rec.states_under_review or ([rec.state_under_review] if rec.state_under_review else [])
            if names:
                codes = set()
                for name in names:
                    if name not in cache:
                        cache[name] = self.vocab.state(name)
                    codes.add(cache[name])
                if country not in codes:
                    self.summary.other_rows += 1
                    other_locations.add(self._location(rec))
                    other_names[names[0] if len(names) == 1 else ", ".join(names)] += 1
                    continue
            mine.append(rec)
        mine_locations = {self._location(rec) for rec in mine} if self.parsed.problems else set()
        self.problems = [
            p for p in self.parsed.problems if p.where in mine_locations or p.where not in other_locations
        ]
        self.other_names = other_names
        return mine

    def _check(self, index: int, rec: records.ParsedRecommendation, problem_locations: set[str]) -> Item:
        item = Item(index=index, rec=rec)
        has_problems = self._location(rec) in problem_locations if problem_locations else False
        if has_problems:
            item.valid = False
        item.text = (rec.text or "").strip()
        item.language = rec.language if rec.language in ("tg", "ru", "en") else ""
        if not item.language:
            self._error(
                item,
                "language",
                _('"%(value)s" is not a language (expected en, ru or tg).') % {"value": rec.language},
            )
        if not item.text and item.valid:
            self._error(item, "text", _("the recommendation text is empty."))
        item.normtext = normalise_text(item.text)

        codes, unknown = self.vocab.states(rec.recommending_states)
        for name in unknown:
            self._error(
                item, "recommending_states", _('"%(value)s" is not a known state.') % {"value": shorten(name)}
            )
        item.states = tuple(codes) if len(codes) == 1 else tuple(sorted(set(codes)))

        item.symbol = " ".join((rec.document_symbol or self.parsed.document_symbol or self.document).split())
        item.mechanism = self.vocab.mechanism(
            rec.mechanism,
            symbol=item.symbol,
            has_states=bool(rec.recommending_states),
            fmt=self.parsed.format,
        )
        if item.mechanism is None:
            if rec.mechanism:
                reason = _(
                    '"%(value)s" is not a known mechanism (expected a code such as UPR, CAT, CCPR, SPT or '
                    "SP, or a special procedure's mandate)."
                ) % {"value": shorten(rec.mechanism)}
            else:
                reason = _(
                    "the mechanism is not given and cannot be told from the document symbol: name it "
                    "(for a table, map a column onto mechanism)."
                )
            self._error(item, "mechanism", reason)
        elif not rec.recommending_states and item.mechanism.kind == Mechanism.Kind.UPR and not has_problems:
            self._error(item, "recommending_states", _("no recommending state is given."))

        item.themes, item.groups, unknown = self.vocab.labels(rec.themes + rec.affected_groups)
        source = LabelMapping.Source(self.vocab.sources[0]).label if unknown else ""
        for label in unknown:
            self.summary.unknown_labels[(self.vocab.sources[0], label)] += 1
            column = "themes" if label in [_clean(v) for v in rec.themes] else "affected_groups"
            self._error(
                item,
                column,
                _(
                    '"%(value)s" is not a known label (%(source)s): an administrator can map it to a theme '
                    "or an affected group under Administration › Label mappings."
                )
                % {"value": shorten(label), "source": source},
            )
        item.goals, item.targets, unknown = self.vocab.sdgs(rec.sdgs)
        for label in unknown:
            self._error(
                item,
                "sdgs",
                _('"%(value)s" is not a Sustainable Development Goal or target (such as 16 or 16.3).')
                % {"value": shorten(label)},
            )
        if rec.position is not None and rec.position not in POSITIONS:
            self._error(item, "position", _('"%(value)s" is not a position.') % {"value": rec.position})
        item.session = _session(rec.session) if (rec.session or "").strip() else ""
        item.date = rec.date or self.parsed.document_date
        return item

    # -- the import

    def run(self) -> ImportSummary:
        summary = self.summary
        mine = self._mine()
        problem_locations = {p.where for p in self.problems if p.where}
        for problem in self.problems:
            self._problem(problem)
        self.items = items = [self._check(index, rec, problem_locations) for index, rec in enumerate(mine)]
        valid = [item for item in items if item.valid]

        if not items and not summary.errors:
            if summary.other_rows:
                others = [name for name, _n in self.other_names.most_common()]
                summary.add_error(
                    None,
                    _("The file has no recommendations for %(state)s. It has some for: %(states)s.")
                    % {"state": self.country.name, "states": shorten(", ".join(others), 300) or "—"},
                )
            else:
                summary.add_error(None, _("The file holds no recommendations."))
        if not valid or (summary.errors and not self.skip_invalid):
            return self._finish(written=False)

        with transaction.atomic():
            self._write(valid)
            failed = bool(summary.errors) and (not self.skip_invalid or not summary.imported)
            if failed or summary.dry_run:
                transaction.set_rollback(True)
        return self._finish(written=not (failed or summary.dry_run))

    def _finish(self, *, written: bool) -> ImportSummary:
        summary = self.summary
        summary.invalid = sum(1 for item in self.items if not item.valid)
        summary.errors.sort(key=_sort_key)
        if summary.errors and (not self.skip_invalid or not summary.imported):
            summary.discard_counts()
            written = False
        summary.written = written
        return summary

    # -- documents

    def _load(self, valid: list[Item]) -> None:
        """Documents of the state (and any other named by symbol in the file). The stored
        recommendations are read later, only those of the reviews the file's rows belong to (see
        `_read_stored`)."""
        symbols = {item.symbol for item in valid if item.symbol}
        documents = SourceDocument.objects.filter(country=self.country) | SourceDocument.objects.filter(
            symbol__in=symbols
        )
        self.documents = {doc.pk: doc for doc in documents.order_by("pk")}
        self.mechanism_ids = {item.mechanism.pk for item in valid}
        # The file's texts as compared (normalise_text): stored texts that a file brings again,
        # as a re-import does, need not be normalised a second time.
        self.normalised = {item.text: item.normtext for item in valid}
        # pk → (document id, mechanism id, {language: compared text}, recommending states)
        self.stored: dict[int, tuple] = {}
        # pk → the stored row as STORED_FIELDS' values (with the pk first), for `_stored_records`
        self.rows: dict[int, tuple] = {}
        # document → (language, text) → the recommending states of each stored record of it
        self.texts_by_document: dict[int | None, dict] = defaultdict(lambda: defaultdict(list))
        self.read_documents: set[int] = set()
        self.read_all = False
        self.scope: dict = {}

    def _read_stored(self, document_ids: set[int] | None = None) -> None:
        """Read the state's stored recommendations of the file's mechanisms as values: those filed
        under `document_ids`, or all of them (None). Each record is read once, however often it
        is asked for. A state may hold tens of thousands of records; only those of the reviews a
        file touches are ever compared with it, so reading (and normalising the texts of) the
        others would be most of an import's work."""
        if self.read_all:
            return
        if document_ids is None:
            self.read_all = True
            scope = {"country": self.country, "mechanism_id__in": self.mechanism_ids}
        else:
            document_ids = set(document_ids) - self.read_documents
            if not document_ids:
                return
            if len(document_ids) > MAX_LISTED_DOCUMENTS:
                self._read_stored(None)
                return
            self.read_documents |= document_ids
            scope = self._scope(document_ids)
        country, mechanism_ids, known = self.country.pk, self.mechanism_ids, self.stored
        # Unordered: nothing below depends on the rows' order, and the model's default order makes
        # PostgreSQL walk a whole sorted index for the server-side cursor of `iterator` (ten times
        # slower than reading the documents' rows through their index).
        rows = list(
            Recommendation.objects.filter(**scope)
            .order_by()
            .values_list("pk", *STORED_FIELDS)
            .iterator(chunk_size=2000)
        )
        # Their recommending states (see `_tags_of`).
        states = defaultdict(list)
        if rows:
            through = Recommendation.recommending_states.through.objects.filter(
                **_tags_of([row[0] for row in rows], scope)
            )
            for rec_id, code in through.values_list("recommendation_id", "country_id").iterator(
                chunk_size=5000
            ):
                states[rec_id].append(code)
        texts_by_document, normalised = self.texts_by_document, self.normalised
        for row in rows:
            pk = row[0]
            if pk in known or row[_COUNTRY] != country or row[_MECHANISM] not in mechanism_ids:
                continue
            codes = states.get(pk, ())
            codes = tuple(codes) if len(codes) == 1 else tuple(sorted(set(codes)))
            texts = {}
            for lang, text in (("en", row[_TEXT_EN]), ("ru", row[_TEXT_RU]), ("tg", row[_TEXT_TG])):
                if text.strip():
                    compared = normalised.get(text)
                    texts[lang] = compared if compared is not None else normalise_text(text)
            doc_id = row[_DOCUMENT]
            known[pk] = (doc_id, row[_MECHANISM], texts, codes)
            self.rows[pk] = row
            if texts:
                by_text = texts_by_document[doc_id]
                states_set = frozenset(codes)
                for lang, text in texts.items():
                    by_text[(lang, text)].append(states_set)

    @staticmethod
    def _scope(document_ids) -> dict:
        """The filter of the records filed under these documents: by the documents alone (the
        state and the mechanisms are checked on the rows read), so that a database reads them,
        and their tags, through the index of their document."""
        return {"document_id__in": sorted(document_ids)}

    def _read_reviews(self) -> None:
        """Read the stored recommendations of the reviews (`_family`) of the resolved rows: those
        filed under a document of one of them, or all of the state's when a row has no document
        (records without one, or filed under a document of no review here, are of that family).
        Matching and near matches only ever look within a row's review, so this reads every
        record they could find. `scope` remembers the filter (see `_stored_records`)."""
        families = {self._family(document, mechanism_id) for document, mechanism_id in self.reviews}
        document_ids = {pk for pk, doc in self.documents.items() if self._family(doc, 0) in families}
        if any(family[0] == "none" for family in families) or len(document_ids) > MAX_LISTED_DOCUMENTS:
            self._read_stored(None)
            self.scope = {"country": self.country, "mechanism_id__in": self.mechanism_ids}
        else:
            self._read_stored(document_ids)
            self.scope = self._scope(document_ids)

    def _family(self, document: SourceDocument | None, mechanism_id: int) -> tuple:
        """The review a document stands for: documents of one mechanism sharing a session are one."""
        if document is None:
            return ("none", mechanism_id)
        if document.session:
            return ("session", document.mechanism_id, _session(document.session))
        return ("document", document.pk)

    def _document_update(self, doc: SourceDocument, **values) -> None:
        """Fill what a document lacks (its symbol, session, cycle, year, date), recorded."""
        changes = {name: value for name, value in values.items() if value and not getattr(doc, name)}
        if not changes:
            return
        before = {name: getattr(doc, name) for name in changes}
        for name, value in changes.items():
            setattr(doc, name, value)
        doc.full_clean()
        doc.save(update_fields=list(changes))
        audit.record(
            instance=doc,
            action="update",
            by=self.by,
            source=AUDIT_SOURCE,
            changes=audit.diff(before, changes),
            summary=doc.symbol or doc.title_en,
        )

    def _linked(self, members: list[Item], candidates: list[SourceDocument], year: int | None):
        """The candidate document holding most of these recommendations, when it holds enough of
        them to be the same review (LINK_SHARE of the smaller of the two) and is of about the same
        year. A recommendation counts when a stored one has its text and its recommending states
        or some of them (a joint recommendation given state by state counts too)."""
        best, best_count = None, 0
        near_in_time = []
        for doc in candidates:
            doc_year = doc.year or symbol_year(doc.symbol)
            if not (year and doc_year and abs(doc_year - year) > 1):
                near_in_time.append(doc)
        # Their stored records, read in one query for all of them.
        self._read_stored({doc.pk for doc in near_in_time})
        for doc in near_in_time:
            stored = self.texts_by_document.get(doc.pk)
            if not stored:
                continue
            count = 0
            for item in members:
                mine = frozenset(item.states)
                states = stored.get(item.text_key[:2], ())
                if any(mine <= codes or codes <= mine for codes in states):
                    count += 1
            size = sum(len(v) for v in stored.values())
            if count and count >= math.ceil(LINK_SHARE * min(len(members), size)) and count > best_count:
                best, best_count = doc, count
        return best

    def _document_for(self, mechanism: Mechanism, symbol: str, session: str, members: list[Item]):
        """The document of a group of recommendations: (document or None, error or "")."""
        number = parse_whole_number(session) if session else None
        is_upr = mechanism.kind == Mechanism.Kind.UPR
        dates = [m.date for m in members if m.date]
        year = (session_year(number) if is_upr and number else None) or (dates[0].year if dates else None)
        # Only to tell reviews apart, never stored.
        about = year or symbol_year(symbol)
        cycle = next((m.rec.cycle for m in members if m.rec.cycle), None) or (
            upr_cycle(number) if is_upr and number else None
        )
        of_mechanism = [
            d
            for d in self.documents.values()
            if d.mechanism_id == mechanism.pk and d.country_id == self.country.pk
        ]
        same_session = [d for d in of_mechanism if d.session and _session(d.session) == session]
        fill = {"cycle": cycle, "year": year, "date": dates[0] if dates else None}
        if symbol:
            key = symbol_key(symbol)
            doc = next((d for d in self.documents.values() if d.symbol and symbol_key(d.symbol) == key), None)
            if doc is not None:
                if doc.country_id != self.country.pk:
                    return None, _("the document %(symbol)s is recorded for %(state)s.") % {
                        "symbol": doc.symbol,
                        "state": doc.country.name,
                    }
                if doc.mechanism_id != mechanism.pk:
                    return None, _(
                        "the document %(symbol)s is recorded under the mechanism %(mechanism)s."
                    ) % {
                        "symbol": doc.symbol,
                        "mechanism": doc.mechanism.code,
                    }
                if session and doc.session and _session(doc.session) != session:
                    return None, _(
                        "the document %(symbol)s is recorded for session %(stored)s, not %(session)s."
                    ) % {
                        "symbol": doc.symbol,
                        "stored": doc.session,
                        "session": session,
                    }
                self._document_update(doc, session=session, **fill)
                return doc, ""
            if session:
                doc = next((d for d in same_session if not d.symbol), None)
            else:
                doc = self._linked(members, [d for d in of_mechanism if not d.symbol], about)
            if doc is not None:
                self._document_update(doc, symbol=symbol, session=session, **fill)
                return doc, ""
            return self._document_create(mechanism, symbol, session, number, year, cycle, dates), ""
        if session:
            if same_session:
                # The one with a symbol says more; else the oldest.
                return sorted(same_session, key=lambda d: (not d.symbol, d.pk))[0], ""
            doc = self._linked(members, [d for d in of_mechanism if d.symbol and not d.session], about)
            if doc is not None:
                self._document_update(doc, session=session, **fill)
                return doc, ""
            return self._document_create(mechanism, symbol, session, number, year, cycle, dates), ""
        return None, ""

    def _document_create(self, mechanism, symbol, session, number, year, cycle, dates) -> SourceDocument:
        titles = {}
        if self.parsed.document_title:
            titles = {"title_en": self.parsed.document_title[:255]}
        elif session:
            titles = document_titles(
                session=number or session, year=year, state=self.country, mechanism=mechanism.code
            )
        doc = SourceDocument(
            mechanism=mechanism,
            country=self.country,
            symbol=symbol,
            session=session,
            cycle=cycle,
            year=year,
            date=dates[0] if dates else None,
            **titles,
        )
        # `_document_for` found no stored document with its symbol (those of the file's symbols
        # are all read, see `_load`) or, without one, of its mechanism and session.
        services.source_document_create(document=doc, by=self.by, source=AUDIT_SOURCE, unique_checked=True)
        self.documents[doc.pk] = doc
        return doc

    def _resolve_documents(self, valid: list[Item]) -> list[Item]:
        groups: dict[tuple, list[Item]] = defaultdict(list)
        symbols: dict[str, str] = {}  # rows repeat a few symbols
        for item in valid:
            symbol = symbols.get(item.symbol)
            if symbol is None:
                symbol = symbols[item.symbol] = symbol_key(item.symbol)
            groups[(item.mechanism.pk, symbol, item.session)].append(item)
        resolved = []
        # (document, mechanism id) of each group resolved: their reviews are read (`_read_reviews`)
        # once every document is resolved (a later group may give an earlier document its session).
        self.reviews: set[tuple] = set()
        for members in groups.values():
            first = members[0]
            doc, error = self._document_for(first.mechanism, first.symbol, first.session, members)
            if not error:
                self.reviews.add((doc, first.mechanism.pk))
            for item in members:
                if error:
                    self._error(item, "document_symbol" if item.symbol else "session", error)
                else:
                    item.document = doc
                    resolved.append(item)
        resolved.sort(key=lambda item: item.index)
        return resolved

    # -- matching

    def _indexes(self) -> None:
        """The stored records by their identity (review, language, compared text, recommending
        states), and the confirmed near matches' texts that stand for them."""
        self.exact: dict[tuple, list[int]] = defaultdict(list)
        self.record_family: dict[int, tuple] = {}
        self.near: dict[tuple, list[tuple[int, str]]] | None = None  # see `_text_indexes`
        families: dict[tuple, tuple] = {}
        exact, record_family, stored = self.exact, self.record_family, self.stored
        for pk in sorted(stored):
            doc_id, mechanism_id, texts, codes = stored[pk]
            family = families.get((doc_id, mechanism_id))
            if family is None:
                family = families[(doc_id, mechanism_id)] = self._family(
                    self.documents.get(doc_id), mechanism_id
                )
            record_family[pk] = family
            for lang, text in texts.items():
                exact[(family, lang, text, codes)].append(pk)
        self.aliases: dict[tuple, int] = {}
        for text_key, existing_id in NearMatch.objects.filter(
            state=NearMatch.State.CONFIRMED, existing__country=self.country
        ).values_list("text_key", "existing_id"):
            if existing_id in self.record_family:
                self.aliases[(self.record_family[existing_id], text_key)] = existing_id

    def _text_indexes(self) -> None:
        """The stored records by review, language and recommending states (the blocks near matches
        are looked for in), and by review, language and text (for joint recommendations); built
        when a row first needs them: a re-import whose rows all match exactly never does."""
        if self.near is not None:
            return
        self.near = defaultdict(list)
        self.by_text: dict[tuple, list[tuple[int, frozenset]]] = defaultdict(list)
        for pk in sorted(self.stored):
            _doc_id, _mechanism_id, texts, codes = self.stored[pk]
            family = self.record_family[pk]
            for lang, text in texts.items():
                self.near[(family, lang, codes)].append((pk, text))
                self.by_text[(family, lang, text)].append((pk, frozenset(codes)))

    def _match(self, resolved: list[Item]) -> list[Item]:
        """Items to write, each with the stored record it updates (if any); repeats are skipped."""
        self._read_reviews()
        self._indexes()
        self.claimed: set[int] = set()
        claimed = self.claimed
        seen: set[tuple] = set()
        out = []
        families: dict[tuple, tuple] = {}
        exact = self.exact
        for item in resolved:
            document = item.document
            family_key = (document.pk if document is not None else None, item.mechanism.pk)
            family = families.get(family_key)
            if family is None:
                family = families[family_key] = self._family(document, item.mechanism.pk)
            key = (family, item.language, item.normtext, item.states)
            if key in seen:
                self.summary.skipped += 1
                continue
            seen.add(key)
            pks = exact.get(key, ())
            pk = None
            for p in pks:
                if p not in claimed:
                    pk = p
                    break
            if pk is None and not pks and self.aliases:
                alias = self.aliases.get((family, text_key_hash(*item.text_key)))
                if alias is not None:
                    item.alias = True
                    pk = alias if alias not in claimed else None
            if pk is None and (pks or item.alias):
                self.summary.skipped += 1  # its stored record was matched by an earlier row
                continue
            if pk is None and item.states:
                # A joint recommendation that this source gives once per recommending state (as
                # UPR Info does): the same text of the same review, made by some of its states.
                self._text_indexes()
                mine = set(item.states)
                pk = next(
                    (p for p, codes in self.by_text.get((family, *item.text_key[:2]), []) if mine < codes),
                    None,
                )
            if pk is not None:
                claimed.add(pk)
                item.stored_pk = pk
            out.append(item)
        return out

    def _stored_records(self, pks: list[int]) -> dict[int, "Stored"]:
        """The matched stored records as plain values (no model instances): their fields as
        `_read_stored` read them, their recommending states as it read them too, and their other
        tags as ids, in a few queries whatever their number."""
        wanted = set(pks)
        if not wanted:
            return {}
        found: dict[int, Stored] = {}
        for pk in wanted:
            record = found[pk] = Stored(self.rows[pk])
            record.tags["recommending_states"] = list(self.stored[pk][3])
        others = {name: column for name, column in M2M_COLUMNS.items() if name != "recommending_states"}
        listed = self.scope.get("document_id__in")
        in_scope = listed is None or {self.rows[pk][_DOCUMENT] for pk in wanted} <= set(listed)
        if len(wanted) > TAGS_IN_ONE_QUERY_ABOVE and (in_scope or _id_range(wanted) is not None):
            # Most of the records read: one query over them all is cheaper than id lists (see
            # `_tags_of`). Through the records read, the range is a redundant bound that lets
            # PostgreSQL read the tags of these ids through the table's index rather than hash the
            # whole table.
            through_filter = _tags_of(wanted, self.scope)
            through_filter.update(recommendation_id__gte=min(wanted), recommendation_id__lte=max(wanted))
            for name, column in others.items():
                through = getattr(Recommendation, name).through
                rows = through.objects.filter(**through_filter).values_list("recommendation_id", column)
                for rec_id, other in rows.iterator(chunk_size=5000):
                    stored = found.get(rec_id)
                    if stored is not None:
                        stored.tags[name].append(other)
        else:
            ordered = sorted(wanted)
            for start in range(0, len(ordered), 500):
                chunk = ordered[start : start + 500]
                for name, column in others.items():
                    through = getattr(Recommendation, name).through
                    for rec_id, other in through.objects.filter(recommendation_id__in=chunk).values_list(
                        "recommendation_id", column
                    ):
                        found[rec_id].tags[name].append(other)
        missing = {
            s.document_id for s in found.values() if s.document_id and s.document_id not in self.documents
        }
        if missing:
            self.documents.update(SourceDocument.objects.in_bulk(list(missing)))
        return found

    def _objects(self) -> None:
        """The vocabulary rows tags are given as (read once: a few hundred rows)."""
        self.country_rows = Country.objects.in_bulk()
        self.theme_rows = Theme.objects.in_bulk()
        self.group_rows = AffectedGroup.objects.in_bulk()
        self.goal_rows = dict(self.vocab.goals)
        self.target_rows = {t.pk: t for t in self.vocab.targets.values()}
        self.target_goals = {t.pk: t.goal_id for t in self.vocab.targets.values()}
        self.mechanism_rows = {m.pk: m for m in self.vocab.mechanisms.values()}

    # -- writing

    def _key(self, states, document: SourceDocument | None, text: str, normtext: str | None = None) -> str:
        """`base.natural_key`, given the text's normalised form when it is known already (the
        normalisation is most of the cost)."""
        review = (document.session or document.symbol) if document is not None else ""
        if normtext is None:
            return natural_key(country=self.country.pk, session=review, recommending_states=states, text=text)
        head = self.key_heads.get((review, *states))
        if head is None:
            parts = [
                self.country.pk.strip().upper(),
                _session(review),
                sorted({c.strip().upper() for c in states}),
            ]
            # The key's JSON up to its last item, the text: json.dumps writes a list's items one
            # after the other, each as it writes it alone (a string by encode_basestring).
            head = json.dumps([*parts, ""], ensure_ascii=False).removesuffix('""]')
            self.key_heads[(review, *states)] = head
        return hashlib.sha256(f"{head}{_json_string(normtext)}]".encode()).hexdigest()

    def _data(self, item: Item, stored: "Stored | None"):
        text_field = f"text_{item.language}"
        document = item.document
        year = (document.year if document is not None else None) or (item.date.year if item.date else None)
        countries_ = self.country_rows
        if stored is None:
            position = item.rec.position or (
                Position.PENDING if item.mechanism.kind == Mechanism.Kind.UPR else Position.NOT_APPLICABLE
            )
            data = services.RecommendationData(
                country=self.country,
                mechanism=item.mechanism,
                document=document,
                paragraph=item.rec.paragraph,
                original_language=item.language,
                position=position,
                position_note=item.rec.position_note,
                year=year,
                is_published=self.publish,
                natural_key=self._key(item.states, document, item.text, item.normtext),
                recommending_states=[countries_[code] for code in item.states],
                themes=item.themes,
                affected_groups=item.groups,
                sdg_goals=item.goals,
                sdg_targets=item.targets,
            )
            setattr(data, text_field, item.text)
            return data
        position = _position(item.rec.position, stored.position)
        document = self.documents[stored.document_id] if stored.document_id else document
        tags = stored.tags
        # Stored tags in the order a related manager gives them (the vocabularies' order).
        kept_states = sorted(
            (countries_[code] for code in tags["recommending_states"]), key=lambda c: (c.name_en, c.pk)
        )
        data = services.RecommendationData(
            country=self.country,
            mechanism=self.mechanism_rows[stored.mechanism_id],
            document=document,
            paragraph=item.rec.paragraph or stored.paragraph,
            text_tg=stored.text_tg,
            text_ru=stored.text_ru,
            text_en=stored.text_en,
            original_language=stored.original_language,
            position=position,
            position_note=item.rec.position_note or stored.position_note,
            status=stored.status,
            year=(document.year if document is not None else None) or year or stored.year,
            is_published=stored.is_published,
            # The same states, or more when rows give a joint recommendation state by state.
            recommending_states=_union(kept_states, [countries_[code] for code in item.states]),
            themes=_union([self.theme_rows[pk] for pk in tags["themes"]], item.themes),
            affected_groups=_union([self.group_rows[pk] for pk in tags["affected_groups"]], item.groups),
            sdg_goals=_union([self.goal_rows[pk] for pk in tags["sdg_goals"]], item.goals),
            sdg_targets=_union([self.target_rows[pk] for pk in tags["sdg_targets"]], item.targets),
        )
        codes = [state.pk for state in data.recommending_states]
        if not item.alias:
            setattr(data, text_field, item.text)
            data.natural_key = self._key(codes, document, item.text, item.normtext)
        else:
            data.natural_key = self._key(codes, document, getattr(data, text_field))
        return data

    def _unchanged(self, item: Item, stored: "Stored") -> bool:
        """Whether `_data(item, stored)` would leave the stored record exactly as it is, decided
        on the plain values read (no data, snapshot or diff built): what most rows of a re-import
        come to. It answers True only when every field and tag `_data` sets equals the stored
        one (each test below mirrors `_data`), and False whenever a row brings anything else,
        even what `_data` would then find to change nothing: those rows take the full path."""
        if item.alias:
            return False
        rec = item.rec
        if (
            getattr(stored, f"text_{item.language}") != item.text
            or (rec.paragraph and rec.paragraph != stored.paragraph)
            or (rec.position_note and rec.position_note != stored.position_note)
            or _position(rec.position, stored.position) != stored.position
        ):
            return False
        if stored.document_id:
            document = self.documents[stored.document_id]
        elif item.document is not None:
            return False  # the record gains the row's document
        else:
            document = None
        year = (
            (document.year if document is not None else None)
            or (item.document.year if item.document is not None else None)
            or (item.date.year if item.date else None)
            or stored.year
        )
        if year is None and document is not None:
            year = document.year  # as services.data_snapshot reads it
        if year != stored.year:
            return False
        # Tags: the stored ones are kept, the row's added (see `_union`).
        tags = stored.tags
        states = tags["recommending_states"]
        for code in item.states:
            if code not in states:
                return False
        theme_ids, group_ids, goal_ids, target_ids, goals_of_targets = self.vocab.tag_ids(item)
        goals, targets = tags["sdg_goals"], tags["sdg_targets"]
        if not (
            theme_ids.issubset(tags["themes"])
            and group_ids.issubset(tags["affected_groups"])
            and target_ids.issubset(targets)
            # A target implies its goal (services._with_goals_of_targets), stored ones too.
            and goal_ids.union(goals_of_targets, [self.target_goals[pk] for pk in targets]).issubset(goals)
        ):
            return False
        return self._key(states, document, item.text, item.normtext) == stored.natural_key

    def _write(self, valid: list[Item]) -> None:
        """Build and check every record, then write them a chunk at a time with bulk inserts and
        updates (the history and the search index as the services keep them)."""
        summary = self.summary
        self._load(valid)
        self._objects()
        # (review, *recommending states) → the start of their natural keys' JSON (see `_key`).
        self.key_heads: dict[tuple, str] = {}
        to_write = self._match(self._resolve_documents(valid))
        stored = self._stored_records([item.stored_pk for item in to_write if item.stored_pk])
        total = len(to_write)
        created: list[Item] = []
        for start in range(0, total, WRITE_CHUNK):
            chunk = to_write[start : start + WRITE_CHUNK]
            fresh: list[Item] = []
            changed: list[tuple[Item, services.RecommendationData, dict]] = []
            for item in chunk:
                record = stored.get(item.stored_pk) if item.stored_pk else None
                if record is None:
                    fresh.append(item)
                    continue
                if self._unchanged(item, record):
                    summary.unchanged += 1
                    continue
                try:
                    data = self._data(item, record)
                    after = services.data_snapshot(data)
                    before = record.snapshot()
                    # Plain values on both sides: equal means unchanged (the diff is costlier).
                    changes = audit.diff(before, after) if before != after else {}
                    if changes:
                        # A later row may match the same record (a joint recommendation given
                        # state by state): it starts from this one's result.
                        record.take(after)
                        changed.append((item, data, changes))
                    else:
                        summary.unchanged += 1
                except ValidationError as exc:
                    self._error(item, "text", " ".join(exc.messages))
            new = services.recommendations_bulk_create(
                pairs=self._built(fresh, created), most=len(fresh), by=self.by, source=AUDIT_SOURCE
            )
            summary.created += len(new)
            self._update(changed)
            if self.progress:
                end = start + len(chunk)
                for done in range(start + PROGRESS_EVERY, end + 1, PROGRESS_EVERY):
                    self.progress(done, total)
                if end == total and total % PROGRESS_EVERY:
                    self.progress(total, total)
        self._near_matches(created)
        self._clusters(to_write)
        documents = {item.document.pk: item.document for item in to_write if item.document is not None}
        summary.documents = sorted({doc.name for doc in documents.values()})

    def _built(self, items: list[Item], created: list[Item]):
        """(record, data) of each new item that is valid, built when it is asked for: the records
        are written as they are built (see services.recommendations_bulk_create). Nothing here
        reads the database, which is busy receiving them."""
        for item in items:
            try:
                data = self._data(item, None)
                item.result = services.recommendation_build(data=data)
            except ValidationError as exc:
                self._error(item, "text", " ".join(exc.messages))
                continue
            created.append(item)
            yield item.result, data

    def _update(self, changed: list[tuple[Item, services.RecommendationData, dict]]) -> None:
        if not changed:
            return
        instances = Recommendation.objects.select_related("document").in_bulk(
            [item.stored_pk for item, _data, _changes in changed]
        )
        ready = []
        for item, data, changes in changed:
            # Records changed by several rows are built in the rows' order, the last one written.
            try:
                rec = services.recommendation_build(data=data, recommendation=instances[item.stored_pk])
            except ValidationError as exc:
                self._error(item, "text", " ".join(exc.messages))
                continue
            ready.append((rec, data, changes))
        services.recommendations_bulk_update(changed=ready, by=self.by, source=AUDIT_SOURCE)
        self.summary.updated += len(ready)

    def _near_matches(self, created: list[Item]) -> None:
        """List each created record that is close to a stored one of its review: a similar text
        with the same recommending states, or the same text made jointly by states that stored
        records each hold part of. Texts are only compared within a block: the stored records of
        the same review, language and recommending states."""
        found: list[tuple[Item, int, float]] = []
        if created:
            self._text_indexes()
        for item in created:
            family = self._family(item.document, item.mechanism.pk)
            matches: list[tuple[int, float]] = []
            candidates = self.near.get((family, item.language, item.states))
            choices = {pk: text for pk, text in candidates or () if pk not in self.claimed}
            if choices:
                best = process.extractOne(
                    item.normtext, choices, scorer=fuzz.ratio, score_cutoff=NEAR_MATCH_RATIO
                )
                if best is None:
                    # One text's words all within the other's: a piece of a compound recommendation
                    # that another source split (or joined).
                    best = process.extractOne(
                        item.normtext, choices, scorer=fuzz.token_set_ratio, score_cutoff=CONTAINED_RATIO
                    )
                if best is not None:
                    matches.append((best[2], best[1]))
            mine = set(item.states)
            for pk, codes in self.by_text.get((family, item.language, item.normtext), []):
                if codes < mine and pk not in self.claimed:
                    matches.append((pk, 100.0))
            found += [(item, existing_id, score) for existing_id, score in matches]
        if not found:
            return
        listings = [
            NearMatch(
                recommendation=item.result,
                existing_id=existing_id,
                score=round(score, 1),
                text_key=text_key_hash(*item.text_key),
                found_in=f"{self.filename}, {item.rec.where}"[:255],
            )
            for item, existing_id, score in found
        ]
        NearMatch.objects.bulk_create(listings, batch_size=500)
        audit.record_many(
            audit.entry(
                instance=near,
                action="create",
                by=self.by,
                source=AUDIT_SOURCE,
                changes={
                    "recommendation": [None, near.recommendation_id],
                    "existing": [None, near.existing_id],
                    "score": [None, near.score],
                },
                summary=str(near),
            )
            for near in listings
        )
        self.summary.near_matches += len(listings)

    def _clusters(self, written: list[Item]) -> None:
        from adolat.followup.models import Cluster
        from adolat.followup.services import cluster_create

        # Stored records are read as values (see `_stored_records`): the clustered ones as records.
        wanted = [i.stored_pk for i in written if i.rec.cluster and i.result is None and i.stored_pk]
        if wanted:
            found = Recommendation.objects.in_bulk(wanted)
            for item in written:
                if item.rec.cluster and item.result is None and item.stored_pk in found and item.valid:
                    item.result = found[item.stored_pk]
        groups: dict[tuple, list[Item]] = defaultdict(list)
        unfiled = False
        for item in written:
            if not item.rec.cluster or item.result is None:
                continue
            if item.document is None:
                unfiled = True
                continue
            groups[(item.document.pk, item.rec.cluster)].append(item)
        if unfiled:
            self.summary.warnings.append(
                _("Recommendations that form a cluster were not grouped: the file names no document.")
            )
        for (_doc, value), members in groups.items():
            recommendations = list({m.result.pk: m.result for m in members}.values())
            if len(recommendations) < 2:
                continue
            paragraphs = {m.rec.paragraph for m in members}
            paragraph = paragraphs.pop() if len(paragraphs) == 1 and "" not in paragraphs else value
            cluster_create(
                country=self.country,
                recommendations=recommendations,
                origin=Cluster.Origin.DOCUMENT,
                state=Cluster.State.CONFIRMED,
                document=members[0].document,
                paragraph=paragraph[:32],
                source=AUDIT_SOURCE,
                by=self.by,
            )
            self.summary.clusters += 1


def write(parsed: records.ParsedFile, **options) -> ImportSummary:
    """Bring the database in step with a parsed file (see the module docstring)."""
    return Writer(parsed, **options).run()
