"""`adolat verify-audit [--anchor SEQ:HASH …]`: checks that the audit log is whole and unaltered.

Walks the hash chain (adolat.lib.chain) from the first entry to the last, a chunk at a time, and
reports the first broken link with exit code 1; otherwise prints the number of entries and the
last entry's hash, worth noting somewhere else (an anchor for a later run)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from adolat.lib import audit


def _anchor(value: str) -> tuple[int, str]:
    seq, sep, digest = value.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise CommandError(
            _("--anchor %(value)s: give SEQ:HASH as printed by an earlier run.") % {"value": value}
        )
    return int(seq), digest.lower()


class Command(BaseCommand):
    # Plain text: argparse cannot format a lazy translation.
    help = (
        "Verify the audit log's hash chain: report the first entry that was changed, deleted, "
        "inserted or moved (exit code 1), or the number of entries checked."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help=_("an entry's number and hash noted from an earlier run; it must be unchanged"),
        )
        parser.add_argument("--chunk", type=int, default=5000, help=_("entries read at a time"))

    def handle(self, *args, **options):
        anchors = dict(_anchor(a) for a in options["anchor"])
        result = audit.verify(chunk=max(1, options["chunk"]), anchors=anchors)
        if result.broken:
            self.stderr.write(result.broken.message)
            self.stderr.write(
                _("%(count)s entries before it are intact (up to #%(seq)s).")
                % {"count": result.count, "seq": result.head_seq}
            )
            raise CommandError(_("The audit log has been tampered with."), returncode=1)
        self.stdout.write(
            _("OK: %(count)s audit entries, chain intact. Last entry: #%(seq)s %(hash)s")
            % {"count": result.count, "seq": result.head_seq, "hash": result.head_hash}
        )
