"""Exports of OHCHR's Universal Human Rights Index (UHRI), CSV or XLSX, one recommendation (or
observation) per row, for any number of states and mechanisms.

Columns (see shared/data/README.md): `Text`, `Countries Concerned`, `Reccomending Body` (the
export's spelling; `Recommending Body` is accepted too), `Document Symbol`, `Themes`,
`Affected Persons`, `Sdgs`, `Document Publication Date` (an Excel serial number such as 46078, or a
date), `UPR Reccomending States`, `UPR Position`, `Type`, `OHCHR Annotation Id`, `UPR Session`
(`36th Session`), `Regions Concerned`, `Recommending Regions`, `Date of publication on UHRI`.

Every value starts with `- `; a cell holding several values has one per line. `Countries
Concerned` may name several states: a row is imported for the chosen state when it is among them.
Bodies are codes (`- CAT`, `- SPT`, `- UPR`, `- CCPR`) or special procedures (`- SR on torture`),
which the writer maps onto mechanisms; themes and affected persons are UHRI labels, mapped through
the `uhri` label mappings; SDGs look like `16 - PEACE, JUSTICE AND STRONG INSTITUTIONS` or
`16.3 - Promote the rule of law…`. The text's language is recognised by its letters (UHRI also
exports in Russian).
"""

from django.utils.translation import gettext as _

from . import records
from .base import guess_language, parse_date, parse_position, parse_whole_number, split_lines, strip_bullet
from .tables import Columns, TableError, read_table

FORMAT = "uhri"

SPELLINGS = {
    "text": ("Text", "Recommendation", "Recommendation/Observation"),
    "countries": ("Countries Concerned", "Country Concerned"),
    "body": ("Reccomending Body", "Recommending Body", "Recommending Bodies", "Reccomending Bodies"),
    "symbol": ("Document Symbol",),
    "themes": ("Themes", "Theme"),
    "groups": ("Affected Persons", "Affected Groups"),
    "sdgs": ("Sdgs", "SDG", "SDG Goals"),
    "date": ("Document Publication Date", "Publication Date"),
    "states": ("UPR Reccomending States", "UPR Recommending States", "UPR Recommending State"),
    "position": ("UPR Position",),
    "session": ("UPR Session",),
}
REQUIRED = ("text", "countries", "body")

# ParsedRecommendation field → column, for the writer's error messages.
FIELDS = {
    "text": "text",
    "state_under_review": "countries",
    "mechanism": "body",
    "document_symbol": "symbol",
    "themes": "themes",
    "affected_groups": "groups",
    "sdgs": "sdgs",
    "date": "date",
    "recommending_states": "states",
    "position": "position",
    "session": "session",
}


def is_header(cells: list[str]) -> bool:
    columns = Columns.find(cells, SPELLINGS)
    return all(name in columns for name in REQUIRED)


def header_share(cells: list[str]) -> float:
    """The share of UHRI's own columns (all but `Text`) a header names."""
    columns = Columns.find(cells, SPELLINGS)
    own = [name for name in SPELLINGS if name != "text"]
    return sum(1 for name in own if name in columns) / len(own)


def parse(data: bytes, *, filename: str = "", options: dict | None = None) -> records.ParsedFile:
    parsed = records.ParsedFile(format=FORMAT)

    problem = parsed.problem

    try:
        table = read_table(data, accepts=is_header)
    except TableError as exc:
        problem(exc.row, "", "", exc.message)
        return parsed
    start = table.find_header(is_header)
    if start is None:
        if table.error:
            problem(table.error.row, "", "", table.error.message)
            return parsed
        number, header = table.rows[0] if table.rows else (1, [])
        if not header:
            problem(1, "", "", _("The file is empty: a UHRI export starts with a row of column names."))
            return parsed
        columns = Columns.find(header, SPELLINGS)
        missing = [SPELLINGS[name][0] for name in REQUIRED if name not in columns]
        problem(
            number,
            "",
            "",
            _("This is not a UHRI export: the columns %(missing)s are missing (found: %(found)s).")
            % {"missing": ", ".join(missing), "found": columns.found()},
        )
        return parsed
    columns = Columns.find(table.rows[start][1], SPELLINGS)
    parsed.columns = {name: columns.spelled[column] for name, column in FIELDS.items() if column in columns}
    for number, cells in table.rows[start + 1 :]:
        parsed.recommendations.append(_record(number, cells, columns, problem))
    if table.error:
        problem(table.error.row, "", "", table.error.message)
    return parsed


def _record(number: int, cells: list[str], columns: Columns, problem) -> records.ParsedRecommendation:
    def one(name: str) -> str:
        return strip_bullet(columns.value(cells, name))

    def many(name: str) -> list[str]:
        return [v for cell in columns.values(cells, name) for v in split_lines(cell)]

    text = one("text")
    if not text:
        problem(number, columns.spelled["text"], "", _("the recommendation text is empty."))
    bodies = many("body")
    if not bodies:
        problem(number, columns.spelled["body"], "", _("no recommending body is given."))

    raw_position = one("position")
    position = parse_position(raw_position) if raw_position else None
    if raw_position and position is None:
        problem(
            number,
            columns.spelled["position"],
            raw_position,
            _('"%(value)s" is not a UPR position (expected Supported, Supported in part, Noted or Pending).')
            % {"value": raw_position},
        )

    raw_session = one("session")
    session = parse_whole_number(raw_session) if raw_session else None
    if raw_session and not session:
        problem(
            number,
            columns.spelled["session"],
            raw_session,
            _('"%(value)s" is not a session number.') % {"value": raw_session},
        )

    raw_date = one("date")
    date = parse_date(raw_date) if raw_date else None
    if raw_date and date is None:
        problem(
            number,
            columns.spelled["date"],
            raw_date,
            _('"%(value)s" is not a date (expected an Excel date number such as 46078, or 2026-02-25).')
            % {"value": raw_date},
        )

    countries = many("countries")
    return records.ParsedRecommendation(
        where=_("row %(row)s") % {"row": number},
        row=number,
        text=text,
        language=guess_language(text),
        recommending_states=many("states"),
        state_under_review=countries[0] if len(countries) == 1 else ("?" if not countries else ""),
        states_under_review=countries if len(countries) > 1 else [],
        position=position,
        themes=many("themes"),
        affected_groups=many("groups"),
        sdgs=many("sdgs"),
        mechanism=bodies[0] if bodies else "",
        document_symbol=one("symbol"),
        session=str(session) if session else "",
        date=date,
    )
