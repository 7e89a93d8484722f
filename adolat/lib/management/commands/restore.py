"""`adolat restore PATH [--passphrase-file FILE]`: restores a backup made by `adolat backup` into an
empty instance, then verifies it (integrity, row counts, checksums). Exit code 1 on any mismatch.
See adolat/lib/backup.py."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from adolat.lib import backup


class Command(BaseCommand):
    # Plain text: argparse cannot format a lazy translation.
    help = (
        "Restore an encrypted backup into this instance, which must be empty, and verify the result "
        "against the backup's manifest (exit code 1 on any difference)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH")
        parser.add_argument("--passphrase-file", metavar="FILE", help=_("a file holding the passphrase"))

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            passphrase = backup.read_passphrase(options["passphrase_file"])
            summary = backup.restore(options["path"], passphrase=passphrase, progress=self.stdout.write)
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=1) from None
        for problem in summary.problems:
            self.stderr.write(problem)
        if summary.problems:
            raise CommandError(
                _("The restored instance does not match the backup (%(n)s differences).")
                % {"n": len(summary.problems)},
                returncode=1,
            )
        self.stdout.write(
            _(
                "Restored and verified: %(rows)s rows in %(tables)s tables and %(files)s files match the "
                "backup; the database passed its integrity check (%(seconds).1f s)."
            )
            % {
                "rows": sum(summary.tables.values()),
                "tables": len(summary.tables),
                "files": summary.files,
                "seconds": time.monotonic() - started,
            }
        )
