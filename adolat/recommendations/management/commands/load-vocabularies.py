"""`adolat load-vocabularies`: load the vocabularies shipped with this release.

The data migration loads them on a fresh install; run this after an upgrade that ships new
vocabulary rows (new themes, mappings of new labels). Rows missing from the database are added and
empty names filled; names edited in the administration are kept.
"""

import json

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from adolat.recommendations import vocabularies


class Command(BaseCommand):
    help = _(
        "Load the vocabularies shipped with Adolat (states, mechanisms, themes, affected groups, "
        "SDG goals and targets, label mappings). Adds missing rows and fills empty names; never "
        "overwrites a name edited by an administrator."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help=_("Print the result as JSON (for scripts)."))

    def create_parser(self, prog_name, subcommand, **kwargs):
        # argparse formats the description with regular expressions, which need a real string.
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def handle(self, *args, **options):
        with transaction.atomic():
            result = vocabularies.load_all(apps)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, sort_keys=True))
            return
        changed = False
        for name, counts in result.items():
            if counts["created"] or counts["filled"]:
                changed = True
                self.stdout.write(
                    _("%(name)s: %(created)d created, %(filled)d with names filled in")
                    % {"name": name, **counts}
                )
        if not changed:
            self.stdout.write(_("The vocabularies are up to date: nothing to add."))
        else:
            self.stdout.write(self.style.SUCCESS(_("Vocabularies loaded.")))
