"""The Word matrix, laid out like OHCHR's "Thematic list of recommendations": one table, a header
row per theme spanning the table, then one row per recommendation (paragraph, text and recommending
states; position of the state; responsible bodies; implementation status), in the reader's language.

Each recommendation appears once, under its first theme (by the vocabulary's order; when the list
is filtered by theme, its first theme among those chosen), as in OHCHR's matrix; recommendations
without a theme come last.

python-docx holds a whole document in memory, so it cannot write a long table as it goes. The
document is therefore built in two parts: python-docx makes the skeleton (styles, page, title and
the table with its header row) and, once per shape of row, a row with a token where each value goes
(`RowMaker`); the rows of the records are those shapes filled in, streamed into `word/document.xml`
of the .docx (a zip) between the skeleton's two halves. Memory holds one chunk of records,
whatever the number of rows.
"""

import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from typing import IO
from xml.sax.saxutils import escape

from django.db.models import F, OuterRef, Subquery
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from lxml import etree

from adolat.accounts.models import Organisation
from adolat.followup.models import Assignment, Cluster
from adolat.lib.i18n import localized
from adolat.recommendations import selectors
from adolat.recommendations.models import Position, Recommendation, Status

from .common import (
    Entry,
    Snapshot,
    Vocabulary,
    entries,
    position_label,
    snapshot,
    stable_ordering,
    status_label,
    xml_safe,
)

MARKER = "ADOLAT-MATRIX-ROWS-GO-HERE"
WIDTHS = (Cm(14.2), Cm(3.4), Cm(4.9), Cm(3.2))  # A4 landscape less 2 cm margins: 25.7 cm


class Bodies:
    """Responsible bodies of a chunk of recommendations: the lead and supporting bodies of the
    active assignments of each recommendation and of its clusters (a rejected grouping assigns
    nobody), each body once, a lead never repeated as supporting. Only assignments and clusters
    the reader may see count (the follow-up's own scopes: the public sees the assignments of
    published recommendations and of confirmed clusters). Four queries per chunk, and one more
    when it names organisations not met before."""

    def __init__(self, language: str, user) -> None:
        self.language = language
        self.assignments = Assignment.objects.visible_to(user).filter(is_active=True)
        self.clusters = Cluster.objects.visible_to(user).exclude(state=Cluster.State.REJECTED)
        self.names: dict[int, str] = {}

    def __call__(self, chunk: list[Entry]) -> None:
        pks = [e.rec.pk for e in chunk]
        # (assignment, lead body) per recommendation, in the order the assignments were made.
        assigned: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for pk, rec_id, lead in (
            self.assignments.filter(recommendation_id__in=pks)
            .order_by("pk")
            .values_list("pk", "recommendation_id", "lead_body_id")
        ):
            assigned[rec_id].append((pk, lead))
        clusters: dict[int, list[int]] = defaultdict(list)
        for rec_id, cluster_id in (
            Cluster.recommendations.through.objects.filter(
                recommendation_id__in=pks, cluster_id__in=self.clusters.values("pk")
            )
            .order_by("cluster_id")
            .values_list("recommendation_id", "cluster_id")
        ):
            clusters[cluster_id].append(rec_id)
        if clusters:
            for pk, cluster_id, lead in (
                self.assignments.filter(cluster_id__in=list(clusters))
                .order_by("pk")
                .values_list("pk", "cluster_id", "lead_body_id")
            ):
                for rec_id in clusters[cluster_id]:
                    assigned[rec_id].append((pk, lead))
        assignment_ids = {pk for pairs in assigned.values() for pk, _lead in pairs}
        supporting: dict[int, list[int]] = defaultdict(list)
        if assignment_ids:
            for assignment_id, body in (
                Assignment.supporting_bodies.through.objects.filter(assignment_id__in=assignment_ids)
                .order_by("id")
                .values_list("assignment_id", "organisation_id")
            ):
                supporting[assignment_id].append(body)
        wanted = {lead for pairs in assigned.values() for _pk, lead in pairs}
        wanted |= {body for bodies in supporting.values() for body in bodies}
        missing = wanted - set(self.names)
        if missing:
            for org in Organisation.objects.filter(pk__in=missing):
                self.names[org.pk] = localized(org, "name", self.language).text
        for entry in chunk:
            pairs = sorted(assigned.get(entry.rec.pk, []))
            leads = list(dict.fromkeys(lead for _pk, lead in pairs))
            helpers = [b for _pk, _lead in pairs for b in supporting.get(_pk, []) if b not in leads]
            entry.lead_bodies = [self.names[b] for b in leads]
            entry.supporting_bodies = [self.names[b] for b in dict.fromkeys(helpers)]


def order_by_theme(qs, filters: selectors.Filters):
    """The queryset grouped by first theme, annotated `first_theme` (a theme id, None for none)."""
    first = Recommendation.themes.through.objects.filter(recommendation_id=OuterRef("pk"))
    if filters.theme:
        first = first.filter(theme__code__in=filters.theme)
    first = first.order_by("theme__sort_order", "theme__name_en", "theme_id")
    qs = qs.annotate(
        first_theme_order=Subquery(first.values("theme__sort_order")[:1]),
        first_theme_name=Subquery(first.values("theme__name_en")[:1]),
        first_theme=Subquery(first.values("theme_id")[:1]),
    ).order_by(
        F("first_theme_order").asc(nulls_last=True),
        "first_theme_name",
        "first_theme",
        *stable_ordering(filters.sort),
    )
    return qs


# --- Building with python-docx ------------------------------------------------------------------


def _shade(cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _write(cell, text: str, *, bold: bool = False) -> None:
    run = cell.paragraphs[0].add_run(xml_safe(text))
    run.bold = bold


def _skeleton(*, language: str, count: int):
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    doc.core_properties.title = _("Thematic list of recommendations")
    doc.core_properties.author = "Adolat"
    doc.core_properties.language = language
    doc.add_heading(_("Thematic list of recommendations"), level=1)
    doc.add_paragraph(
        ngettext(
            "Exported from Adolat on %(date)s: %(count)s recommendation.",
            "Exported from Adolat on %(date)s: %(count)s recommendations.",
            count,
        )
        % {"date": formats.date_format(timezone.localdate(), "DATE_FORMAT"), "count": count}
    )
    table = doc.add_table(rows=1, cols=4)
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    for column, width in zip(table.columns, WIDTHS, strict=True):
        column.width = width
    headers = (
        _("Recommendation and recommending states"),
        capfirst(str(Recommendation._meta.get_field("position").verbose_name)),
        _("Responsible bodies"),
        capfirst(str(Recommendation._meta.get_field("status").verbose_name)),
    )
    header = table.rows[0]
    for cell, text in zip(header.cells, headers, strict=True):
        _write(cell, text, bold=True)
        _shade(cell, "D9D9D9")
    # The header row repeats on every page.
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    marker = table.add_row()
    marker.cells[0].text = MARKER
    return doc, table


_NAMESPACE_DECLARATIONS = re.compile(r'\s+xmlns:\w+="[^"]*"')
_TOKEN = re.compile(r"@@(\w+)@@")


class RowMaker:
    """Rows of the table as WordprocessingML. python-docx makes each shape of row once (which
    optional parts it has), with a token where each value goes; the shape is then filled by text
    substitution for every record, which is some fifty times faster than building every row with
    python-docx and gives the same XML."""

    def __init__(self, table) -> None:
        self.table = table
        self.templates: dict[tuple, str] = {}

    def _template(self, build) -> str:
        row = self.table.add_row()
        build(row)
        tr = row._tr
        for t in tr.iter(qn("w:t")):  # values may start or end with a space: keep it
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        xml = etree.tostring(tr, encoding="unicode")
        self.table._tbl.remove(tr)
        # lxml repeats the namespace declarations on a sub-element; the document's root has them.
        head, rest = xml.split(">", 1)
        return _NAMESPACE_DECLARATIONS.sub("", head) + ">" + rest

    @staticmethod
    def _fill(template: str, values: dict[str, str]) -> bytes:
        # One pass, so a value that happens to contain a token is never filled in again.
        return _TOKEN.sub(lambda m: escape(xml_safe(values[m.group(1)])), template).encode()

    def theme(self, title: str) -> bytes:
        if "theme" not in self.templates:

            def build(row):
                cell = row.cells[0].merge(row.cells[-1])
                _write(cell, "@@title@@", bold=True)
                _shade(cell, "EDEDED")

            self.templates["theme"] = self._template(build)
        return self._fill(self.templates["theme"], {"title": title})

    def recommendation(self, values: dict[str, str]) -> bytes:
        """`values`: text and status always; paragraph, source, position, position_note, lead,
        supporting when there is one (an empty value leaves its part out)."""
        parts = ("paragraph", "source", "position", "position_note", "lead", "supporting")
        shape = tuple(bool(values.get(k)) for k in parts)
        if shape not in self.templates:
            has_paragraph, has_source, has_position, has_note, has_lead, has_supporting = shape

            def build(row):
                cells = row.cells
                first = cells[0].paragraphs[0]
                if has_paragraph:
                    first.add_run("@@paragraph@@ ").bold = True
                first.add_run("@@text@@")
                if has_source:
                    cells[0].add_paragraph().add_run("@@source@@").font.size = Pt(8)
                if has_position:
                    _write(cells[1], "@@position@@")
                if has_note:
                    cells[1].add_paragraph().add_run("@@position_note@@").font.size = Pt(8)
                if has_lead:
                    _write(cells[2], "@@lead@@")
                if has_supporting:
                    cells[2].add_paragraph().add_run("@@supporting@@")
                _write(cells[3], "@@status@@")

            self.templates[shape] = self._template(build)
        return self._fill(self.templates[shape], values)


def _recommendation_values(entry: Entry, language: str, vocab: Vocabulary, labels: dict) -> dict[str, str]:
    rec = entry.rec
    text = localized(rec, "text", language, original=rec.original_language)
    states = " ".join(f"({s})" for s in sorted(vocab.name(c, language) for c in entry.states))
    body = text.text + (f" [{text.language}]" if text.is_fallback else "")
    symbol = rec.document.symbol if rec.document_id else ""
    return {
        "paragraph": rec.paragraph,
        "text": body + (" " + states if states else ""),
        "source": _("Source: %(document)s") % {"document": symbol} if symbol else "",
        "position": labels["positions"][rec.position] if rec.position != Position.NOT_APPLICABLE else "",
        "position_note": rec.position_note,
        "lead": _("Lead: %(bodies)s") % {"bodies": ", ".join(entry.lead_bodies)} if entry.lead_bodies else "",
        "supporting": (
            _("Supporting: %(bodies)s") % {"bodies": ", ".join(entry.supporting_bodies)}
            if entry.supporting_bodies
            else ""
        ),
        "status": labels["statuses"][rec.status],
    }


def _rows(snap: Snapshot, filters: selectors.Filters, table, language: str, user) -> Iterator[bytes]:
    vocab = Vocabulary()
    rows = RowMaker(table)
    labels = {
        "positions": {v: position_label(v) for v in Position.values},
        "statuses": {v: status_label(v) for v in Status.values},
    }
    grouped = order_by_theme(snap.queryset, filters)
    current: object = object()  # no group yet
    for entry in entries(
        grouped, extra=("first_theme",), rows=snap.queryset, enrich=Bodies(language, user), vocab=vocab
    ):
        first_theme = entry.extra[0]
        if first_theme != current:
            current = first_theme
            theme = vocab.themes.get(first_theme) if first_theme is not None else None
            title = (
                _("Theme: %(theme)s") % {"theme": vocab.name(theme, language)}
                if theme is not None
                else _("Without a theme")
            )
            yield rows.theme(title)
        yield rows.recommendation(_recommendation_values(entry, language, vocab, labels))


def write_docx(qs, *, user, filters: selectors.Filters, language: str, target: IO[bytes]) -> int:
    """Write the matrix of the records of `qs` (an export queryset for `user`) to `target`, a file
    opened for binary writing. Returns the number of recommendations."""
    snap = snapshot(qs)
    with override(language):
        doc, table = _skeleton(language=language, count=snap.count)
        skeleton = io.BytesIO()
        doc.save(skeleton)
        xml = _document_xml(skeleton)
        at = xml.index(MARKER)
        start = xml.rindex("<w:tr", 0, at)
        end = xml.index("</w:tr>", at) + len("</w:tr>")
        prefix, suffix = xml[:start].encode(), xml[end:].encode()
        table._tbl.remove(table.rows[-1]._tr)  # the marker row; RowMaker adds and takes away its own

        with zipfile.ZipFile(skeleton) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in source.infolist():
                if info.filename != "word/document.xml":
                    out.writestr(info, source.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
                    continue
                entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                with out.open(entry, "w") as stream:
                    stream.write(prefix)
                    pending: list[bytes] = []
                    size = 0
                    for piece in _rows(snap, filters, table, language, user):
                        pending.append(piece)
                        size += len(piece)
                        if size > 256 * 1024:
                            stream.write(b"".join(pending))
                            pending, size = [], 0
                    stream.write(b"".join(pending))
                    stream.write(suffix)
    return snap.count


def _document_xml(package: io.BytesIO) -> str:
    with zipfile.ZipFile(package) as z:
        return z.read("word/document.xml").decode("utf-8")
