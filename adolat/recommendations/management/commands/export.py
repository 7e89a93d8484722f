"""`adolat export --format json|csv|xlsx|docx [filters] -o FILE`: the exports of the list page from
the command line. The command acts as the system: it exports published recommendations, and the
unpublished ones too only with --include-unpublished."""

import os
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from adolat.recommendations import exports, selectors
from adolat.recommendations.exports.common import snapshot

# Filters repeatable on the page can be repeated here (--theme a --theme b); `q` and sort once.
REPEATABLE = (
    "mechanism",
    "document",
    "theme",
    "group",
    "sdg",
    "position",
    "status",
    "year",
    "state",
    "country",
)


class Command(BaseCommand):
    # Plain text: argparse cannot format a lazy translation.
    help = (
        "Export recommendations as CSV, XLSX, open-data JSON or a Word matrix, with the filters of the "
        "list page. Only published recommendations unless --include-unpublished is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=exports.FORMATS, help=_("the file format"))
        parser.add_argument(
            "-o", "--output", required=True, help=_("the file to write, or - for the standard output")
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help=_("language of headers, labels and texts (default: %(default)s)")
            % {"default": settings.LANGUAGE_CODE},
        )
        parser.add_argument("--q", default="", help=_("words to search for"))
        for name in REPEATABLE:
            parser.add_argument(
                f"--{name}",
                action="append",
                default=[],
                help=_("filter by %(name)s, as the list page does (repeatable)") % {"name": name},
            )
        parser.add_argument("--sort", choices=list(selectors.SORTS), default=selectors.DEFAULT_SORT)
        parser.add_argument(
            "--include-unpublished",
            action="store_true",
            help=_("also export recommendations that are not published"),
        )

    def handle(self, *args, **options):
        language = options["language"]
        params = QueryDict(mutable=True)
        if options["q"]:
            params["q"] = options["q"]
        for name in REPEATABLE:
            params.setlist(name, [str(v) for v in options[name]])
        params["sort"] = options["sort"]
        with override(language):
            try:
                filters = selectors.parse_filters(params)
            except selectors.InvalidFilter as exc:
                raise CommandError(" ".join(exc.errors)) from None
        user = exports.SystemPrincipal() if options["include_unpublished"] else AnonymousUser()
        export = exports.prepare(options["format"], user=user, filters=filters, language=language)
        count = snapshot(export.queryset()).count

        output = options["output"]
        if output == "-":
            export.write(sys.stdout.buffer)
            sys.stdout.flush()
            return
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(_("%(path)s: no such folder.") % {"path": path.parent})
        # Written beside the target and renamed at the end: an interrupted export leaves no half file.
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as spool:
            try:
                export.write(spool)
            except BaseException:
                spool.close()
                os.unlink(spool.name)
                raise
        os.replace(spool.name, path)
        with override(language):
            self.stdout.write(
                ngettext(
                    "%(path)s: %(count)s recommendation exported.",
                    "%(path)s: %(count)s recommendations exported.",
                    count,
                )
                % {"path": path, "count": count}
            )
