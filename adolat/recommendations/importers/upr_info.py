"""The UPR Info database export (CSV), one recommendation per row.

Columns: `To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session`. `To` is
the state under review, `From` the recommending state, `Response` the state's position in UPR
Info's words, `Issue` several comma-separated UPR Info issues, `Session` the UPR session number.
The export gives no UN symbol nor paragraph number, so recommendations are grouped under one
source document per (UPR, state under review, session) and recognised across imports by their
natural key (see `base.natural_key`).

Rules this importer enforces:
- columns are found by name, in any order, whatever their case and surrounding spaces; extra
  columns are ignored; `To`, `Text`, `From`, `Response`, `Issue` and `Session` are required;
- only rows about the chosen state under review are imported; the others are counted, not read;
- a recommending state or an issue that the vocabularies do not know is an error for that row:
  vocabularies are data that administrators extend, never invented by an import;
- the whole file is one transaction: with any error nothing is written, and every wrong row is
  reported with its row number as a spreadsheet shows it (the header is row 1);
- re-importing the same rows changes nothing; a row matching a stored record updates only what
  the export owns (text, position, states, document) and adds its themes and groups to those
  already there, so translations, status, SDGs and tags people added are kept.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from adolat.recommendations import countries, vocabularies
from adolat.recommendations.models import (
    AffectedGroup,
    Country,
    LabelMapping,
    Language,
    Mechanism,
    Position,
    Recommendation,
    SourceDocument,
    Theme,
)
from adolat.recommendations.services import (
    RecommendationData,
    recommendation_create,
    recommendation_update,
    source_document_create,
)

from .base import (
    ImporterError,
    ImportSummary,
    decode,
    natural_key,
    normalise_label,
    normalise_line_ends,
    not_a_text_file,
    parse_whole_number,
    read_bytes,
    shorten,
    split_values,
)

MECHANISM_CODE = "UPR"
AUDIT_SOURCE = "import"

COLUMNS = (
    "To",
    "To-Rgrp",
    "To-Org",
    "Text",
    "From",
    "From-Rgrp",
    "From-Org",
    "Response",
    "Action",
    "Issue",
    "Session",
)
REQUIRED_COLUMNS = ("To", "Text", "From", "Response", "Issue", "Session")

# UPR Info's words for the state's position. "Accepted" is UPR Info's older word for supported;
# "Rejected" its older word for what the UN now records as noted.
RESPONSES = {
    "accepted": Position.SUPPORTED,
    "supported": Position.SUPPORTED,
    "partially accepted": Position.SUPPORTED_IN_PART,
    "partially supported": Position.SUPPORTED_IN_PART,
    "accepted in part": Position.SUPPORTED_IN_PART,
    "supported in part": Position.SUPPORTED_IN_PART,
    "noted": Position.NOTED,
    "rejected": Position.NOTED,
    "not accepted": Position.NOTED,
    "not supported": Position.NOTED,
    "pending": Position.PENDING,
    "": Position.PENDING,
}

# The year each UPR session was held (sessions 1-3 in 2008, ... 51-53 in 2026).
_SESSION_SPANS = (
    (1, 3, 2008),
    (4, 6, 2009),
    (7, 9, 2010),
    (10, 12, 2011),
    (13, 14, 2012),
    (15, 17, 2013),
    (18, 20, 2014),
    (21, 23, 2015),
    (24, 26, 2016),
    (27, 28, 2017),
    (29, 31, 2018),
    (32, 34, 2019),
    (35, 36, 2020),
    (37, 39, 2021),
    (40, 41, 2022),
    (42, 44, 2023),
    (45, 47, 2024),
    (48, 50, 2025),
    (51, 53, 2026),
)
SESSION_YEARS = {session: year for first, last, year in _SESSION_SPANS for session in range(first, last + 1)}

# Stored data in each language, not UI text: built per language so every title exists in all
# three whatever language the importing user reads. (Tajik wording to be reviewed by a native
# speaker.)
_TITLES = {
    "en": ("UPR, session {session} ({year}): {state}", "UPR, session {session}: {state}"),
    "ru": ("УПО, сессия {session} ({year}): {state}", "УПО, сессия {session}: {state}"),
    "tg": ("БУД, иҷлосияи {session} ({year}): {state}", "БУД, иҷлосияи {session}: {state}"),
}


def upr_cycle(session: int) -> int:
    """UPR cycles: 1 = sessions 1-12, 2 = 13-26, 3 = 27-40, 4 = 41-54, then 14 sessions each."""
    return 1 if session <= 12 else 2 + (session - 13) // 14


def session_year(session: int) -> int | None:
    return SESSION_YEARS.get(session)


def document_titles(*, session: int, year: int | None, state: Country) -> dict[str, str]:
    """`{"title_en": "UPR, session 12 (2011): Tajikistan", "title_ru": ..., "title_tg": ...}`."""
    titles = {}
    for lang, (with_year, without_year) in _TITLES.items():
        name = getattr(state, f"name_{lang}") or state.name_en
        template = with_year if year else without_year
        titles[f"title_{lang}"] = template.format(session=session, year=year, state=name)
    return titles


# --- Reading the file ---------------------------------------------------------------------------


def _column_key(name: str) -> str:
    """Header names compared without case, spaces or punctuation: ` to-rgrp ` is `To-Rgrp`."""
    return re.sub(r"[\W_]+", "", name.casefold())


def _delimiter(text: str) -> str:
    """Commas as UPR Info writes them; semicolons or tabs when a spreadsheet re-saved the file."""
    header = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count)


@dataclass
class Row:
    """One data row, by column name; `number` is its row in a spreadsheet (header = row 1)."""

    number: int
    values: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)  # column → the header as the file spells it

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")

    def header(self, column: str) -> str:
        return self.headers.get(column, column)


def read_rows(text: str, summary: ImportSummary) -> list[Row] | None:
    """The data rows of a UPR Info export; None (with the reason in `summary`) when the file is
    not one. Blank lines count as rows, as they do in a spreadsheet, but are not returned."""
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        summary.add_error(1, _("Row 1: the file cannot be read as CSV (%(reason)s).") % {"reason": exc})
        return None
    if not header or not any(cell.strip() for cell in header):
        summary.add_error(1, _("The file is empty: a UPR Info export starts with a row of column names."))
        return None
    wanted = {_column_key(name): name for name in COLUMNS}
    index: dict[str, int] = {}
    spelled: dict[str, str] = {}
    for i, cell in enumerate(header):
        column = wanted.get(_column_key(cell))
        if column and column not in index:
            index[column] = i
            spelled[column] = cell.strip()
    missing = [name for name in REQUIRED_COLUMNS if name not in index]
    if missing:
        found = [cell.strip() for cell in header if cell.strip()]
        summary.add_error(
            1,
            _("This is not a UPR Info export: the columns %(missing)s are missing (found: %(found)s).")
            % {"missing": ", ".join(missing), "found": shorten(", ".join(found), 200)},
        )
        return None
    rows = []
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            summary.add_error(
                number,
                _("Row %(row)s: the file cannot be read as CSV (%(reason)s).")
                % {"row": number, "reason": exc},
            )
            break
        if not any(cell.strip() for cell in cells):
            continue
        values = {column: (cells[i].strip() if i < len(cells) else "") for column, i in index.items()}
        rows.append(Row(number=number, values=values, headers=spelled))
    return rows


# --- Checking rows against the vocabularies -----------------------------------------------------


@dataclass
class Item:
    """A valid row, resolved against the vocabularies, ready to be written."""

    row: int
    key: str
    text: str
    session: int
    position: str
    states: list[str]
    themes: list[Theme]
    groups: list[AffectedGroup]


class Vocabularies:
    """Everything rows are resolved against, read once per import."""

    def __init__(self) -> None:
        self.countries = countries.lookup_table(Country)
        self.labels: dict[str, tuple[list[Theme], list[AffectedGroup]]] = {
            normalise_label(label): targets
            for label, targets in vocabularies.label_mapping(LabelMapping.Source.UPR_INFO).items()
        }

    def state(self, name: str) -> str | None:
        return countries.find_country_code(name, self.countries)

    def states(self, value: str) -> tuple[list[str], list[str]]:
        """The ISO codes of a `From` cell, and the parts of it that name no known state. The whole
        cell is tried first, so that names with a comma ("Korea, Republic of") stay whole."""
        code = self.state(value)
        if code:
            return [code], []
        codes, unknown = [], []
        for part in split_values(value):
            code = self.state(part)
            if code:
                codes.append(code)
            else:
                unknown.append(part)
        return codes, unknown


def _error(summary: ImportSummary, row: Row, column: str, message: str, value: str = "") -> None:
    summary.add_error(
        row.number,
        message % {"row": row.number, "column": row.header(column), "value": shorten(value)},
    )


def check_row(row: Row, country: str, vocab: Vocabularies, summary: ImportSummary) -> Item | None:
    """The row resolved against the vocabularies, or None with every problem it has reported in
    `summary` (each names the row, the column, the value and the reason)."""
    before = len(summary.errors)
    text = row["Text"]
    if not text:
        _error(summary, row, "Text", _('Row %(row)s, column "%(column)s": the recommendation text is empty.'))

    states: list[str] = []
    if not row["From"]:
        _error(summary, row, "From", _('Row %(row)s, column "%(column)s": no recommending state is given.'))
    else:
        states, unknown = vocab.states(row["From"])
        for name in unknown:
            _error(
                summary,
                row,
                "From",
                _('Row %(row)s, column "%(column)s": "%(value)s" is not a known state.'),
                name,
            )

    response = " ".join(row["Response"].replace("-", " ").casefold().split())
    position = RESPONSES.get(response)
    if position is None:
        _error(
            summary,
            row,
            "Response",
            _(
                'Row %(row)s, column "%(column)s": "%(value)s" is not a UPR position '
                "(expected Accepted, Supported, Partially accepted, Supported in part, Noted or Pending)."
            ),
            row["Response"],
        )

    session = parse_whole_number(row["Session"])
    if not row["Session"]:
        _error(
            summary, row, "Session", _('Row %(row)s, column "%(column)s": the UPR session number is missing.')
        )
    elif not session:
        _error(
            summary,
            row,
            "Session",
            _('Row %(row)s, column "%(column)s": "%(value)s" is not a UPR session number.'),
            row["Session"],
        )

    themes: dict[int, Theme] = {}
    groups: dict[int, AffectedGroup] = {}
    for label in split_values(row["Issue"]):
        targets = vocab.labels.get(normalise_label(label))
        if targets is None:
            _error(
                summary,
                row,
                "Issue",
                _(
                    'Row %(row)s, column "%(column)s": "%(value)s" is not a known UPR Info issue '
                    "(an administrator can map it to a theme under label mappings)."
                ),
                label,
            )
            continue
        for theme in targets[0]:
            themes[theme.pk] = theme
        for group in targets[1]:
            groups[group.pk] = group

    if len(summary.errors) > before:
        return None
    return Item(
        row=row.number,
        key=natural_key(country=country, session=session, recommending_states=states, text=text),
        text=text,
        session=session,
        position=position,
        states=sorted(set(states)),
        themes=list(themes.values()),
        groups=list(groups.values()),
    )


# --- Writing ------------------------------------------------------------------------------------


def _documents(
    *, sessions: set[int], country: Country, mechanism: Mechanism, by
) -> dict[int, SourceDocument]:
    """The source document of each session, created when missing. One already there (perhaps given
    its UN symbol since) is used as it is: its titles and symbol are people's to edit."""
    found: dict[int, SourceDocument] = {}
    for doc in SourceDocument.objects.filter(
        mechanism=mechanism, country=country, session__in=[str(s) for s in sessions]
    ).order_by("pk"):
        session = int(doc.session)
        # Prefer the document this importer made (no symbol) when there are several.
        if session not in found or (found[session].symbol and not doc.symbol):
            found[session] = doc
    for session in sorted(sessions - set(found)):
        year = session_year(session)
        doc = SourceDocument(
            mechanism=mechanism,
            country=country,
            symbol="",
            session=str(session),
            cycle=upr_cycle(session),
            year=year,
            **document_titles(session=session, year=year, state=country),
        )
        source_document_create(document=doc, by=by, source=AUDIT_SOURCE)
        found[session] = doc
    return found


def _existing(*, country: Country, mechanism: Mechanism, keys: list[str]) -> dict[str, Recommendation]:
    """Stored recommendations by natural key (the oldest when several share one)."""
    found: dict[str, Recommendation] = {}
    for start in range(0, len(keys), 500):
        queryset = (
            Recommendation.objects.filter(
                country=country, mechanism=mechanism, natural_key__in=keys[start : start + 500]
            )
            .select_related("document")
            .prefetch_related("themes", "affected_groups", "sdg_goals", "sdg_targets")
            .order_by("pk")
        )
        for rec in queryset:
            found.setdefault(rec.natural_key, rec)
    return found


def _union(kept, added) -> list:
    by_pk = {obj.pk: obj for obj in kept}
    for obj in added:
        by_pk.setdefault(obj.pk, obj)
    return list(by_pk.values())


def _data_for(
    item: Item,
    *,
    stored: Recommendation | None,
    country: Country,
    mechanism: Mechanism,
    document: SourceDocument,
    states: dict[str, Country],
    publish: bool,
) -> RecommendationData:
    """What the record should hold. For a stored record the export owns the text, position,
    recommending states, document and year; everything else is kept as people left it, and the
    export's themes and groups are added to theirs, never removing one."""
    data = RecommendationData(
        country=country,
        mechanism=mechanism,
        document=document,
        text_en=item.text,
        original_language=Language.EN,
        position=item.position,
        year=document.year,
        is_published=publish,
        natural_key=item.key,
        recommending_states=[states[code] for code in item.states],
        themes=item.themes,
        affected_groups=item.groups,
    )
    if stored is None:
        return data
    if (
        stored.document_id
        and stored.document.mechanism_id == mechanism.pk
        and stored.document.country_id == country.pk
        and parse_whole_number(stored.document.session) == item.session
    ):
        data.document = stored.document
    data.paragraph = stored.paragraph
    data.text_tg = stored.text_tg
    data.text_ru = stored.text_ru
    data.status = stored.status
    data.is_published = stored.is_published
    data.themes = _union(stored.themes.all(), item.themes)
    data.affected_groups = _union(stored.affected_groups.all(), item.groups)
    data.sdg_goals = list(stored.sdg_goals.all())
    data.sdg_targets = list(stored.sdg_targets.all())
    return data


def _write(
    items: list[Item], *, country: Country, mechanism: Mechanism, publish: bool, by, summary: ImportSummary
) -> None:
    documents = _documents(sessions={i.session for i in items}, country=country, mechanism=mechanism, by=by)
    states = Country.objects.in_bulk({code for item in items for code in item.states})
    existing = _existing(country=country, mechanism=mechanism, keys=[i.key for i in items])
    for item in items:
        stored = existing.get(item.key)
        data = _data_for(
            item,
            stored=stored,
            country=country,
            mechanism=mechanism,
            document=documents[item.session],
            states=states,
            publish=publish,
        )
        try:
            if stored is None:
                recommendation_create(data=data, by=by, source=AUDIT_SOURCE)
                summary.created += 1
            elif recommendation_update(recommendation=stored, data=data, by=by, source=AUDIT_SOURCE):
                summary.updated += 1
            else:
                summary.unchanged += 1
        except ValidationError as exc:
            summary.add_error(
                item.row, _("Row %(row)s: %(reason)s") % {"row": item.row, "reason": " ".join(exc.messages)}
            )


# --- The import ---------------------------------------------------------------------------------


def resolve_country(value: str) -> Country:
    """The state under review named by an ISO code or any of its names; ImporterError if none."""
    code = countries.find_country_code(value or "", countries.lookup_table(Country))
    country = Country.objects.filter(pk=code).first() if code else None
    if country is None:
        raise ImporterError(_('"%(value)s" is not a known state.') % {"value": value})
    return country


def import_upr_info(
    source: str | Path | bytes | IO[bytes],
    *,
    country: str,
    publish: bool = False,
    dry_run: bool = False,
    by=None,
) -> ImportSummary:
    """Import the rows of a UPR Info export about `country` (ISO code or name) in one
    transaction; see the module docstring for the rules. With `dry_run` everything is done and
    then rolled back, so the summary is exactly what a real import would report. `publish`
    publishes the records this import creates; `by` (a user or None) is recorded in the history."""
    state = resolve_country(country)
    mechanism = Mechanism.objects.filter(code=MECHANISM_CODE).first()
    if mechanism is None:
        raise ImporterError(
            _("The UPR mechanism is not in the vocabularies: run `adolat migrate` to load them.")
        )
    summary = ImportSummary(dry_run=dry_run)

    data = read_bytes(source)
    problem = not_a_text_file(data)
    if problem:
        summary.add_error(None, problem)
        return summary
    rows = read_rows(normalise_line_ends(decode(data)), summary)
    if rows is None:
        return summary

    vocab = Vocabularies()
    items: list[Item] = []
    seen: set[str] = set()
    states_in_file: dict[str, int] = {}
    for row in rows:
        code = vocab.state(row["To"]) if row["To"] else None
        if code != state.pk:
            summary.other_rows += 1
            name = row["To"] or "?"
            states_in_file[name] = states_in_file.get(name, 0) + 1
            continue
        item = check_row(row, state.pk, vocab, summary)
        if item is None:
            continue
        if item.key in seen:
            summary.skipped += 1
            continue
        seen.add(item.key)
        items.append(item)

    if not summary.errors and not items:
        others = sorted(states_in_file, key=lambda name: -states_in_file[name])
        summary.add_error(
            None,
            _("The file has no rows for %(state)s (column To). It has rows for: %(states)s.")
            % {"state": state.name, "states": shorten(", ".join(others), 300) or "—"},
        )
    if summary.errors:
        summary.discard_counts()
        return summary

    with transaction.atomic():
        _write(items, country=state, mechanism=mechanism, publish=publish, by=by, summary=summary)
        if summary.errors:
            summary.discard_counts()
        if summary.errors or dry_run:
            transaction.set_rollback(True)
    return summary
