"""OHCHR's "Thematic list of recommendations": the Word matrix (.docx) every state receives after
its UPR review. A pure parser: it returns the recommendations with their values as found (state
names, theme, group and SDG labels); the common writer resolves them and writes.

The format, in the editions met:
- one or more Word tables; a header row names the columns, which are found by their header text,
  never by their place: the recommendation ("Recommendation and recommending State",
  "Recommendation"), the position ("Position of the State under review", "Position", "Response"),
  themes ("Human rights themes and groups of persons", "Full list of themes", "Themes"), affected
  persons ("Affected persons", "Groups of persons"), SDGs ("Relevant SDGs", "SDGs"), comments
  ("Assessment/comments on level of implementation", "Comments"), and where an edition has them,
  separate paragraph-number and recommending-state columns. A table without a header row
  continues the columns of the table before it; a repeated header row is skipped;
- theme rows ("Theme: Ratification of & accession to international instruments") span the row.
  The theme is context for the rows under it: it is added as the first theme of each of them
  when the row does not list it already (or lists no theme at all);
- a recommendation cell: the paragraph number first ("140.7"), the text, the recommending
  state(s) in parentheses at the end ("(Brazil)", "(Brazil, Chile)", "(Maldives) (Portugal)"),
  and a line "Source of Position: A/HRC/59/15/Add.1 - Para.3";
- a cell may hold several kinds of labels under sub-headings ("Groups of Persons:",
  "Affected persons:", "SDGs:", "Themes:"), and multi-value cells put one value a line, each
  starting with "- ".

The document symbol. The recommendations were made in the report of the UPR Working Group
(A/HRC/59/15); "Source of Position" points at the addendum in which the state gave its positions
(A/HRC/59/15/Add.1). `document_symbol` is the Working Group report, derived by cutting "/Add.N"
from the source of position, so that the same recommendation read from the Working Group report
itself, from UHRI or from the matrix lands in one source document; the addendum and its paragraph
are kept, as found, in `position_note` ("Source of position: A/HRC/59/15/Add.1 - Para.3"). When a
symbol has no "/Add." part it is used as it is; `options["document"]` is used when the matrix
gives none.

The running head ("UPR of Slovenia (4th Cycle - 48th Session)") gives the state under review,
the cycle and the session; `options["country"]`, `options["session"]`, `options["cycle"]` are used
when it does not.

Problems (translated, naming the place, the column as headed, the value and the reason): no
Word document, no table with a recognisable header, a row without text, a position that is not
one of the known wordings, a recommendation without recommending state (returned anyway). A
problem's `where` is where the writer finds the record again (records.ParseProblem): the row
number ("12", the header is row 1, also set as the record's `row`) when the matrix is one table,
else the paragraph number ("140.7"; rows of several tables have no single row number), else the
translated "table 2, row 4". "" is the file as a whole. The record's own `where` is the
translated "row 12" or "table 2, row 4".
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from adolat.recommendations.models import Position

from .base import normalise_label, shorten
from .records import ParsedFile, ParsedRecommendation, ParseProblem
from .un_document import clean_state_name, detect_language, split_state_names, trailing_states, upr_cycle

FORMAT = "ohchr_matrix"
MECHANISM_CODE = "UPR"

# Column kinds, recognised from the header text (checked in this order).
PARAGRAPH, STATES, COMMENTS, SDGS, THEMES, GROUPS, RECOMMENDATION, POSITION = (
    "paragraph",
    "states",
    "comments",
    "sdgs",
    "themes",
    "groups",
    "recommendation",
    "position",
)
_COLUMN_PATTERNS = (
    (COMMENTS, r"comment|assessment|level of implementation|remark|notes?\b|status|follow[- ]up"),
    (THEMES, r"theme"),
    (SDGS, r"\bsdgs?\b|sustainable development"),
    (GROUPS, r"affected persons|groups? of persons|persons affected|affected groups"),
    (RECOMMENDATION, r"recommendation(?!s? no)"),
    (STATES, r"recommending states?|^states?$|^recommending"),
    (POSITION, r"position|response|state under review"),
    (PARAGRAPH, r"^(?:no\.?|n°|#|para(?:graph)?\.?|rec(?:ommendation)?s?\.? no\.?)$"),
)

_SUBHEADINGS = (
    (SDGS, re.compile(r"^(?:relevant\s+)?(?:sdgs?|sustainable development goals?)\s*:\s*(.*)$", re.I)),
    (
        GROUPS,
        re.compile(
            r"^(?:affected persons|groups? of persons|persons affected|affected groups)\s*:\s*(.*)$", re.I
        ),
    ),
    (THEMES, re.compile(r"^(?:human rights\s+)?themes?\s*:\s*(.*)$", re.I)),
)
_SOURCE = re.compile(r"source\s+of\s+(?:the\s+)?position\s*:?\s*(.*)$", re.IGNORECASE)
_SYMBOL = re.compile(r"\b([A-Z]{1,8}(?:/[A-Z0-9][A-Za-z0-9.\-]*){2,})")
_PARA_NUMBER = re.compile(
    r"^\s*(?:rec(?:ommendation)?\.?\s*(?:no\.?\s*)?)?(\d{1,3}(?:\.\d{1,3})+|\d{1,3}\s*\([a-z]{1,3}\))\.?(?=\s|$)",
    re.IGNORECASE,
)
_POSITION_LINE = re.compile(r"^\s*position(?:\s+of\s+the\s+state)?\s*:\s*(\S.*)$", re.IGNORECASE)
_THEME_ROW = re.compile(r"^\s*(?:theme|thème|тема)\s*:\s*(.+)$", re.IGNORECASE | re.DOTALL)
_RUNNING_HEAD = re.compile(
    r"UPR\s+of\s+(?P<state>.+?)\s*\(\s*(?P<cycle>\d{1,2})\s*(?:st|nd|rd|th)?\s+cycle\s*[-–—,;]\s*"
    r"(?P<session>\d{1,3})\s*(?:st|nd|rd|th)?\s+session\s*\)",
    re.IGNORECASE,
)
_SESSION_ONLY = re.compile(r"\b(\d{1,3})\s*(?:st|nd|rd|th)\s+session\b", re.IGNORECASE)

_POSITIONS = {
    "supported": Position.SUPPORTED,
    "support": Position.SUPPORTED,
    "accepted": Position.SUPPORTED,
    "enjoys the support": Position.SUPPORTED,
    "supported implemented": Position.SUPPORTED,
    "supported already implemented": Position.SUPPORTED,
    "поддержана": Position.SUPPORTED,
    "поддержано": Position.SUPPORTED,
    "noted": Position.NOTED,
    "not supported": Position.NOTED,
    "rejected": Position.NOTED,
    "not accepted": Position.NOTED,
    "did not enjoy the support": Position.NOTED,
    "принята к сведению": Position.NOTED,
    "принято к сведению": Position.NOTED,
    "supported in part": Position.SUPPORTED_IN_PART,
    "partially supported": Position.SUPPORTED_IN_PART,
    "partly supported": Position.SUPPORTED_IN_PART,
    "partially accepted": Position.SUPPORTED_IN_PART,
    "supported noted": Position.SUPPORTED_IN_PART,
    "supported partially": Position.SUPPORTED_IN_PART,
    "частично поддержана": Position.SUPPORTED_IN_PART,
    "pending": Position.PENDING,
    "will be examined": Position.PENDING,
    "under consideration": Position.PENDING,
    "not applicable": Position.NOT_APPLICABLE,
}


def position_value(text: str) -> str | None:
    """ "Supported" -> "supported", "Partially supported" -> "supported_in_part"; None when not
    known."""
    key = " ".join(re.sub(r"[^\w]+", " ", normalise_label(text)).split())
    found = _POSITIONS.get(key)
    if found is None:
        # "Noted (see para. 5)", "Supported - already implemented": the wording, then a remark.
        for wording in sorted(_POSITIONS, key=len, reverse=True):
            if key.startswith(wording + " "):
                found = _POSITIONS[wording]
                break
    return found.value if found else None


def column_kind(header: str) -> str | None:
    text = normalise_label(header)
    if not text:
        return None
    for kind, pattern in _COLUMN_PATTERNS:
        if re.search(pattern, text):
            return kind
    return None


def document_of(source: str) -> str:
    """The Working Group report a position source points into: "A/HRC/59/15/Add.1 - Para.3" ->
    "A/HRC/59/15"; "" when the text names no UN symbol."""
    match = _SYMBOL.search(source or "")
    if not match:
        return ""
    symbol = match.group(1).rstrip(".-")
    return re.split(r"/Add\.?\s*\d*", symbol, maxsplit=1, flags=re.IGNORECASE)[0]


def cell_values(text: str, default: str) -> dict[str, list[str]]:
    """The labels of a cell by kind: lines starting with "- " (or "• ") are values; sub-headings
    ("SDGs:", "Affected persons:", "Groups of Persons:") switch the kind."""
    values: dict[str, list[str]] = {}
    kind = default
    for raw in (text or "").split("\n"):
        line = " ".join(raw.split())
        if not line:
            continue
        heading = next(((k, m) for k, pattern in _SUBHEADINGS if (m := pattern.match(line))), None)
        if heading:
            kind, match = heading[0], heading[1]
            line = match.group(1).strip()
            if not line:
                continue
        value = re.sub(r"^(?:[-–—•▪·*]\s*)+", "", line).strip()
        if value and value not in values.setdefault(kind, []):
            values[kind].append(value)
    return values


@dataclass
class _Columns:
    kinds: dict[int, str]  # grid column -> kind
    headers: dict[int, str]  # grid column -> header text as found

    def header(self, kind: str) -> str:
        for index, found in self.kinds.items():
            if found == kind:
                return self.headers[index]
        return kind

    def has(self, kind: str) -> bool:
        return kind in self.kinds.values()


@dataclass
class _Context:
    state: str = ""
    cycle: int | None = None
    session: str = ""
    title: str = ""
    theme: str = ""
    symbols: set[str] = field(default_factory=set)


def _row_cells(row) -> list:
    """The row's cells by grid column (a merged cell repeated for each column it spans)."""
    try:
        before = row.grid_cols_before
    except AttributeError:
        before = 0
    return [None] * before + list(row.cells)


def _cell_text(cell) -> str:
    return "\n".join(p.text for p in cell.paragraphs) if cell is not None else ""


def _header_columns(texts: list[str]) -> _Columns | None:
    """The columns when this row is a header row: every filled cell names a known column, one of
    them the recommendation, and none looks like data (a paragraph number, a source of
    position)."""
    kinds, headers = {}, {}
    for index, text in enumerate(texts):
        if not text.strip():
            continue
        if len(text) > 120 or _PARA_NUMBER.match(text) or _SOURCE.search(text):
            return None
        kind = column_kind(text)
        if kind is None:
            return None
        kinds[index] = kind
        headers[index] = " ".join(text.split())
    found = set(kinds.values())
    if RECOMMENDATION in found and len(found) >= 2:
        return _Columns(kinds, headers)
    return None


def _running_head(document, context: _Context) -> None:
    texts = []
    for section in document.sections:
        for part in (section.first_page_header, section.header, section.even_page_header):
            try:
                texts.extend(p.text for p in part.paragraphs)
                texts.extend(_cell_text(c) for t in part.tables for r in t.rows for c in r.cells)
            except (AttributeError, ValueError):
                continue
    texts.extend(p.text for p in document.paragraphs[:20])
    for text in texts:
        match = _RUNNING_HEAD.search(text)
        if match:
            context.state = " ".join(match.group("state").split())
            context.cycle = int(match.group("cycle"))
            context.session = str(int(match.group("session")))
            parts = [
                re.sub(r"\*+$", "", p).strip()
                for p in re.split(r"\t+|\s{3,}", text)
                if p.strip() and not re.match(r"^page\s+\d+", p.strip(), re.IGNORECASE)
            ]
            context.title = " — ".join(parts)
            return
    for text in texts:
        match = _SESSION_ONLY.search(text)
        if match and not context.session:
            context.session = str(int(match.group(1)))
        if not context.title and re.search(r"thematic list|list of recommendations", text, re.IGNORECASE):
            context.title = " ".join(re.sub(r"\*+", "", text).split())


def _problem(where: str, column: str, value: str, message: str) -> ParseProblem:
    return ParseProblem(where=where, column=column, value=shorten(value), message=message)


def parse(data: bytes, *, filename: str = "", options: dict | None = None) -> ParsedFile:
    """Read an OHCHR thematic matrix. Never raises for what the file holds: what cannot be read is
    reported in `problems`."""
    options = options or {}
    result = ParsedFile(format=FORMAT)
    file_where = ""  # the file as a whole
    if not data:
        result.problems.append(_problem(file_where, "", filename, _("The file is empty.")))
        return result
    try:
        import docx

        document = docx.Document(io.BytesIO(bytes(data)))
        tables = list(document.tables)
    except Exception as error:  # python-docx raises many kinds of errors on foreign files
        result.problems.append(
            _problem(
                file_where,
                "",
                filename,
                _("This is not a Word document (.docx) that can be read (%(error)s).")
                % {"error": shorten(str(error), 120)},
            )
        )
        return result

    context = _Context()
    with contextlib.suppress(Exception):  # the running head is a nicety; a damaged one is no error
        _running_head(document, context)
    context.state = context.state or str(options.get("country") or "")
    context.session = context.session or str(options.get("session") or "")
    if context.cycle is None:
        try:
            context.cycle = int(options["cycle"]) if options.get("cycle") else None
        except (TypeError, ValueError):
            context.cycle = None
    if context.cycle is None and context.session.isdigit():
        context.cycle = upr_cycle(int(context.session))

    columns: _Columns | None = None
    seen: dict[tuple[str, str], ParsedRecommendation] = {}
    many_tables = len(tables) > 1
    for table_number, table in enumerate(tables, start=1):
        try:
            rows = list(table.rows)
        except Exception:  # noqa: S112 — a malformed table; the others may still be read
            continue
        for row_number, row in enumerate(rows, start=1):
            where = (
                _("table %(table)s, row %(row)s") % {"table": table_number, "row": row_number}
                if many_tables
                else _("row %(row)s") % {"row": row_number}
            )
            try:
                cells = _row_cells(row)
            except Exception:  # noqa: S112 — a malformed row
                continue
            texts = [_cell_text(c) for c in cells]
            header = _header_columns(texts)
            if header:
                columns = header
                continue
            if not any(t.strip() for t in texts):
                continue
            distinct = {id(c._tc) for c in cells if c is not None}
            filled = [t for t in texts if t.strip()]
            theme = _THEME_ROW.match(filled[0]) if filled else None
            if len(distinct) == 1 or (theme and len(set(filled)) == 1):
                # A row spanning the table: a theme ("Theme: ..."); before the header, a title.
                if theme or columns is not None:
                    context.theme = " ".join((theme.group(1) if theme else filled[0]).split())
                elif not context.title:
                    context.title = " ".join(filled[0].split())
                continue
            if columns is None:
                continue
            record = _read_row(
                result, columns, cells, texts, where, None if many_tables else row_number, context, options
            )
            if record is None:
                continue
            if not many_tables:
                record.row = row_number
            key = (record.paragraph, normalise_label(record.text))
            if record.paragraph and key in seen:
                _merge(seen[key], record)  # the same recommendation listed under another theme
                continue
            seen[key] = record
            result.recommendations.append(record)

    if columns is None:
        result.problems.append(
            _problem(
                file_where,
                _("header"),
                filename,
                _(
                    "No table with a header naming the recommendation column (such as "
                    "“Recommendation and recommending State”) was found: is this an OHCHR thematic "
                    "list of recommendations?"
                ),
            )
        )
    symbol = next(iter(context.symbols)) if len(context.symbols) == 1 else ""
    result.document_symbol = symbol or str(options.get("document") or "")
    if not symbol and result.document_symbol:
        for record in result.recommendations:
            record.document_symbol = record.document_symbol or result.document_symbol
    result.document_title = context.title
    if not options.get("language") and result.recommendations:
        language = detect_language(" ".join(r.text for r in result.recommendations)[:20000])
        for record in result.recommendations:
            record.language = language
    if columns is not None:
        result.columns = _column_names(columns)
    return result


def _column_names(columns: _Columns) -> dict[str, str]:
    """Field name -> the header of the column it is read from, as the file spells it."""
    names = {
        "text": columns.header(RECOMMENDATION),
        "paragraph": columns.header(PARAGRAPH) if columns.has(PARAGRAPH) else columns.header(RECOMMENDATION),
        "recommending_states": (
            columns.header(STATES) if columns.has(STATES) else columns.header(RECOMMENDATION)
        ),
        "document_symbol": columns.header(RECOMMENDATION),
    }
    fallback = next((columns.header(k) for k in (THEMES, GROUPS, SDGS) if columns.has(k)), "")
    for field_name, kind in (
        ("position", POSITION),
        ("themes", THEMES),
        ("affected_groups", GROUPS),
        ("sdgs", SDGS),
        ("comments", COMMENTS),
    ):
        if columns.has(kind):
            names[field_name] = columns.header(kind)
        elif kind in (THEMES, GROUPS, SDGS) and fallback:
            names[field_name] = fallback  # read from sub-headings of another column
    return names


def _merge(kept: ParsedRecommendation, other: ParsedRecommendation) -> None:
    for name in ("themes", "affected_groups", "sdgs"):
        values = getattr(kept, name)
        values.extend(v for v in getattr(other, name) if v not in values)


def _read_row(
    result: ParsedFile,
    columns: _Columns,
    cells: list,
    texts: list[str],
    where: str,
    row_number: int | None,
    context: _Context,
    options: dict,
) -> ParsedRecommendation | None:
    by_kind: dict[str, list[str]] = {}
    taken: set[tuple[int, str]] = set()
    for index, kind in sorted(columns.kinds.items()):
        cell = cells[index] if index < len(cells) else None
        if cell is None or (id(cell._tc), kind) in taken:
            continue  # a cell spanning several columns of one kind counts once
        taken.add((id(cell._tc), kind))
        by_kind.setdefault(kind, []).append(texts[index])
    recommendation_header = columns.header(RECOMMENDATION)

    # The recommendation cell: number, text, states, and the source of position.
    source = ""
    lines = []
    position_lines = []
    recommendation_cell = "\n".join(by_kind.get(RECOMMENDATION, []))
    for line in recommendation_cell.split("\n"):
        match = _SOURCE.search(line)
        if match:
            source = source or " ".join(match.group(1).split())
            before = line[: match.start()].strip()
            if before:
                lines.append(before)
            continue
        inline = _POSITION_LINE.match(line)
        if inline and not columns.has(POSITION):
            position_lines.append(" ".join(inline.group(1).split()))  # "Position: Supported"
            continue
        lines.append(line)
    for line in "\n".join(by_kind.get(POSITION, [])).split("\n"):
        match = _SOURCE.search(line)
        if match:
            source = source or " ".join(match.group(1).split())
        elif line.strip():
            position_lines.append(" ".join(line.split()))
    text = "\n".join(" ".join(line.split()) for line in lines).strip()
    if not text:
        result.problems.append(
            _problem(
                str(row_number) if row_number else where,
                recommendation_header,
                "",
                _("The recommendation cell is empty."),
            )
        )
        return None

    paragraph = ""
    if by_kind.get(PARAGRAPH):
        paragraph = " ".join(" ".join(by_kind[PARAGRAPH]).split()).rstrip(".")
    match = _PARA_NUMBER.match(text)
    if match:
        paragraph = paragraph or re.sub(r"\s+", "", match.group(1))
        text = text[match.end() :].strip()

    # Problems name the row (one table) or else the paragraph number: where the writer finds the
    # record again (records.ParseProblem).
    problem_where = str(row_number) if row_number else (paragraph or where)
    body, states = trailing_states(text)
    text = "\n".join(" ".join(line.split()) for line in body.split("\n") if line.strip()).strip(" ;")
    for value in by_kind.get(STATES, []):
        for line in value.split("\n"):
            for name in split_state_names(re.sub(r"^[-–•]\s*", "", line.strip())):
                if clean_state_name(name) and name not in states:
                    states.append(name)
    if not text:
        result.problems.append(
            _problem(
                problem_where,
                recommendation_header,
                recommendation_cell,
                _("The recommendation has no text before its states."),
            )
        )
        return None
    if not states:
        result.problems.append(
            _problem(
                problem_where,
                recommendation_header,
                text,
                _(
                    "No recommending state was found: the recommendation should end with the "
                    "recommending state(s) in parentheses, as in “(Brazil);”."
                ),
            )
        )

    position = None
    if position_lines or columns.has(POSITION):
        found = position_lines[0] if position_lines else ""
        position = position_value(found) if found else None
        if found and position is None:
            result.problems.append(
                _problem(
                    problem_where,
                    columns.header(POSITION) if columns.has(POSITION) else recommendation_header,
                    found,
                    _(
                        "Unknown position: expected “Supported”, “Noted”, “Supported in part” or "
                        "“Partially supported”."
                    ),
                )
            )

    labels: dict[str, list[str]] = {}
    for kind in (THEMES, GROUPS, SDGS):
        for value in by_kind.get(kind, []):
            for found_kind, found in cell_values(value, kind).items():
                bucket = labels.setdefault(found_kind, [])
                bucket.extend(v for v in found if v not in bucket)
    themes = labels.get(THEMES, [])
    if context.theme and normalise_label(context.theme) not in {normalise_label(t) for t in themes}:
        themes.insert(0, context.theme)

    symbol = document_of(source) if source else ""
    if symbol:
        context.symbols.add(symbol)
    position_note = _("Source of position: %(source)s") % {"source": source} if source else ""
    comments = "\n".join(
        " ".join(line.split())
        for value in by_kind.get(COMMENTS, [])
        for line in value.split("\n")
        if line.strip()
    )
    return ParsedRecommendation(
        where=where,
        text=text,
        language=str(options.get("language") or "en"),
        paragraph=paragraph,
        recommending_states=states,
        state_under_review=context.state,
        position=position,
        position_note=position_note,
        themes=themes,
        affected_groups=labels.get(GROUPS, []),
        sdgs=labels.get(SDGS, []),
        mechanism=str(options.get("mechanism") or MECHANISM_CODE),
        document_symbol=symbol or str(options.get("document") or ""),
        session=context.session,
        cycle=context.cycle,
        comments=comments,
    )
