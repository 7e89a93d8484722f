"""`adolat demo-code`: the current code of the demo accounts' authenticator app (see load-demo),
for trying the demo without an authenticator app. Debug mode only."""

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django_otp.oath import TOTP

load_demo = import_module("adolat.accounts.management.commands.load-demo")


class Command(BaseCommand):
    help = "Print the current second-factor code of the demo accounts (debug mode only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(_("demo-code runs only with DEBUG=1: it is for the demo accounts."))
        totp = TOTP(bytes.fromhex(load_demo.demo_totp_key_hex()))
        self.stdout.write(
            _("Code: %(code)s (valid for %(seconds)s seconds)")
            % {
                "code": f"{totp.token():06d}",
                "seconds": totp.step - int(totp.time - totp.t0) % totp.step,
            }
        )
