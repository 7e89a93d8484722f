from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class AdolatAdminSite(admin.AdminSite):
    site_header = _("Adolat administration")
    site_title = _("Adolat")
    index_title = _("Vocabularies, organisations and users")

    def has_permission(self, request):
        """Staff accounts and members with the administrator role may enter, once this session
        has passed the second factor (adolat/accounts/mfa.py)."""
        from adolat.accounts.permissions import can_use_admin

        return can_use_admin(request.user)


class AdolatAdminConfig(AdminConfig):
    default_site = "adolat.lib.admin_site.AdolatAdminSite"
