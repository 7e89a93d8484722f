"""`adolat backup PATH [--passphrase-file FILE]`: an encrypted, consistent backup of the whole
instance (database and uploaded files), taken while the app is in use. See adolat/lib/backup.py."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from adolat.lib import backup


class Command(BaseCommand):
    # Plain text: argparse cannot format a lazy translation.
    help = (
        "Write an encrypted backup of the database and the uploaded files to PATH (a file, or a "
        "folder for a dated file). The passphrase comes from ADOLAT_BACKUP_PASSPHRASE(_FILE) or "
        "--passphrase-file."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH")
        parser.add_argument("--passphrase-file", metavar="FILE", help=_("a file holding the passphrase"))

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            passphrase = backup.read_passphrase(options["passphrase_file"])
            summary = backup.create(options["path"], passphrase=passphrase)
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=1) from None
        self.stdout.write(
            _(
                "Backup written to %(path)s (%(size)s, %(vendor)s, %(rows)s rows in %(tables)s tables, "
                "%(files)s files) in %(seconds).1f s."
            )
            % {
                "path": summary.path,
                "size": filesizeformat(summary.bytes),
                "vendor": summary.vendor,
                "rows": sum(summary.tables.values()),
                "tables": len(summary.tables),
                "files": summary.files,
                "seconds": time.monotonic() - started,
            }
        )
