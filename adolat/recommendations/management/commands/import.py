"""`adolat import PATH`: import a file of recommendations in any of the formats of `importers`."""

import argparse
import difflib
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from adolat.accounts.models import User
from adolat.recommendations import countries
from adolat.recommendations.importers import FORMAT_NAMES, FORMATS, ImporterError, ImportSummary, run_import
from adolat.recommendations.importers.generic import FIELDS, parse_mapping
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


# Plain text: argparse cannot format a lazy translation, and help is read by administrators.
HELP = """Import recommendations about one state under review from a file, in one transaction.

Formats, recognised from the content unless --format names one:
  upr_info      UPR Info database export (CSV in Mac Roman or UTF-8, XLS, XLSX)
  uhri          Universal Human Rights Index export (CSV, XLSX)
  ohchr_matrix  OHCHR "Thematic list of recommendations" (Word .docx)
  un_document   the UN document with numbered paragraphs (PDF, .docx, text)
  generic       any table (CSV, XLSX, XLS) read through --map FIELD=COLUMN

Fields of --map (the column of `text` is required):
{fields}

If any recommendation is wrong nothing is saved, every error is listed (row or paragraph, column,
value, reason) and the command exits with status 1. With --skip-invalid the valid recommendations
are saved and the others listed; the exit status is then 0, unless no recommendation could be
imported (1). --json prints exactly {{"created", "updated", "unchanged", "skipped", "errors": [{{"row",
"message"}}]}}, where "row" is the spreadsheet row (the header is row 1), a paragraph number
("88.1") for documents, or null for the file as a whole. Recommendations close to a stored one but
not the same are created and listed as near matches for a coordinator (Administration › Near
matches); labels that map onto no theme or group are errors, to be mapped under Administration ›
Label mappings."""


class Command(BaseCommand):
    # The system checks (URLs, templates) take a second and concern the web server, not an import.
    requires_system_checks = []
    help = HELP.format(fields="\n".join(f"  {name:10} {str(text)}" for name, text in FIELDS.items()))

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("the file to import"))
        parser.add_argument(
            "--format",
            choices=list(FORMATS),
            help=_("the file's format, when it is not to be recognised from the content"),
        )
        parser.add_argument(
            "--country",
            help=_("the state under review, by ISO code or name (default: %(default)s)")
            % {"default": settings.ADOLAT_DEFAULT_COUNTRY},
        )
        parser.add_argument(
            "--document",
            help=_("the UN symbol of the source document (A/HRC/19/3) where the file does not say it"),
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help=_("read a generic table: which column holds which field (repeat for each field)"),
        )
        parser.add_argument("--dry-run", action="store_true", help=_("check and count, then save nothing"))
        parser.add_argument("--json", action="store_true", help=_("print the summary as one JSON object"))
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help=_(
                "save the valid recommendations and list the others (exit status 0 unless none was valid)"
            ),
        )
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
            mapping = parse_mapping(options["map"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if mapping and options["format"] not in (None, "generic"):
            raise CommandError(_("--map reads a generic table: it cannot be used with another --format."))

        try:
            summary = run_import(
                path.read_bytes(),
                filename=path.name,
                format=options["format"],
                country=country,
                document=options["document"],
                mapping=mapping or None,
                dry_run=options["dry_run"],
                skip_invalid=options["skip_invalid"],
                publish=options["publish"],
                by=by,
            )
        except ImporterError as exc:
            raise CommandError(str(exc)) from None

        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False))
        else:
            self.write_summary(summary, country, path)
        if summary.errors and not (options["skip_invalid"] and summary.imported):
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
        for error in summary.errors:
            self.stderr.write(error["message"])
        if summary.errors and not summary.imported:
            self._unknown_labels(summary)
            return
        kind = FORMAT_NAMES.get(summary.format, summary.format)
        self.stdout.write(
            _("%(path)s — %(format)s, %(state)s:")
            % {"path": path.name, "format": kind, "state": country.name}
        )
        self.stdout.write(_("  created:   %(n)s") % {"n": summary.created})
        self.stdout.write(_("  updated:   %(n)s") % {"n": summary.updated})
        self.stdout.write(_("  unchanged: %(n)s") % {"n": summary.unchanged})
        self.stdout.write(_("  skipped (repeated in the file): %(n)s") % {"n": summary.skipped})
        if summary.invalid:
            self.stdout.write(_("  left out for their errors: %(n)s") % {"n": summary.invalid})
        if summary.other_rows:
            self.stdout.write(_("  rows about other states, left aside: %(n)s") % {"n": summary.other_rows})
        if summary.near_matches:
            self.stdout.write(
                _("  near matches of stored recommendations, for a coordinator to confirm: %(n)s")
                % {"n": summary.near_matches}
            )
        if summary.clusters:
            self.stdout.write(_("  ready-made clusters: %(n)s") % {"n": summary.clusters})
        for warning in summary.warnings:
            self.stdout.write(self.style.WARNING(warning))
        self._unknown_labels(summary)
        if summary.dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was saved.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Imported.")))

    def _unknown_labels(self, summary: ImportSummary) -> None:
        if summary.unknown_labels:
            labels = sorted({label for _source, label in summary.unknown_labels})
            self.stderr.write(
                _(
                    "Labels that map onto no theme or group (map them under Administration › Label "
                    "mappings, then import again): %(labels)s"
                )
                % {"labels": "; ".join(labels)}
            )
