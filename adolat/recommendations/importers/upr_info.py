"""The UPR Info database export: CSV (Mac Roman or UTF-8, any line ends) or the original XLS/XLSX
workbook, one recommendation per row.

Columns: `To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session`. `To` is
the state under review, `From` the recommending state(s), `Response` the state's position in UPR
Info's words, `Issue` several comma-separated UPR Info issues, `Session` the UPR session number
(`12`, or `12.0` from a spreadsheet). The export gives no UN symbol nor paragraph number: the
writer files the recommendations under one source document per (UPR, state under review,
session), or under the Working Group report already imported for that review (see `writer`).

What this parser checks (the rest — states, issues, documents — the writer resolves):
- columns are found by name, in any order, whatever their case and surrounding spaces, also when
  a workbook starts with title rows; extra columns are ignored; a repeated column is read as
  `tables` says; `To`, `Text`, `From`, `Response`, `Issue` and `Session` are required;
- every row is returned with the state it is about, so that rows about other states are counted
  and left aside by the writer, their problems unreported;
- an empty text or `From`, a `Response` that is no UPR position and a missing or unreadable
  `Session` are problems of that row, reported with its row number as a spreadsheet shows it.
"""

from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from adolat.recommendations.models import Country, Position

from . import records
from .base import (
    POSITIONS,
    SESSION_YEARS,
    ImporterError,
    ImportSummary,
    document_titles,
    parse_position,
    parse_whole_number,
    read_bytes,
    session_year,
    split_values,
    upr_cycle,
)
from .tables import Columns, TableError, read_table

FORMAT = "upr_info"
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

# Accepted spellings of each column: the export's own, and the longer names of the database's
# web pages that re-saved workbooks carry.
SPELLINGS = {
    "To": ("To", "State under Review", "State under review (SuR)", "SuR"),
    "Text": ("Text", "Recommendation"),
    "From": ("From", "Recommending State", "Recommending States", "Recommending State(s)"),
    "Response": ("Response", "Response to recommendation"),
    "Issue": ("Issue", "Issues"),
    "Session": ("Session", "Session number"),
}

# UPR Info's words for the state's position (kept for callers of the former importer).
RESPONSES = {**POSITIONS, "": Position.PENDING}

__all__ = [
    "COLUMNS",
    "ImporterError",
    "SESSION_YEARS",
    "document_titles",
    "import_upr_info",
    "parse",
    "session_year",
    "upr_cycle",
]


def is_header(cells: list[str]) -> bool:
    return all(name in Columns.find(cells, SPELLINGS) for name in REQUIRED_COLUMNS)


def header_share(cells: list[str]) -> float:
    """The share of the required columns a header names (for recognising a damaged export)."""
    columns = Columns.find(cells, SPELLINGS)
    return sum(1 for name in REQUIRED_COLUMNS if name in columns) / len(REQUIRED_COLUMNS)


def parse(data: bytes, *, filename: str = "", options: dict | None = None) -> records.ParsedFile:
    """Every data row of the export as a ParsedRecommendation (values as found)."""
    parsed = records.ParsedFile(format=FORMAT)

    problem = parsed.problem

    try:
        table = read_table(data, accepts=is_header)
    except TableError as exc:
        problem(exc.row, "", "", exc.message)
        return parsed
    if not table.rows:
        if table.error:
            problem(table.error.row, "", "", table.error.message)
        else:
            problem(1, "", "", _("The file is empty: a UPR Info export starts with a row of column names."))
        return parsed
    start = table.find_header(is_header)
    if start is None:
        number, header = table.rows[0]
        columns = Columns.find(header, SPELLINGS)
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        problem(
            number,
            "",
            "",
            _("This is not a UPR Info export: the columns %(missing)s are missing (found: %(found)s).")
            % {"missing": ", ".join(missing), "found": columns.found()},
        )
        return parsed
    columns = Columns.find(table.rows[start][1], SPELLINGS)
    parsed.columns = {
        "text": columns.spelled["Text"],
        "recommending_states": columns.spelled["From"],
        "position": columns.spelled["Response"],
        "themes": columns.spelled["Issue"],
        "affected_groups": columns.spelled["Issue"],
        "session": columns.spelled["Session"],
        "state_under_review": columns.spelled["To"],
    }
    where = _("row %(row)s")
    read = _Reader(columns, problem, where)
    for number, cells in table.rows[start + 1 :]:
        parsed.recommendations.append(read.record(number, cells))
    if table.error:
        problem(table.error.row, "", "", table.error.message)
    return parsed


class _Reader:
    """Reads the data rows of one export. Rows repeat the same responses, sessions and issue
    cells: each is read once per file (the readers are pure functions of the value)."""

    def __init__(self, columns: Columns, problem, where: str) -> None:
        self.columns = columns
        self.problem = problem
        self.where = where
        self.positions: dict[str, str | None] = {}
        self.sessions: dict[str, int | None] = {}
        self.issues: dict[str, list[str]] = {}
        self.text, self.states, self.response, self.session, self.state = (
            self._cell(name) for name in ("Text", "From", "Response", "Session", "To")
        )
        self.issue_cells = self._cells("Issue")

    def _cell(self, name: str):
        """`columns.value(cells, name)` as a function of the cells; for a column the header names
        once (the usual case), without looking for the first of several."""
        indexes = self.columns.index.get(name, [])
        if len(indexes) == 1:
            (i,) = indexes
            return lambda cells: cells[i].strip() if i < len(cells) else ""
        return lambda cells: self.columns.value(cells, name)

    def _cells(self, name: str):
        """`columns.values(cells, name)` as a function of the cells (see `_cell`)."""
        indexes = self.columns.index.get(name, [])
        if len(indexes) == 1:
            (i,) = indexes

            def values(cells: list[str]) -> list[str]:
                value = cells[i].strip() if i < len(cells) else ""
                return [value] if value else []

            return values
        return lambda cells: self.columns.values(cells, name)

    def record(self, number: int, cells: list[str]) -> records.ParsedRecommendation:
        columns, problem = self.columns, self.problem
        text = self.text(cells)
        if not text:
            problem(number, columns.spelled["Text"], "", _("the recommendation text is empty."))
        states = self.states(cells)
        if not states:
            problem(number, columns.spelled["From"], "", _("no recommending state is given."))

        response = self.response(cells)
        if response not in self.positions:
            self.positions[response] = parse_position(response) if response else Position.PENDING
        position = self.positions[response]
        if position is None:
            problem(
                number,
                columns.spelled["Response"],
                response,
                _(
                    '"%(value)s" is not a UPR position (expected Accepted, Supported, Partially accepted, '
                    "Supported in part, Noted or Pending)."
                )
                % {"value": response},
            )

        raw_session = self.session(cells)
        if raw_session not in self.sessions:
            self.sessions[raw_session] = parse_whole_number(raw_session)
        session = self.sessions[raw_session]
        if not raw_session:
            problem(number, columns.spelled["Session"], "", _("the UPR session number is missing."))
        elif not session:
            problem(
                number,
                columns.spelled["Session"],
                raw_session,
                _('"%(value)s" is not a UPR session number.') % {"value": raw_session},
            )

        issues = []
        for cell in self.issue_cells(cells):
            labels = self.issues.get(cell)
            if labels is None:
                labels = self.issues[cell] = split_values(cell)
            issues += labels
        return records.ParsedRecommendation(
            where=self.where % {"row": number},
            row=number,
            text=text,
            language="en",
            recommending_states=[states] if states else [],
            # A row that does not say which state it is about belongs to none (never to the chosen one).
            state_under_review=self.state(cells) or "?",
            position=position,
            themes=issues,
            mechanism=MECHANISM_CODE,
            session=str(session) if session else "",
            cycle=upr_cycle(session) if session else None,
        )


def resolve_country(value: str) -> Country:
    """The state under review named by an ISO code or any of its names; ImporterError if none."""
    from .writer import resolve_country as resolve

    return resolve(value)


def import_upr_info(
    source: str | Path | bytes | IO[bytes],
    *,
    country: str,
    publish: bool = False,
    dry_run: bool = False,
    by=None,
    document: str = "",
) -> ImportSummary:
    """Import the rows of a UPR Info export about `country` (ISO code or name) in one
    transaction (see `run_import`, which this is with the format fixed)."""
    from . import run_import

    if isinstance(source, str | Path):
        filename = Path(source).name
    else:
        filename = getattr(source, "name", "") or "upr-info.csv"
    return run_import(
        read_bytes(source),
        filename=str(filename),
        format=FORMAT,
        country=country,
        document=document or None,
        dry_run=dry_run,
        publish=publish,
        by=by,
    )
