"""`adolat lock-everything [--yes]`: end every session and revoke every API token at once (a seized
device, an emergency). The same action as the administrators' page; recorded in the audit log."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from adolat.accounts.security import lock_everything
from adolat.lib.models import AuditEntry


class Command(BaseCommand):
    help = "Ends every session and revokes every API token at once."

    def add_arguments(self, parser):
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, yes: bool = False, **options):
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError(
                    _("Confirm with --yes: everyone will be signed out and every API token revoked.")
                )
            question = _("Sign everyone out and revoke every API token? Type %(word)s to go on: ")
            answer = input(question % {"word": "yes"})
            if answer.strip().lower() != "yes":
                raise CommandError(_("Nothing was changed."))
        done = lock_everything(by=None, source=AuditEntry.Source.COMMAND)
        self.stdout.write(_("%(sessions)d sessions ended and %(tokens)d API tokens revoked.") % done)
