from django.contrib.auth.backends import ModelBackend

from .models import Role


class RoleBackend(ModelBackend):
    """Roles are data: a member with the administrator role holds every model permission (for the
    administration of vocabularies, organisations and users); other permissions come from Django's
    groups and per-user permissions as usual."""

    def has_perm(self, user_obj, perm, obj=None):
        if user_obj.is_active and user_obj.has_role(Role.ADMINISTRATOR):
            return True
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label):
        if user_obj.is_active and user_obj.has_role(Role.ADMINISTRATOR):
            return True
        return super().has_module_perms(user_obj, app_label)
