"""`adolat suggest-clusters [--country ISO] [--threshold N] [--dry-run] [--json]`: suggest clusters
of near-identical recommendations for coordinators to confirm, edit or reject (see
adolat.followup.clustering)."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from adolat.followup import clustering
from adolat.recommendations.models import Country

AUDIT_SOURCE = "command"


class Command(BaseCommand):
    # Plain text: argparse cannot format a lazy translation.
    help = (
        "Group near-identical recommendations of a state under review (several states often "
        "recommend the same thing) into suggested clusters for coordinators to confirm, edit or "
        "reject. Recommendations already in a confirmed cluster and suggestions already proposed or "
        "rejected are left out, so running it again suggests nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--country",
            help=_("the state under review, by ISO code (default: each state this instance tracks)"),
        )
        parser.add_argument(
            "--threshold",
            type=float,
            default=clustering.DEFAULT_THRESHOLD,
            help=_("how similar texts must be, from 1 to 100 (default: %(default)s)")
            % {"default": clustering.DEFAULT_THRESHOLD},
        )
        parser.add_argument("--dry-run", action="store_true", help=_("list the suggestions; save nothing"))
        parser.add_argument("--json", action="store_true", help=_("print the suggestions as JSON"))

    def handle(self, *args, **options):
        threshold = options["threshold"]
        if not 0 < threshold <= 100:
            raise CommandError(_("--threshold must be above 0 and at most 100."))
        codes = [options["country"]] if options["country"] else settings.ADOLAT_COUNTRIES
        countries = []
        for code in codes:
            country = Country.objects.filter(pk=code.strip().upper()).first()
            if country is None:
                raise CommandError(
                    _('"%(value)s" is not a known state: give its ISO code, such as TJ.') % {"value": code}
                )
            countries.append(country)

        suggestions = []
        for country in countries:
            if options["dry_run"]:
                found = clustering.find_suggestions(country=country, threshold=threshold)
            else:
                found = clustering.record_suggestions(
                    country=country, threshold=threshold, source=AUDIT_SOURCE
                )
            suggestions += found

        if options["json"]:
            self.stdout.write(json.dumps([s.as_dict() for s in suggestions], ensure_ascii=False))
            return
        for s in suggestions:
            self.stdout.write(
                (f"#{s.cluster.pk} " if s.cluster else "")
                + s.as_dict()["title"]
                + f" ({len(s.recommendations)})"
            )
            for r in s.recommendations:
                score = s.scores.get(r.pk, 100.0)
                text = clustering.short_title(clustering.comparison_text(r), 90)
                self.stdout.write(f"    {score:5.1f}  {r.pk:>7}  {text}")
        count = len(suggestions)
        if options["dry_run"]:
            self.stdout.write(
                ngettext(
                    "Dry run: %(count)s cluster would be suggested; nothing was saved.",
                    "Dry run: %(count)s clusters would be suggested; nothing was saved.",
                    count,
                )
                % {"count": count}
            )
        else:
            self.stdout.write(
                ngettext("%(count)s cluster suggested.", "%(count)s clusters suggested.", count)
                % {"count": count}
            )
