"""Reading tables — CSV, XLSX and XLS — into rows of text, the same way for every tabular format.

Every cell becomes a string as a person reading the spreadsheet would type it: numbers that are
whole lose the `.0` a spreadsheet gave them (`12.0` → `12`), dates become ISO dates
(`2026-02-25`), empty cells "". Row numbers are those a spreadsheet shows (the first row is 1), also
for CSV files whose cells span several lines.

Columns are found by name, whatever their case, spaces and punctuation (` to-rgrp ` is `To-Rgrp`),
through a list of accepted spellings per field. A header repeated in the file (exports of some
databases repeat `Issue` or `Recommendation`) is read sensibly: a single-valued field takes the first
non-empty cell among the repeated columns, a multi-valued field the values of all of them.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .base import decode, normalise_line_ends, shorten

# How far down a spreadsheet the header row is looked for (exports may start with a title).
HEADER_SEARCH_ROWS = 10


class TableError(ValueError):
    """The file cannot be read as a table; the message is translated, `row` is where it failed (or
    None for the file as a whole)."""

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.message = message
        self.row = row


def column_key(name: str) -> str:
    """Header names compared without case, spaces or punctuation: ` to-rgrp ` is `To-Rgrp`."""
    return re.sub(r"[\W_]+", "", (name or "").casefold())


@dataclass
class Table:
    """A sheet's rows as text. `rows` holds (row number, cells) for every non-blank row; `error` is
    set (with the rows read so far) when the file broke off part-way."""

    rows: list[tuple[int, list[str]]]
    kind: str  # "csv", "xlsx", "xls"
    error: TableError | None = None

    def find_header(self, accepts: Callable[[list[str]], bool]) -> int | None:
        """The index in `rows` of the first of the first rows that `accepts` takes for a header."""
        for index, (_number, cells) in enumerate(self.rows[:HEADER_SEARCH_ROWS]):
            if accepts(cells):
                return index
        return None


@dataclass
class Columns:
    """Where each field is in a header: {field: [column indexes]} and the header as spelled."""

    header: list[str]
    index: dict[str, list[int]] = field(default_factory=dict)
    spelled: dict[str, str] = field(default_factory=dict)

    @classmethod
    def find(cls, header: list[str], spellings: dict[str, Iterable[str]]) -> "Columns":
        """Map each field onto the columns whose name is one of its accepted spellings."""
        wanted: dict[str, list[str]] = {}
        for name, accepted in spellings.items():
            for spelling in accepted:
                names = wanted.setdefault(column_key(spelling), [])
                if name not in names:
                    names.append(name)  # one column may feed several fields (paragraph, cluster)
        columns = cls(header=header)
        for i, cell in enumerate(header):
            for name in wanted.get(column_key(cell), ()):
                columns.index.setdefault(name, []).append(i)
                columns.spelled.setdefault(name, cell.strip())
        return columns

    def __contains__(self, name: str) -> bool:
        return name in self.index

    def value(self, cells: list[str], name: str) -> str:
        """The first non-empty cell of the field's columns (a repeated header), stripped."""
        for i in self.index.get(name, ()):
            if i < len(cells) and cells[i].strip():
                return cells[i].strip()
        return ""

    def values(self, cells: list[str], name: str) -> list[str]:
        """Every non-empty cell of the field's columns (for multi-valued fields)."""
        return [cells[i].strip() for i in self.index.get(name, ()) if i < len(cells) and cells[i].strip()]

    def found(self) -> str:
        """The header's names, for an error message."""
        return shorten(", ".join(cell.strip() for cell in self.header if cell.strip()), 200)


# --- Cells --------------------------------------------------------------------------------------


def cell_text(value) -> str:
    """A spreadsheet cell as text (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return normalise_line_ends(str(value))


# --- Readers ------------------------------------------------------------------------------------


def kind_of(data: bytes) -> str:
    """ "xlsx", "xls", "docx", "pdf", "zip" or "text" by the file's first bytes (and, for a zip,
    its parts): the content decides, whatever the file is called."""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"  # an OLE2 container: also old Word .doc files; xlrd tells them apart
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return "zip"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "word/document.xml" in names:
            return "docx"
        return "zip"
    return "text"


def _delimiter(text: str) -> str:
    """Commas as exports write them; semicolons or tabs when a spreadsheet re-saved the file."""
    header = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count)


def read_csv(data: bytes) -> Table:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableError(_("This is not a text file."))
    text = normalise_line_ends(decode(data))
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    table = Table(rows=[], kind="csv")
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            table.error = TableError(
                _("the file cannot be read as CSV from here on (%(reason)s).") % {"reason": exc}, number
            )
            break
        if any(cell.strip() for cell in cells):
            table.rows.append((number, cells))
    return table


def _sheet_rows(rows: Iterable[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    return [(number, cells) for number, cells in rows if any(cell.strip() for cell in cells)]


def read_xlsx(data: bytes, accepts: Callable[[list[str]], bool] | None = None) -> Table:
    """The first sheet whose first rows hold a header `accepts`, else the first sheet."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise TableError(
            _("The Excel workbook cannot be read (%(reason)s).") % {"reason": shorten(str(exc), 120)}
        ) from None
    try:
        first = None
        for sheet in book.worksheets:
            rows = _sheet_rows(
                (number, [cell_text(v) for v in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            )
            table = Table(rows=rows, kind="xlsx")
            if first is None:
                first = table
            if accepts is None or table.find_header(accepts) is not None:
                return table
        return first or Table(rows=[], kind="xlsx")
    finally:
        book.close()


def read_xls(data: bytes, accepts: Callable[[list[str]], bool] | None = None) -> Table:
    """An Excel 97-2003 workbook (.xls), as UPR Info's database exported; see `read_xlsx`."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors...
        raise TableError(
            _(
                "This is not an Excel 97-2003 workbook (.xls) that can be read (%(reason)s); a Word .doc "
                "file must be saved as .docx."
            )
            % {"reason": shorten(str(exc), 120)}
        ) from None

    def text(cell) -> str:
        if cell.ctype == xlrd.XL_CELL_DATE:
            try:
                return cell_text(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
            except (ValueError, OverflowError):
                return cell_text(cell.value)
        if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return ""
        if cell.ctype == xlrd.XL_CELL_BOOLEAN:
            return cell_text(bool(cell.value))
        if cell.ctype == xlrd.XL_CELL_ERROR:
            return ""
        return cell_text(cell.value)

    try:
        first = None
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            rows = _sheet_rows(
                (number + 1, [text(c) for c in sheet.row(number)]) for number in range(sheet.nrows)
            )
            table = Table(rows=rows, kind="xls")
            if first is None:
                first = table
            if accepts is None or table.find_header(accepts) is not None:
                return table
        return first or Table(rows=[], kind="xls")
    finally:
        book.release_resources()


NOT_A_TABLE = {
    "pdf": lambda: _("This is a PDF document, not a table: import it as a UN document."),
    "docx": lambda: _("This is a Word document, not a table."),
    "zip": lambda: _("This is a ZIP archive, not a table."),
}


def read_table(data: bytes, *, accepts: Callable[[list[str]], bool] | None = None) -> Table:
    """The rows of a CSV, XLSX or XLS file, whichever it is by content. TableError (translated)
    when it is none of them."""
    kind = kind_of(data)
    if kind in NOT_A_TABLE:
        raise TableError(NOT_A_TABLE[kind]())
    if kind == "xlsx":
        return read_xlsx(data, accepts)
    if kind == "xls":
        return read_xls(data, accepts)
    return read_csv(data)


def head_rows(data: bytes, *, limit: int = HEADER_SEARCH_ROWS) -> list[list[str]]:
    """The first non-blank rows of each sheet of a table file (for recognising its format without
    reading it whole); [] when it is no table that can be read."""
    kind = kind_of(data)
    try:
        if kind == "xlsx":
            import openpyxl

            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                rows = []
                for sheet in book.worksheets:
                    for values in sheet.iter_rows(max_row=limit * 3, values_only=True):
                        cells = [cell_text(v) for v in values]
                        if any(c.strip() for c in cells):
                            rows.append(cells)
                return rows
            finally:
                book.close()
        if kind == "xls":
            return [cells for _number, cells in read_xls(data).rows[:limit]]
        if kind == "text":
            if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
                return []
            text = normalise_line_ends(decode(data[: 256 * 1024]))
            reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
            rows = []
            for cells in reader:
                if any(c.strip() for c in cells):
                    rows.append(cells)
                if len(rows) >= limit:
                    break
            return rows
    except (TableError, csv.Error):
        return []
    except Exception:  # a damaged workbook: not recognised, the parser says why
        return []
    return []
