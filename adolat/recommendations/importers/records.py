"""The shape every parser hands to the common writer.

A parser (UPR Info, UHRI, OHCHR matrix, UN document, generic table) only reads its format: it
returns a `ParsedFile` of `ParsedRecommendation`s with values *as found* (state names, theme labels,
SDG labels). The writer resolves them against the vocabularies, reports what it cannot resolve,
matches stored records and writes through the services, the same way for every format.
"""

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class ParseProblem:
    """Something a parser could not read. `where` is how a user finds it: the row as a spreadsheet
    shows it (the header is row 1) or the paragraph number of a document; "" for the file as a whole.
    A recommendation at the same place (its `row`, else its `paragraph`) is reported, not written:
    parsers still return such a recommendation, so that the writer can check the rest of it and
    knows which state it is about (problems in rows about other states are not reported)."""

    where: str
    column: str
    value: str
    message: str  # translated, without the location (the writer prefixes it)


@dataclass(slots=True)  # slots: a file may hold tens of thousands
class ParsedRecommendation:
    where: str  # "row 12", "para. 88.1" — shown in errors, already translated
    text: str
    language: str = "en"  # tg / ru / en
    paragraph: str = ""  # "88.1", "42(b)"; for a paragraph holding several, the same for each
    recommending_states: list[str] = field(default_factory=list)  # names or ISO codes as found
    state_under_review: str = ""  # name or ISO code as found; "" when the file does not say
    position: str | None = None  # a Position value, or None when the source does not say
    position_note: str = ""  # e.g. the state's claim that it is already implemented
    themes: list[str] = field(default_factory=list)  # labels as found
    affected_groups: list[str] = field(default_factory=list)
    sdgs: list[str] = field(default_factory=list)  # "16", "16.3", "16.3 - Promote the rule of law…"
    mechanism: str = ""  # Mechanism.code ("UPR", "CAT"…); "" when the file does not say
    document_symbol: str = ""  # "A/HRC/19/3"
    session: str = ""  # "12" for UPR session 12
    cycle: int | None = None
    date: dt.date | None = None
    comments: str = ""
    cluster: str = ""  # recommendations sharing a non-empty value form a ready-made cluster
    # Added for tables (optional for documents, which leave them at their defaults):
    row: int | None = None  # the row as a spreadsheet shows it (header = row 1); the JSON "row"
    states_under_review: list[str] = field(default_factory=list)  # when a row names several


@dataclass
class ParsedFile:
    format: str  # "upr_info", "uhri", "ohchr_matrix", "un_document", "generic", "adolat_json"
    recommendations: list[ParsedRecommendation] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    document_symbol: str = ""  # when the file names its document once for all rows
    document_title: str = ""
    document_date: dt.date | None = None
    # field name ("text", "recommending_states", "themes"...) → the column header as the file spells
    # it, so the writer's errors name the column the user sees; documents leave it empty.
    columns: dict[str, str] = field(default_factory=dict)

    def problem(self, row: int | None, column: str, value: str, message: str) -> None:
        """Record a problem at a spreadsheet row (None: the file as a whole)."""
        where = "" if row is None else str(row)
        self.problems.append(ParseProblem(where=where, column=column, value=value, message=message))
