"""Importers: read a file of recommendations as an outside source publishes it and bring the
database in step with it.

Each format has a parser (`parse(data: bytes, *, filename: str, options: dict) ->
records.ParsedFile`) that only reads its format; one writer (`writer`) resolves, checks, matches
and writes for all of them, so every format follows the same rules (see `writer`): one
transaction per file, nothing written when any recommendation is wrong (unless invalid ones are
skipped), every error naming its row or paragraph, column, value and reason, re-importing changes
nothing, and the same recommendation from another source is recognised.

`run_import` is the one entry point, for the `adolat import` command and the web upload alike.
"""

import contextlib
import gc
import importlib
import logging
import re
from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from adolat.recommendations.models import Mechanism

from .base import ImporterError, ImportSummary, shorten

logger = logging.getLogger(__name__)

# Format name → its parser, imported when first used (so a parser module arriving later plugs in by
# being there). Options a parser may read: "document" (a UN symbol the user gave), "mapping"
# ({field: column}, for the generic table), "country" (the ISO code of the state under review).
FORMATS: dict[str, str] = {
    "upr_info": "adolat.recommendations.importers.upr_info.parse",
    "uhri": "adolat.recommendations.importers.uhri.parse",
    "generic": "adolat.recommendations.importers.generic.parse",
    "ohchr_matrix": "adolat.recommendations.importers.ohchr_matrix.parse",
    "un_document": "adolat.recommendations.importers.un_document.parse",
}
FORMAT_NAMES = {
    "upr_info": gettext_lazy("UPR Info export"),
    "uhri": gettext_lazy("UHRI export"),
    "generic": gettext_lazy("table read through a column mapping"),
    "ohchr_matrix": gettext_lazy("OHCHR thematic list of recommendations"),
    "un_document": gettext_lazy("UN document"),
}


class FormatUnavailable(ImporterError):
    """The format's parser is not installed in this version."""


def get_parser(name: str) -> Callable:
    """The parse function registered for a format; FormatUnavailable when its module is absent."""
    if name not in FORMATS:
        raise ImporterError(
            _('"%(value)s" is not an import format (accepted: %(formats)s).')
            % {"value": name, "formats": ", ".join(FORMATS)}
        )
    module_name, _dot, function = FORMATS[name].rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise FormatUnavailable(
            _("The importer for %(format)s is not available in this version.")
            % {"format": FORMAT_NAMES[name]}
        ) from None
    return getattr(module, function)


# --- Recognising the format ---------------------------------------------------------------------

_NUMBERED_PARAGRAPH = re.compile(r"^\s*\d{1,3}\.\d{1,3}\.?\s+\S", re.MULTILINE)


def _has_numbered_paragraphs(text: str) -> bool:
    """Recommendations numbered as UN reports number them (`88.1 Consider…`)."""
    return len(_NUMBERED_PARAGRAPH.findall(text)) >= 3


def _docx_format(data: bytes) -> tuple[str | None, str]:
    import io

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for a damaged file
        return None, _("The Word document cannot be read (%(reason)s).") % {"reason": shorten(str(exc), 120)}
    for table in document.tables:
        for row in table.rows[:3]:
            header = " ".join(cell.text for cell in row.cells).casefold()
            if "recommendation" in header and "position" in header:
                return "ohchr_matrix", ""
    text = "\n".join(p.text for p in document.paragraphs)
    if not _has_numbered_paragraphs(text):
        text += "\n" + "\n".join(
            cell.text for table in document.tables for row in table.rows for cell in row.cells
        )
    if _has_numbered_paragraphs(text):
        return "un_document", ""
    return None, _(
        "This Word document holds neither an OHCHR table of recommendations (a table whose header names "
        "the recommendation and the position) nor numbered paragraphs of recommendations (88.1, 88.2…)."
    )


def detect_format(data: bytes, filename: str = "", *, mapping: dict | None = None) -> tuple[str | None, str]:
    """The format of a file by its content (and name): (format, "") or (None, translated reason).

    - a PDF is a UN document;
    - a Word document with a table whose header names "Recommendation" and "Position" is an OHCHR
      matrix, one with numbered paragraphs (`88.1`) a UN document;
    - a table (CSV, XLSX, XLS) is a UPR Info or UHRI export by its header's columns, or a generic
      table when a column mapping is given;
    - a text file is a table by its header, else a UN document by its numbered paragraphs.
    """
    from . import generic, uhri, upr_info
    from .base import decode, normalise_line_ends
    from .tables import head_rows, kind_of

    kind = kind_of(data)
    if not data.strip():
        return None, _("The file is empty.")
    if kind == "pdf":
        return "un_document", ""
    if kind == "docx":
        return _docx_format(data)
    if kind == "zip":
        return None, _("This is a ZIP archive, not a file of recommendations.")
    if mapping:
        return "generic", ""
    rows = head_rows(data)
    for cells in rows:
        if upr_info.is_header(cells):
            return "upr_info", ""
        if uhri.is_header(cells):
            return "uhri", ""
    # A header naming most of a format's columns is that format with columns missing: its parser
    # says which.
    for cells in rows[:1]:
        for name, module in (("upr_info", upr_info), ("uhri", uhri)):
            if module.header_share(cells) > 0.5:
                return name, ""
    if kind == "text" and not filename.lower().endswith((".csv", ".tsv", ".xls", ".xlsx")):
        text = normalise_line_ends(decode(data))
        if _has_numbered_paragraphs(text):
            return "un_document", ""
    found = shorten(", ".join(c.strip() for c in (rows[0] if rows else []) if c.strip()), 200)
    return None, _(
        "The format of this file was not recognised: it is no UPR Info or UHRI export (its first row "
        "names %(found)s). To import another table, give a column mapping (--map text=COLUMN …, "
        "format “generic”); fields: %(fields)s."
    ) % {"found": found or "—", "fields": ", ".join(generic.FIELDS)}


# --- The entry point ----------------------------------------------------------------------------


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector paused while a file is read and written.

    An import holds tens of thousands of small objects until it ends (cells, parsed and resolved
    recommendations, the stored records' values), and the collector, started every few hundred
    allocations, scans all of them again and again: about half of the time of re-importing a
    large file went to those scans, which find nothing to free. Reference counting still frees
    what the import drops as it goes (only objects in reference cycles wait), and the collector
    runs again when the import ends. It is paused for the whole process: only the import that
    paused it resumes it (one running alongside finds it paused and leaves it so).
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def run_import(
    data: bytes,
    *,
    filename: str,
    format: str | None = None,  # noqa: A002 — the option's name
    country,
    document: str | None = None,
    mapping: dict | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    publish: bool = False,
    by=None,
    progress: Callable[[int, int], None] | None = None,
    options: dict | None = None,
) -> ImportSummary:
    """Import a file's recommendations about `country` (a Country, an ISO code or a name).

    The format is recognised from the content unless `format` names one of FORMATS. `document` is
    the UN symbol of the file's document where the file does not say it; `mapping` ({field:
    column}) reads a generic table. With `dry_run` everything is done and rolled back, so the
    summary is exactly what the import would report; with `skip_invalid` the valid recommendations
    are imported and the others reported (nothing is imported when none is valid). `publish`
    publishes the records the import creates; `by` (a user or None) goes into the history;
    `progress(done, total)` is called every 100 recommendations written. `options` are passed on
    to the parser as they are (the document parsers read "language", "session", "cycle",
    "mechanism" where a file does not say them).

    Raises ImporterError when the import cannot start (an unknown state or format, vocabularies not
    loaded); everything about the file itself is in the summary's errors.
    """
    from . import writer

    state = writer.resolve_country(country)
    if not Mechanism.objects.filter(code="UPR").exists():
        raise ImporterError(
            _("The mechanisms are not in the vocabularies: run `adolat migrate` to load them.")
        )
    if format is None:
        format, reason = detect_format(data, filename, mapping=mapping)  # noqa: A001
        if format is None:
            summary = ImportSummary(dry_run=dry_run)
            summary.add_error(None, reason)
            return summary
    try:
        parser = get_parser(format)
    except FormatUnavailable as exc:
        summary = ImportSummary(dry_run=dry_run, format=format)
        summary.add_error(None, str(exc))
        return summary
    parser_options = {
        **(options or {}),
        "document": (document or "").strip(),
        "mapping": mapping or {},
        "country": state.pk,
    }
    with collector_paused():
        try:
            parsed = parser(data, filename=filename, options=parser_options)
        except Exception as exc:  # a parser's bug or a file it chokes on must not look like success
            logger.exception("The %s parser failed on %s", format, filename)
            summary = ImportSummary(dry_run=dry_run, format=format)
            summary.add_error(
                None,
                _("The file cannot be read as %(format)s (%(reason)s).")
                % {"format": FORMAT_NAMES[format], "reason": shorten(str(exc) or type(exc).__name__, 200)},
            )
            return summary
        return writer.write(
            parsed,
            country=state,
            filename=filename,
            document=document or "",
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            publish=publish,
            by=by,
            progress=progress,
        )


def import_upr_info(*args, **kwargs) -> ImportSummary:
    from .upr_info import import_upr_info as run

    return run(*args, **kwargs)


__all__ = [
    "FORMATS",
    "FORMAT_NAMES",
    "ImportSummary",
    "ImporterError",
    "detect_format",
    "get_parser",
    "import_upr_info",
    "run_import",
]
