"""Exports of a filtered list of recommendations: CSV, XLSX, open-data JSON and the Word matrix.

Every format reads the records through the list page's selector with the same filters and the
requesting user (`adolat export` acts as the system), so nobody exports what they may not see, and
reads them in chunks, so memory does not grow with the number of records. CSV and JSON are streamed
as they are written; XLSX and DOCX are zip files that must be finished before they are sent, so
they are written to a temporary file (in bounded memory) and sent from there.

`load.load_json` reads the open-data JSON back (docs/open-data.md).
"""

import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from adolat.accounts.permissions import can_see_unpublished_recommendations
from adolat.recommendations import selectors

from . import matrix, opendata, tabular
from .common import SystemPrincipal, export_queryset, snapshot

FORMATS = ("csv", "xlsx", "json", "docx")
STREAMED = ("csv", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

__all__ = ["FORMATS", "Export", "SystemPrincipal", "export_filename", "http_response", "prepare"]


def export_filename(fmt: str, today: dt.date | None = None) -> str:
    """`adolat-recommendations-2026-11-28.csv`: the date only, never the query or a person."""
    return f"adolat-recommendations-{(today or timezone.localdate()).isoformat()}.{fmt}"


@dataclass
class Export:
    fmt: str
    user: object
    filters: selectors.Filters
    language: str

    def queryset(self):
        return export_queryset(user=self.user, filters=self.filters)

    def stream(self) -> Iterator[bytes]:
        """CSV or JSON as pieces of bytes (the count query runs at once, the rest as consumed)."""
        if self.fmt == "csv":
            snap = snapshot(self.queryset())
            return tabular.csv_stream(snap.queryset, language=self.language, snap=snap)
        if self.fmt == "json":
            return opendata.json_stream(
                self.queryset(),
                filters=self.filters,
                published_only=not can_see_unpublished_recommendations(self.user),
            )
        raise ValueError(f"{self.fmt} is not streamed")

    def write(self, target: IO[bytes]) -> None:
        """Write the whole file to `target`, opened for binary writing."""
        if self.fmt in STREAMED:
            for piece in self.stream():
                target.write(piece)
        elif self.fmt == "xlsx":
            tabular.write_xlsx(self.queryset(), language=self.language, target=target)
        elif self.fmt == "docx":
            matrix.write_docx(
                self.queryset(), user=self.user, filters=self.filters, language=self.language, target=target
            )
        else:
            raise ValueError(f"unknown export format {self.fmt!r}")


def prepare(fmt: str, *, user, filters: selectors.Filters, language: str) -> Export:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    return Export(fmt=fmt, user=user, filters=filters, language=language)


def http_response(fmt: str, *, user, filters: selectors.Filters, language: str) -> HttpResponse:
    """The download: CSV and JSON stream to the client as they are written; XLSX and DOCX are
    written to a temporary file first (deleted once sent)."""
    export = prepare(fmt, user=user, filters=filters, language=language)
    filename = export_filename(fmt)
    if fmt in STREAMED:
        response = StreamingHttpResponse(export.stream(), content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    spool = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes (and so deletes) it
    try:
        export.write(spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[fmt])
