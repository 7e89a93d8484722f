from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "adolat.accounts"
    label = "accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self):
        # Signal receivers: the session clock at sign-in, sessions ended on deactivation.
        # Failed sign-ins and lockouts in the audit log.
        from . import security, signals  # noqa: F401
