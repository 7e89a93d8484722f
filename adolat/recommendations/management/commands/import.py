"""`adolat import PATH`: import a file of recommendations (for now the UPR Info CSV export)."""

import difflib
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from adolat.accounts.models import User
from adolat.recommendations import countries
from adolat.recommendations.importers import ImporterError, ImportSummary, import_upr_info
from adolat.recommendations.models import Country


def resolve_country(value: str) -> Country:
    """The state named by an ISO code or a name in any language; a CommandError suggesting close
    spellings otherwise."""
    table = countries.lookup_table(Country)
    code = countries.find_country_code(value, table)
    country = Country.objects.filter(pk=code).first() if code else None
    if country is not None:
        return country
    close = difflib.get_close_matches(countries.normalise_name(value), list(table), n=5, cutoff=0.75)
    names = sorted({Country.objects.get(pk=table[name]).name_en for name in close})
    if names:
        raise CommandError(
            _('"%(value)s" is not a known state. Did you mean: %(names)s?')
            % {"value": value, "names": ", ".join(names)}
        )
    raise CommandError(
        _('"%(value)s" is not a known state: give its ISO code (such as TJ) or its name.') % {"value": value}
    )


class Command(BaseCommand):
    # Plain text: argparse cannot format a lazy translation.
    help = (
        "Import recommendations from a UPR Info CSV export, for one state under review. The whole "
        "file is one transaction: if any row is wrong nothing is saved and every wrong row is listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("the file to import"))
        parser.add_argument(
            "--country",
            help=_("the state under review, by ISO code or name (default: %(default)s)")
            % {"default": settings.ADOLAT_DEFAULT_COUNTRY},
        )
        parser.add_argument("--dry-run", action="store_true", help=_("check and count, then save nothing"))
        parser.add_argument("--json", action="store_true", help=_("print the summary as one JSON object"))
        parser.add_argument("--publish", action="store_true", help=_("publish the recommendations created"))
        parser.add_argument("--user", help=_("e-mail of the person importing, recorded in the history"))

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(_("%(path)s: no such file.") % {"path": path})
        country = resolve_country(options["country"] or settings.ADOLAT_DEFAULT_COUNTRY)
        by = None
        if options["user"]:
            by = User.objects.filter(email__iexact=options["user"].strip()).first()
            if by is None:
                raise CommandError(
                    _("No user has the e-mail address %(email)s.") % {"email": options["user"]}
                )

        try:
            summary = import_upr_info(
                path, country=country.pk, publish=options["publish"], dry_run=options["dry_run"], by=by
            )
        except ImporterError as exc:
            raise CommandError(str(exc)) from None

        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False))
        else:
            self.write_summary(summary, country, path)
        if summary.errors:
            count = len(summary.errors)
            raise CommandError(
                ngettext(
                    "%(path)s: nothing was imported, %(count)s error.",
                    "%(path)s: nothing was imported, %(count)s errors.",
                    count,
                )
                % {"path": path, "count": count},
                returncode=1,
            )

    def write_summary(self, summary: ImportSummary, country: Country, path: Path) -> None:
        if summary.errors:
            for error in summary.errors:
                self.stderr.write(error["message"])
            return
        self.stdout.write(
            _("%(path)s — UPR Info export, %(state)s:") % {"path": path.name, "state": country.name}
        )
        self.stdout.write(_("  created:   %(n)s") % {"n": summary.created})
        self.stdout.write(_("  updated:   %(n)s") % {"n": summary.updated})
        self.stdout.write(_("  unchanged: %(n)s") % {"n": summary.unchanged})
        self.stdout.write(_("  skipped (repeated in the file): %(n)s") % {"n": summary.skipped})
        if summary.other_rows:
            self.stdout.write(_("  rows about other states, left aside: %(n)s") % {"n": summary.other_rows})
        if summary.dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was saved.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Imported.")))
