"""CSV and XLSX: one row per recommendation, in the reader's language.

Headers, positions, statuses, theme, group and state names are in the requested language; the
recommendation text is in that language when it exists and otherwise in another one, by the rule of
`adolat.lib.i18n.localized`, and a column says which language the text is in.
"""

import csv
import io
from collections.abc import Iterator
from typing import IO

from django.conf import settings
from django.template.defaultfilters import yesno
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import override
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from adolat.lib.i18n import localized
from adolat.recommendations.models import Position, Recommendation, SourceDocument, Status

from .common import (
    LANGUAGE_NAMES,
    Entry,
    Vocabulary,
    buffered,
    entries,
    in_language,
    position_label,
    status_label,
    xml_safe,
)


def _field(model, field: str) -> str:
    return capfirst(str(model._meta.get_field(field).verbose_name))


# (key, header in the active language, width of the spreadsheet column in characters)
def columns() -> list[tuple[str, str, int]]:
    return [
        ("mechanism", _field(Recommendation, "mechanism"), 22),
        ("document", _field(Recommendation, "document"), 24),
        ("session", _field(SourceDocument, "session"), 9),
        ("paragraph", _field(Recommendation, "paragraph"), 10),
        ("year", _field(Recommendation, "year"), 7),
        ("country", _field(Recommendation, "country"), 16),
        ("recommending_states", _field(Recommendation, "recommending_states"), 24),
        ("text", capfirst(str(Recommendation._meta.verbose_name)), 80),
        ("text_language", _("Language of the text"), 12),
        ("original_language", _field(Recommendation, "original_language"), 12),
        ("position", _field(Recommendation, "position"), 16),
        ("position_note", _field(Recommendation, "position_note"), 24),
        ("status", _field(Recommendation, "status"), 18),
        ("themes", _field(Recommendation, "themes"), 30),
        ("affected_groups", _field(Recommendation, "affected_groups"), 24),
        ("sdg_goals", _field(Recommendation, "sdg_goals"), 10),
        ("sdg_targets", _field(Recommendation, "sdg_targets"), 12),
        ("is_published", _field(Recommendation, "is_published"), 10),
        ("updated", _field(Recommendation, "updated"), 11),
        ("link", _("Link"), 40),
    ]


class Rows:
    """Row values in one language (made with that language active). Names and labels are looked up
    once per export, not once per row."""

    def __init__(self, language: str, vocab: Vocabulary) -> None:
        self.language = language
        self.vocab = vocab
        self.yes, self.no = yesno(True).capitalize(), yesno(False).capitalize()
        self.positions = {v: position_label(v) for v in Position.values}
        self.statuses = {v: status_label(v) for v in Status.values}
        placeholder = 1234567890
        link = settings.SITE_URL + reverse("recommendations:detail", args=[placeholder])
        self.link_prefix, self.link_suffix = link.split(str(placeholder))
        # Every name in this language, by primary key (a row names several).
        self.mechanisms = self._names(vocab.mechanisms)
        self.countries = self._names(vocab.countries)
        self.themes = self._names(vocab.themes)
        self.groups = self._names(vocab.groups)

    def _names(self, objects: dict) -> dict:
        return {pk: self.vocab.name(obj, self.language) for pk, obj in objects.items()}

    def __call__(self, entry: Entry) -> dict[str, str | int | None]:
        rec, language = entry.rec, self.language
        text = localized(rec, "text", language, original=rec.original_language)
        document = rec.document if rec.document_id else None
        countries, themes, groups = self.countries, self.themes, self.groups
        return {
            "mechanism": self.mechanisms[rec.mechanism_id],
            "document": (document.symbol or localized(document, "title", language).text) if document else "",
            "session": document.session if document else "",
            "paragraph": rec.paragraph,
            "year": rec.year,
            "country": countries[rec.country_id],
            "recommending_states": ", ".join(sorted([countries[c.code] for c in entry.states])),
            "text": text.text,
            "text_language": LANGUAGE_NAMES.get(text.language, text.language) if text.text else "",
            "original_language": LANGUAGE_NAMES.get(rec.original_language, rec.original_language),
            "position": self.positions.get(rec.position, rec.position),
            "position_note": rec.position_note,
            "status": self.statuses.get(rec.status, rec.status),
            "themes": "; ".join([themes[t.id] for t in entry.themes]),
            "affected_groups": "; ".join([groups[g.id] for g in entry.groups]),
            "sdg_goals": ", ".join(str(g.number) for g in entry.goals),
            "sdg_targets": ", ".join(t.code for t in entry.targets),
            "is_published": self.yes if rec.is_published else self.no,
            "updated": timezone.localdate(rec.updated).isoformat(),
            "link": f"{self.link_prefix}{rec.pk}{self.link_suffix}",
        }


# --- CSV ----------------------------------------------------------------------------------------

# A spreadsheet program reads a cell starting with one of these as a formula; a text that starts so
# gets an apostrophe in front, which spreadsheets show as plain text (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    value = str(value)
    return "'" + value if value[:1] in _FORMULA_CHARACTERS else value


_FORMULA_CHARACTERS = frozenset(_FORMULA_START)


def csv_stream(qs, *, language: str) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (so Excel reads Cyrillic right), comma-separated, CRLF line
    ends, every multi-line text quoted. A stream of pieces: memory holds one chunk of records."""

    def lines() -> Iterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out)
        keys = [key for key, _header, _width in columns()]
        writer.writerow([header for _key, header, _width in columns()])
        yield b"\xef\xbb\xbf" + out.getvalue().encode()
        vocab = Vocabulary()
        row = Rows(language, vocab)
        out.seek(0)
        out.truncate()
        for entry in entries(qs, vocab=vocab, light=True):
            values = row(entry)
            writer.writerow([_csv_cell(values[key]) for key in keys])
            if out.tell() >= 64 * 1024:  # pieces of about 64 KB: fewer language switches
                yield out.getvalue().encode()
                out.seek(0)
                out.truncate()
        if out.tell():
            yield out.getvalue().encode()

    return buffered(in_language(language, lines()))


# --- XLSX ---------------------------------------------------------------------------------------


def write_xlsx(qs, *, language: str, target: IO[bytes], title: str = "") -> int:
    """Write the workbook to `target` (a file opened for binary writing). openpyxl's write-only mode
    streams rows to a temporary file, so memory does not grow with the number of rows. Returns the
    number of rows written."""
    with override(language):
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title=(title or _("Recommendations"))[:31])
        cols = columns()
        for index, (_key, _header, width) in enumerate(cols, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        bold = Font(bold=True)
        wrap = Alignment(wrap_text=True, vertical="top")
        header = []
        for _key, text, _width in cols:
            cell = WriteOnlyCell(ws, value=text)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        count = 0
        vocab = Vocabulary()
        row = Rows(language, vocab)
        for entry in entries(qs, vocab=vocab):
            values = row(entry)
            cells = []
            for key, _header, _width in cols:
                value = values[key]
                if isinstance(value, str):
                    value = xml_safe(value)
                if key == "text" or (isinstance(value, str) and value.startswith("=")):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.data_type = "s"  # never a formula, even when the text starts with "="
                    cell.alignment = wrap
                    value = cell
                cells.append(value)
            ws.append(cells)
            count += 1
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{count + 1}"
        wb.save(target)
    return count
