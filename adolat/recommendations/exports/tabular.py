"""CSV and XLSX: one row per recommendation, in the reader's language.

Headers, positions, statuses, theme, group and state names are in the requested language; the
recommendation text is in that language when it exists and otherwise in another one, by the rule of
`adolat.lib.i18n.localized`, and a column says which language the text is in.
"""

import csv
import io
from collections.abc import Callable, Iterator
from itertools import islice
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

from adolat.lib.i18n import current_language, fallback_order, localized
from adolat.recommendations.models import Recommendation, SourceDocument

from .common import (
    GOALS,
    GROUPS,
    LANGUAGE_NAMES,
    STATES,
    TARGETS,
    THEMES,
    Entry,
    Memo,
    Snapshot,
    TagMemo,
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


def _as_is(value):
    return value


class Rows:
    """Row values in one language (made with that language active), each passed through `clean`
    (the CSV's `_csv_cell`). Names, labels, the cells of a document and of each list of tags are
    made (and cleaned) once per export, not once per row."""

    def __init__(self, language: str, vocab: Vocabulary, clean: Callable = _as_is) -> None:
        self.language = language
        self.vocab = vocab
        self.clean = clean
        self.yes, self.no = clean(yesno(True).capitalize()), clean(yesno(False).capitalize())
        self.empty = clean("")
        # Paragraph numbers and years: few distinct values, each cleaned once.
        self.paragraphs = Memo(clean)
        self.years = Memo(clean)
        self.positions = Memo(lambda value: clean(position_label(value)))
        self.statuses = Memo(lambda value: clean(status_label(value)))
        self.languages = Memo(lambda code: clean(LANGUAGE_NAMES.get(code, code)))
        placeholder = 1234567890
        link = settings.SITE_URL + reverse("recommendations:detail", args=[placeholder])
        # A link starts with SITE_URL, so cleaning its start cleans the link.
        prefix, self.link_suffix = link.split(str(placeholder))
        self.link_prefix = clean(prefix)
        # The dates of the rows are in the time zone active when the export starts.
        self.timezone = timezone.get_current_timezone()
        # Every name in this language, by primary key (a row names several).
        self.mechanisms = self._names(vocab.mechanisms, clean)
        self.countries = self._names(vocab.countries, clean)
        countries = self._names(vocab.countries)
        themes = self._names(vocab.themes)
        groups = self._names(vocab.groups)
        # The attribute of each text to try in turn, with the name of its language, by the
        # record's original language (the rule of `localized`).
        lang = language or current_language()
        self.texts = Memo(
            lambda original: [
                (f"text_{code}", self.languages[code]) for code in fallback_order(lang, original)
            ]
        )
        # (document, session) of each document, by its primary key.
        self.documents = Memo(self._document)
        # Each list of tags as one cell, by its key (`Entry.tag_keys`).
        tags = vocab.tags
        self.states = TagMemo(
            lambda key: clean(", ".join(sorted([countries[c.code] for c in tags(STATES, key)]))),
            vocab,
            STATES,
        )
        self.themes = TagMemo(
            lambda key: clean("; ".join([themes[t.id] for t in tags(THEMES, key)])), vocab, THEMES
        )
        self.groups = TagMemo(
            lambda key: clean("; ".join([groups[g.id] for g in tags(GROUPS, key)])), vocab, GROUPS
        )
        self.goals = TagMemo(
            lambda key: clean(", ".join(str(g.number) for g in tags(GOALS, key))), vocab, GOALS
        )
        self.targets = TagMemo(
            lambda key: clean(", ".join(t.code for t in tags(TARGETS, key))), vocab, TARGETS
        )

    def _names(self, objects: dict, clean: Callable = _as_is) -> dict:
        return {pk: clean(self.vocab.name(obj, self.language)) for pk, obj in objects.items()}

    def _document(self, pk: int | None) -> tuple:
        if not pk:
            return self.clean(""), self.clean("")
        document = self.vocab.documents[pk]
        symbol = document.symbol or localized(document, "title", self.language).text
        return self.clean(symbol), self.clean(document.session)

    def cells(self, entry: Entry) -> tuple:
        """The row's values in the order of `columns()` (a tuple, which the CSV writes as it is:
        a dict per row cost as much as writing it)."""
        rec, clean = entry.rec, self.clean
        text, text_language = "", ""
        for attr, name in self.texts[rec.original_language]:
            value = getattr(rec, attr, "") or ""
            if value.strip():
                text, text_language = value, name
                break
        document, session = self.documents[rec.document_id]
        states, themes, groups, goals, targets = entry.tag_keys
        return (
            self.mechanisms[rec.mechanism_id],  # mechanism
            document,
            session,
            self.paragraphs[rec.paragraph],
            self.years[rec.year],
            self.countries[rec.country_id],  # country
            self.states[states],  # recommending_states
            clean(text) if text else self.empty,
            text_language if text else self.empty,
            self.languages[rec.original_language],  # original_language
            self.positions[rec.position],
            clean(rec.position_note),
            self.statuses[rec.status],
            self.themes[themes],
            self.groups[groups],  # affected_groups
            self.goals[goals],  # sdg_goals
            self.targets[targets],  # sdg_targets
            self.yes if rec.is_published else self.no,
            # `timezone.localdate`, less its checks (the values read are always aware); a date
            # never needs cleaning.
            rec.updated.astimezone(self.timezone).date().isoformat(),  # updated
            f"{self.link_prefix}{rec.pk}{self.link_suffix}",  # link
        )


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


def csv_stream(qs, *, language: str, snap: Snapshot | None = None) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (so Excel reads Cyrillic right), comma-separated, CRLF line
    ends, every multi-line text quoted. A stream of pieces: memory holds one chunk of records.
    `snap` is the snapshot `qs` is, if it is one (see `entries`)."""

    def lines() -> Iterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([header for _key, header, _width in columns()])
        yield b"\xef\xbb\xbf" + out.getvalue().encode()
        vocab = Vocabulary()
        cells = Rows(language, vocab, clean=_csv_cell).cells
        out.seek(0)
        out.truncate()
        # The CSV shows neither when a record was created nor its natural key.
        read = entries(qs, vocab=vocab, light=True, unread=("created", "natural_key"), snap=snap)
        # Rows are written a hundred at a time (about 45 KB), in pieces of about 64 KB: fewer
        # calls, and fewer language switches.
        while batch := [cells(entry) for entry in islice(read, 100)]:
            writer.writerows(batch)
            if out.tell() >= 64 * 1024:
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
            cells = []
            for (key, _header, _width), value in zip(cols, row.cells(entry), strict=True):
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
