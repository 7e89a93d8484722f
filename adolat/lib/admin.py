"""Administration pieces shared by the apps: every change made in the admin goes to the audit log,
and the audit log itself is readable there but never editable."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import audit
from .models import AuditEntry

SECRET_FIELDS = {"password", "password1", "password2", "key_hash"}


def _form_changes(form, change: bool) -> dict:
    names = form.changed_data if change else [n for n in form.fields if n in form.cleaned_data]
    before = {n: (form.initial.get(n) if change else None) for n in names if n not in SECRET_FIELDS}
    after = {n: form.cleaned_data.get(n) for n in names if n not in SECRET_FIELDS}
    changes = audit.diff(before, after)
    changes.update({n: ["…", "…"] for n in names if n in SECRET_FIELDS})  # that it changed, never the value
    return changes


class AuditedAdmin(admin.ModelAdmin):
    """Records creations, changes (field by field, before and after) and deletions."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changes = _form_changes(form, change)
        if change and not changes:
            return
        audit.record(
            instance=obj,
            action="update" if change else "create",
            by=request.user,
            source="admin",
            changes=changes,
            summary=str(obj),
        )

    def delete_model(self, request, obj):
        audit.record(instance=obj, action="delete", by=request.user, source="admin", summary=str(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        audit.record_many(
            audit.entry(instance=obj, action="delete", by=request.user, source="admin", summary=str(obj))
            for obj in queryset
        )
        super().delete_queryset(request, queryset)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "source", "action", "object_type", "object_id", "summary"]
    list_filter = ["source", "action", "object_type"]
    search_fields = ["object_type", "object_id", "summary", "actor__email"]
    date_hierarchy = "at"
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # append-only

    @admin.display(description=_("changes"))
    def changes_display(self, obj):
        return obj.changes
