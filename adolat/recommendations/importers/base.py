"""What every importer shares: the summary it returns, how a file's bytes become text, and the
natural key that recognises a recommendation across imports."""

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _


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


def shorten(value: str, limit: int = 80) -> str:
    """A cell value short enough to quote in an error message."""
    value = " ".join((value or "").split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


# --- Identity across imports --------------------------------------------------------------------


def _is_trimmable(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


def normalise_text(text: str) -> str:
    """The text as the natural key sees it: Unicode-composed, lower case, whitespace collapsed to
    single spaces and punctuation trimmed at both ends, so that re-exports that differ only in
    those respects are recognised as the same recommendation."""
    text = " ".join(unicodedata.normalize("NFC", text or "").casefold().split())
    start, end = 0, len(text)
    while start < end and _is_trimmable(text[start]):
        start += 1
    while end > start and _is_trimmable(text[end - 1]):
        end -= 1
    return text[start:end]


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
