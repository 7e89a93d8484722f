"""`adolat load-open-data PATH [--dry-run] [--json]`: load an Adolat open-data JSON file (the JSON
export, docs/open-data.md) into this instance. Missing documents and recommendations are created;
records already here are left as they are; the whole file is one transaction."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from adolat.accounts.models import User
from adolat.recommendations.exports.load import load_json
from adolat.recommendations.importers.base import ImportSummary


class Command(BaseCommand):
    # Plain text: argparse cannot format a lazy translation.
    help = (
        "Load an Adolat open-data JSON file (made by `adolat export --format json`). Creates the "
        "documents and recommendations that are missing, never changes those already here, never adds "
        "vocabulary entries. The whole file is one transaction: with any error nothing is saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("the file to load"))
        parser.add_argument("--dry-run", action="store_true", help=_("check and count, then save nothing"))
        parser.add_argument("--json", action="store_true", help=_("print the summary as one JSON object"))
        parser.add_argument("--user", help=_("e-mail of the person loading, recorded in the history"))

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(_("%(path)s: no such file.") % {"path": path})
        by = None
        if options["user"]:
            by = User.objects.filter(email__iexact=options["user"].strip()).first()
            if by is None:
                raise CommandError(
                    _("No user has the e-mail address %(email)s.") % {"email": options["user"]}
                )
        summary = load_json(path.read_bytes(), by=by, dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False))
        else:
            self.write_summary(summary, path)
        if summary.errors:
            count = len(summary.errors)
            raise CommandError(
                ngettext(
                    "%(path)s: nothing was loaded, %(count)s error.",
                    "%(path)s: nothing was loaded, %(count)s errors.",
                    count,
                )
                % {"path": path, "count": count},
                returncode=1,
            )

    def write_summary(self, summary: ImportSummary, path: Path) -> None:
        if summary.errors:
            for error in summary.errors:
                self.stderr.write(error["message"])
            return
        self.stdout.write(_("%(path)s — Adolat open data:") % {"path": path.name})
        self.stdout.write(_("  created:   %(n)s") % {"n": summary.created})
        self.stdout.write(_("  unchanged: %(n)s") % {"n": summary.unchanged})
        if summary.dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was saved.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Loaded.")))
