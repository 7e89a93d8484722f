"""Any table of recommendations (CSV, XLSX, XLS), read through a column mapping the user gives:
`{"text": "Recommendation", "states": "From", "position": "Response"}` (on the command line
`--map text=Recommendation --map states=From --map position=Response`).

The fields a column can be mapped onto are in `FIELDS`; only `text` (or one of `text_en`,
`text_ru`, `text_tg`) is required. Columns are named as in the header row, whatever their case and
spaces; the header may come after a few title rows. Multi-valued cells (states, themes, groups,
SDGs) hold one value per line or separate them with semicolons; a leading `- ` is dropped.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import records
from .base import guess_language, parse_date, parse_position, parse_whole_number, split_lines, strip_bullet
from .tables import Columns, TableError, column_key, read_table

FORMAT = "generic"

# Field → what it holds (shown by `adolat import --help` and the web form).
FIELDS = {
    "text": gettext_lazy("the recommendation text (its language is recognised by its letters)"),
    "text_en": gettext_lazy("the text, in English"),
    "text_ru": gettext_lazy("the text, in Russian"),
    "text_tg": gettext_lazy("the text, in Tajik"),
    "language": gettext_lazy("the text's language: en, ru or tg"),
    "states": gettext_lazy("the recommending state(s)"),
    "country": gettext_lazy("the state under review (rows about other states are left aside)"),
    "position": gettext_lazy("the state's position: supported, supported in part, noted, pending…"),
    "paragraph": gettext_lazy("the paragraph number in the source document (88.1, 42(b))"),
    "document": gettext_lazy("the UN symbol of the source document (A/HRC/19/3)"),
    "session": gettext_lazy("the session number (UPR session 12)"),
    "cycle": gettext_lazy("the UPR cycle"),
    "date": gettext_lazy("the document's date"),
    "mechanism": gettext_lazy("the mechanism: UPR, CAT, CCPR, SPT, SP… (UPR when states are given)"),
    "themes": gettext_lazy("themes (labels as in the UHRI or UPR Info, or Adolat's own names)"),
    "groups": gettext_lazy("affected groups of persons"),
    "sdgs": gettext_lazy("SDG goals or targets (16, 16.3)"),
    "cluster": gettext_lazy("a value shared by recommendations that form one cluster"),
    "comments": gettext_lazy("comments (read, not stored)"),
}
TEXT_FIELDS = ("text", "text_en", "text_ru", "text_tg")
LANGUAGES = {
    "en": "en",
    "english": "en",
    "английский": "en",
    "англисӣ": "en",
    "ru": "ru",
    "russian": "ru",
    "русский": "ru",
    "русӣ": "ru",
    "tg": "tg",
    "tajik": "tg",
    "таджикский": "tg",
    "тоҷикӣ": "tg",
}
# ParsedRecommendation field → mapping field, for the writer's messages.
RECORD_FIELDS = {
    "state_under_review": "country",
    "recommending_states": "states",
    "position": "position",
    "themes": "themes",
    "affected_groups": "groups",
    "sdgs": "sdgs",
    "mechanism": "mechanism",
    "document_symbol": "document",
    "session": "session",
    "date": "date",
    "paragraph": "paragraph",
}


def parse_mapping(items) -> dict[str, str]:
    """`["text=Recommendation", "states=From"]` (or a dict) as {field: column}; ValueError with a
    translated message for a malformed item or an unknown field."""
    if isinstance(items, dict):
        pairs = list(items.items())
    else:
        pairs = []
        for item in items or []:
            target, sep, column = str(item).partition("=")
            if not sep or not target.strip() or not column.strip():
                raise ValueError(
                    _('"%(value)s" is not a column mapping: write FIELD=COLUMN, such as text=Recommendation.')
                    % {"value": item}
                )
            pairs.append((target, column))
    mapping = {}
    for target, column in pairs:
        target = target.strip().lower()
        if target not in FIELDS:
            raise ValueError(
                _('"%(value)s" is not a field of the column mapping (accepted: %(fields)s).')
                % {"value": target, "fields": ", ".join(FIELDS)}
            )
        mapping[target] = str(column).strip()
    return mapping


def parse(data: bytes, *, filename: str = "", options: dict | None = None) -> records.ParsedFile:
    parsed = records.ParsedFile(format=FORMAT)

    problem = parsed.problem

    try:
        mapping = parse_mapping((options or {}).get("mapping") or {})
    except ValueError as exc:
        problem(None, "", "", str(exc))
        return parsed
    texts = [name for name in TEXT_FIELDS if name in mapping]
    if len(texts) != 1:
        problem(
            None,
            "",
            "",
            _(
                "The column mapping must name the column of the text once: text=COLUMN (or text_en, text_ru, "
                "text_tg)."
            ),
        )
        return parsed
    spellings = {name: (column,) for name, column in mapping.items()}

    def is_header(cells: list[str]) -> bool:
        return all(name in Columns.find(cells, spellings) for name in mapping)

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
        if not table.rows:
            problem(1, "", "", _("The file is empty: a table starts with a row of column names."))
            return parsed
        number, header = table.rows[0]
        columns = Columns.find(header, spellings)
        missing = [mapping[name] for name in mapping if name not in columns]
        problem(
            number,
            "",
            "",
            _("The columns %(missing)s named in the column mapping are not in the file (found: %(found)s).")
            % {"missing": ", ".join(missing), "found": columns.found()},
        )
        return parsed
    columns = Columns.find(table.rows[start][1], spellings)
    text_field = texts[0]
    parsed.columns = {"text": columns.spelled[text_field]}
    for record_field, name in RECORD_FIELDS.items():
        if name in columns:
            parsed.columns[record_field] = columns.spelled[name]
    for number, cells in table.rows[start + 1 :]:
        parsed.recommendations.append(_record(number, cells, columns, text_field, problem))
    if table.error:
        problem(table.error.row, "", "", table.error.message)
    return parsed


def _record(number, cells, columns: Columns, text_field: str, problem) -> records.ParsedRecommendation:
    def one(name: str) -> str:
        return strip_bullet(columns.value(cells, name)) if name in columns else ""

    def many(name: str) -> list[str]:
        return [v for cell in columns.values(cells, name) for v in split_lines(cell, semicolons=True)]

    def column(name: str) -> str:
        return columns.spelled.get(name, name)

    text = columns.value(cells, text_field)
    if not text:
        problem(number, column(text_field), "", _("the recommendation text is empty."))

    language = text_field.removeprefix("text_") if text_field != "text" else ""
    raw_language = one("language")
    if raw_language:
        language = LANGUAGES.get(column_key(raw_language)) or LANGUAGES.get(raw_language.casefold(), "")
        if not language:
            problem(
                number,
                column("language"),
                raw_language,
                _('"%(value)s" is not a language (expected en, ru or tg).') % {"value": raw_language},
            )
    language = language or guess_language(text)

    raw_position = one("position")
    position = parse_position(raw_position) if raw_position else None
    if raw_position and position is None:
        problem(
            number,
            column("position"),
            raw_position,
            _('"%(value)s" is not a position (expected supported, supported in part, noted or pending).')
            % {"value": raw_position},
        )

    raw_session = one("session")
    session = parse_whole_number(raw_session) if raw_session else None
    if raw_session and not session:
        problem(
            number,
            column("session"),
            raw_session,
            _('"%(value)s" is not a session number.') % {"value": raw_session},
        )
    raw_cycle = one("cycle")
    cycle = parse_whole_number(raw_cycle) if raw_cycle else None
    if raw_cycle and not cycle:
        problem(
            number,
            column("cycle"),
            raw_cycle,
            _('"%(value)s" is not a UPR cycle number.') % {"value": raw_cycle},
        )
    raw_date = one("date")
    date = parse_date(raw_date) if raw_date else None
    if raw_date and date is None:
        problem(number, column("date"), raw_date, _('"%(value)s" is not a date.') % {"value": raw_date})

    countries = many("country")
    return records.ParsedRecommendation(
        where=_("row %(row)s") % {"row": number},
        row=number,
        text=text,
        language=language,
        paragraph=one("paragraph"),
        recommending_states=many("states"),
        state_under_review=countries[0] if len(countries) == 1 else "",
        states_under_review=countries if len(countries) > 1 else [],
        position=position,
        themes=many("themes"),
        affected_groups=many("groups"),
        sdgs=many("sdgs"),
        mechanism=one("mechanism"),
        document_symbol=one("document"),
        session=str(session) if session else "",
        cycle=cycle,
        date=date,
        comments=columns.value(cells, "comments"),
        cluster=one("cluster"),
    )
