"""`adolat send-reminders [--dry-run] [--today YYYY-MM-DD]`: the reporting calendar's reminders and
the coordinators' weekly digest, in the inbox and by e-mail (see adolat.followup.reminders). Run it
daily, by cron or through the background worker (adolat.followup.tasks.send_reminders)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from adolat.followup import reminders


class Command(BaseCommand):
    # Plain text: argparse cannot format a lazy translation.
    help = (
        "Send the reminders due today (report due soon, report overdue) to focal points and, on the "
        "digest's weekday, the weekly digest to coordinators: each one in the inbox and by e-mail, in "
        "the recipient's language. Running it again the same day sends nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help=_("list what would be sent; write and send nothing")
        )
        parser.add_argument("--today", help=_("act as if today were this date (YYYY-MM-DD)"))

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(
                    _("--today %(value)s: give a date as YYYY-MM-DD.") % {"value": options["today"]}
                ) from None
        messages = reminders.send_reminders(today=today, dry_run=options["dry_run"])
        for m in messages:
            self.stdout.write(f"{m.user.email}\t{m.language}\t{m.kind}\t{m.subject}")
        count = len(messages)
        if options["dry_run"]:
            self.stdout.write(
                ngettext(
                    "Dry run: %(count)s message would be sent; nothing was written or sent.",
                    "Dry run: %(count)s messages would be sent; nothing was written or sent.",
                    count,
                )
                % {"count": count}
            )
            return
        failed = sum(1 for m in messages if not m.emailed)
        self.stdout.write(
            ngettext("%(count)s message sent.", "%(count)s messages sent.", count) % {"count": count}
        )
        if failed:
            self.stderr.write(
                ngettext(
                    "%(count)s e-mail could not be sent; the next run tries again.",
                    "%(count)s e-mails could not be sent; the next run tries again.",
                    failed,
                )
                % {"count": failed}
            )
