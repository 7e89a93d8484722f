from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class AdolatAdminSite(admin.AdminSite):
    site_header = _("Adolat administration")
    site_title = _("Adolat")
    index_title = _("Vocabularies, organisations and users")

    def has_permission(self, request):
        """Staff accounts and members with the administrator role may enter."""
        from adolat.accounts.models import Role

        user = request.user
        return user.is_active and (user.is_staff or user.has_role(Role.ADMINISTRATOR))


class AdolatAdminConfig(AdminConfig):
    default_site = "adolat.lib.admin_site.AdolatAdminSite"
