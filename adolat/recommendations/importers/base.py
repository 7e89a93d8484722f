"""What every importer shares: the summary it returns, how a file's bytes become text, how values
are read (numbers, dates, positions, UPR sessions), and the natural key that recognises a
recommendation across imports."""

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from adolat.recommendations.models import Position


class ImporterError(ValueError):
    """The import cannot start (an unknown state under review, vocabularies not loaded): nothing
    about the file's rows can be said. Problems in the file itself go into the summary instead."""


@dataclass
class ImportSummary:
    """What an import did, or, when `errors` is not empty, why it wrote nothing.

    `skipped` counts rows repeating an earlier row of the same file (same natural key). Rows about
    other states than the one imported are not counted there but in `other_rows`, which is not part
    of `as_dict()`: a multi-state export is normal, not something to fix.
    """

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[dict] = field(default_factory=list)
    other_rows: int = 0
    dry_run: bool = False
    # Not part of `as_dict()` (the JSON summary is fixed); shown by the command and the web page.
    format: str = ""
    invalid: int = 0  # recommendations left out for their errors (with --skip-invalid)
    near_matches: int = 0  # created records listed as near matches of stored ones
    clusters: int = 0  # ready-made clusters created or completed
    documents: list[str] = field(default_factory=list)  # names of the source documents written to
    unknown_labels: Counter = field(default_factory=Counter)  # (source, label) → rows naming it
    warnings: list[str] = field(default_factory=list)
    written: bool = False  # something was saved (false after a dry run or a failed import)

    def add_error(self, row: int | None, message: str) -> None:
        """`row` is the row as a spreadsheet shows it (the header is row 1); None when the error is
        about the file as a whole."""
        self.errors.append({"row": row, "message": str(message)})

    @property
    def ok(self) -> bool:
        return not self.errors

    def discard_counts(self) -> None:
        """Nothing was written after all: the counts would claim otherwise."""
        self.created = self.updated = self.unchanged = self.skipped = 0
        self.near_matches = self.clusters = 0

    @property
    def imported(self) -> int:
        """Recommendations the file brought in step (created, updated or already so)."""
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "errors": [{"row": e["row"], "message": e["message"]} for e in self.errors],
        }


# --- Reading ------------------------------------------------------------------------------------

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def read_bytes(source: str | Path | bytes | bytearray | IO[bytes]) -> bytes:
    """The raw content of a path, a file object opened in binary mode, or bytes."""
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    return source.read()


def decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), UTF-16 when it has its mark, and otherwise Mac
    Roman, the encoding UPR Info's database exports are written in. Mac Roman decodes any byte, so
    this never fails; a file in yet another encoding shows odd letters, never a crash."""
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("mac_roman")


def normalise_line_ends(text: str) -> str:
    """CR-only (old Mac), CRLF (Windows) and LF line ends all become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(source: str | Path | bytes | bytearray | IO[bytes]) -> str:
    """A file's text, decoded (see `decode`) with its line ends normalised to LF."""
    return normalise_line_ends(decode(read_bytes(source)))


_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "xlsx"),
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"%PDF", "pdf"),
)


def not_a_text_file(data: bytes) -> str | None:
    """A translated explanation when `data` is plainly a spreadsheet or a PDF rather than text."""
    for signature, kind in _BINARY_SIGNATURES:
        if data.startswith(signature):
            if kind == "pdf":
                return _("This is a PDF document, not a CSV file.")
            return _("This is an Excel workbook, not a CSV file: save it as CSV (UTF-8) and import that.")
    if b"\x00" in data[:4096] and not data.startswith(_UTF16_BOMS):
        return _("This is not a text file.")
    return None


# --- Values -------------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"^(?:session\s*)?(\d+)(?:[.,]0+)?(?:\s*(?:st|nd|rd|th))?(?:\s*session)?$", re.IGNORECASE
)


def parse_whole_number(value: str) -> int | None:
    """A whole number as spreadsheets and exports write it: `12`, ` 12 `, `12.0` (a spreadsheet
    that took the column for decimals), `12th session`. None for anything else."""
    match = _NUMBER.match(" ".join((value or "").split()))
    return int(match.group(1)) if match else None


def normalise_label(value: str) -> str:
    """How labels of outside vocabularies are compared: no case, single spaces."""
    return " ".join(unicodedata.normalize("NFC", value or "").casefold().split())


def split_values(value: str) -> list[str]:
    """The values of a multi-valued cell (comma-, semicolon- or line-separated), without blanks."""
    return [part.strip() for part in re.split(r"[,;\n]", value or "") if part.strip()]


_BULLET = re.compile(r"^\s*[-–—•*]\s+")


def split_lines(value: str, *, semicolons: bool = False) -> list[str]:
    """The values of a cell holding one value per line, as UHRI exports and OHCHR matrices write
    them (`- Women & girls`): the bullet is dropped; a line without a bullet continues the value
    before it when the cell uses bullets. With `semicolons`, `;` separates values too."""
    lines = [line.strip() for line in (value or "").split("\n")]
    bulleted = any(_BULLET.match(line) for line in lines)
    values: list[str] = []
    for line in lines:
        if not line:
            continue
        if bulleted and not _BULLET.match(line) and values:
            values[-1] = f"{values[-1]} {line}"
            continue
        values.append(_BULLET.sub("", line).strip())
    if semicolons:
        values = [part.strip() for v in values for part in v.split(";")]
    return [v for v in values if v]


def strip_bullet(value: str) -> str:
    """A single-valued cell without the bullet an export put before it (`- CAT` → `CAT`); the lines
    of a longer text are kept."""
    lines = (value or "").strip().split("\n")
    lines[0] = _BULLET.sub("", lines[0])
    return "\n".join(line.rstrip() for line in lines).strip()


# Excel counts days from 1899-12-30 (its 1900 leap-year bug included); serials this small or large
# are no publication date of a UN document.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d %B %Y", "%d %b %Y", "%B %d, %Y")


def parse_date(value: str) -> dt.date | None:
    """A date as exports write it: an Excel serial number (`46078`, `46078.0`), ISO (`2026-02-25`,
    with or without a time), `25/02/2026`, `25.02.2026`, `25 February 2026`. None if unreadable."""
    value = " ".join((value or "").split())
    if not value:
        return None
    number = re.fullmatch(r"(\d{4,6})(?:\.\d+)?", value)
    if number:
        serial = int(number.group(1))
        if 1000 <= serial <= 2958465 and not re.fullmatch(r"(19|20)\d\d", value):
            return _EXCEL_EPOCH + dt.timedelta(days=serial)
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value[:40], fmt).date()  # noqa: DTZ007 — a date, no time zone
        except ValueError:
            continue
    iso = re.match(r"(\d{4})-(\d{2})-(\d{2})[T ]", value)
    if iso:
        try:
            return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            return None
    return None


# The words sources use for the state's position on a UPR recommendation, compared without case,
# hyphens or repeated spaces. "Accepted" is UPR Info's older word for supported, "Rejected" its
# older word for what the UN now records as noted; the Working Group's report says a
# recommendation "will be examined" (pending) or is "already implemented" (supported).
POSITIONS = {
    "accepted": Position.SUPPORTED,
    "accept": Position.SUPPORTED,
    "supported": Position.SUPPORTED,
    "support": Position.SUPPORTED,
    "enjoys the support": Position.SUPPORTED,
    "implemented": Position.SUPPORTED,
    "already implemented": Position.SUPPORTED,
    "partially accepted": Position.SUPPORTED_IN_PART,
    "partially supported": Position.SUPPORTED_IN_PART,
    "accepted in part": Position.SUPPORTED_IN_PART,
    "supported in part": Position.SUPPORTED_IN_PART,
    "supported/noted": Position.SUPPORTED_IN_PART,
    "supported / noted": Position.SUPPORTED_IN_PART,
    "noted": Position.NOTED,
    "rejected": Position.NOTED,
    "reject": Position.NOTED,
    "not accepted": Position.NOTED,
    "not supported": Position.NOTED,
    "did not enjoy the support": Position.NOTED,
    "pending": Position.PENDING,
    "consider": Position.PENDING,
    "under consideration": Position.PENDING,
    "will be examined": Position.PENDING,
    "not applicable": Position.NOT_APPLICABLE,
    "n/a": Position.NOT_APPLICABLE,
    "поддержана": Position.SUPPORTED,
    "поддержано": Position.SUPPORTED,
    "поддерживается": Position.SUPPORTED,
    "принята": Position.SUPPORTED,
    "частично поддержана": Position.SUPPORTED_IN_PART,
    "принята к сведению": Position.NOTED,
    "принято к сведению": Position.NOTED,
    "отклонена": Position.NOTED,
    "на рассмотрении": Position.PENDING,
    "дастгирӣ шуд": Position.SUPPORTED,
    "қисман дастгирӣ шуд": Position.SUPPORTED_IN_PART,
    "ба назар гирифта шуд": Position.NOTED,
}


def parse_position(value: str) -> str | None:
    """The Position a source's word for it stands for (its value, such as "supported", is taken
    too); None when the word is not one."""
    word = " ".join((value or "").replace("-", " ").replace("_", " ").casefold().split()).strip(" .;")
    if word in POSITIONS:
        return POSITIONS[word]
    for position in Position.values:
        if word == position.replace("_", " "):
            return position
    return None


def guess_language(text: str) -> str:
    """tg, ru or en by the letters of a text: Cyrillic with a Tajik letter (ҳ қ ҷ ғ ӣ ӯ) is Tajik,
    other Cyrillic Russian, anything else English (the UN language of the sources)."""
    cyrillic = sum(1 for c in text if "\u0400" <= c <= "\u04ff")
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    if cyrillic > latin:
        return "tg" if any(c in "ҳқҷғӣӯҲҚҶҒӢӮ" for c in text) else "ru"
    return "en"


# --- UPR sessions -------------------------------------------------------------------------------

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


def upr_cycle(session: int) -> int:
    """UPR cycles: 1 = sessions 1-12, 2 = 13-26, 3 = 27-40, 4 = 41-54, then 14 sessions each."""
    return 1 if session <= 12 else 2 + (session - 13) // 14


def session_year(session: int) -> int | None:
    return SESSION_YEARS.get(session)


# Stored data in each language, not UI text: built per language so every title exists in all
# three whatever language the importing user reads. (Tajik wording to be reviewed by a native
# speaker.)
_TITLES = {
    "en": ("{mechanism}, session {session} ({year}): {state}", "{mechanism}, session {session}: {state}"),
    "ru": ("{mechanism}, сессия {session} ({year}): {state}", "{mechanism}, сессия {session}: {state}"),
    "tg": ("{mechanism}, иҷлосияи {session} ({year}): {state}", "{mechanism}, иҷлосияи {session}: {state}"),
}
_UPR_ABBREVIATIONS = {"en": "UPR", "ru": "УПО", "tg": "БУД"}


def document_titles(*, session: int | str, year: int | None, state, mechanism: str = "UPR") -> dict[str, str]:
    """`{"title_en": "UPR, session 12 (2011): Tajikistan", "title_ru": ..., "title_tg": ...}`; for
    another mechanism its code stands where UPR does."""
    titles = {}
    for lang, (with_year, without_year) in _TITLES.items():
        name = getattr(state, f"name_{lang}") or state.name_en
        abbreviation = _UPR_ABBREVIATIONS[lang] if mechanism == "UPR" else mechanism
        template = with_year if year else without_year
        titles[f"title_{lang}"] = template.format(
            mechanism=abbreviation, session=session, year=year, state=name
        )[:255]
    return titles


def shorten(value: str, limit: int = 80) -> str:
    """A cell value short enough to quote in an error message."""
    value = " ".join((value or "").split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


# --- Identity across imports --------------------------------------------------------------------


_NOT_WORD_OR_SPACE = re.compile(r"[^\w\s]+")
# The ASCII characters _NOT_WORD_OR_SPACE removes. For an ASCII text (most texts in English), NFKC
# changes nothing and casefold is lower, and deleting bytes is several times faster than the regex.
_ASCII_NOT_WORD_OR_SPACE = bytes(code for code in range(128) if _NOT_WORD_OR_SPACE.fullmatch(chr(code)))


def normalise_text(text: str) -> str:
    """The text as the natural key sees it: Unicode-compatibility-composed, lower case, without
    punctuation or symbols (typographic or straight apostrophes and quotes, hyphens and dashes,
    commas or semicolons between clauses) and with whitespace collapsed to single spaces, so that
    the same recommendation copied by another source ("pre-trial" / "pretrial", "women’s" /
    "women's", "OP-CAT; enact" / "OP-CAT, enact") or re-exported is recognised. Any change of
    words is a different text (see near matches in `writer`)."""
    text = text or ""
    if text.isascii():
        text = text.lower().encode("ascii").translate(None, _ASCII_NOT_WORD_OR_SPACE).decode("ascii")
        return " ".join(text.split())
    text = _NOT_WORD_OR_SPACE.sub("", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(text.split())


def normalise_session(session: str | int) -> str:
    """`12`, `12.0` and `12th session` are the same session."""
    number = parse_whole_number(str(session))
    return str(number) if number is not None else normalise_label(str(session))


def natural_key(*, country: str, session: str | int, recommending_states: Iterable[str], text: str) -> str:
    """The identity of a recommendation across imports and sources: SHA-256 of the state under
    review (ISO code), the session (or cycle), the sorted recommending states (ISO codes) and the
    normalised text. Wording corrections beyond case, spacing and end punctuation make a new key."""
    parts = [
        country.strip().upper(),
        normalise_session(session),
        sorted({code.strip().upper() for code in recommending_states}),
        normalise_text(text),
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()
