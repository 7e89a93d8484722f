"""Administration pieces shared by the apps: every change made in the admin goes to the audit log,
and the audit log itself is readable there but never editable."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import audit, concurrency
from .models import AuditEntry

SECRET_FIELDS = {"password", "password1", "password2", "key_hash"}


def _form_changes(form, change: bool) -> dict:
    names = form.changed_data if change else [n for n in form.fields if n in form.cleaned_data]
    before = {n: (form.initial.get(n) if change else None) for n in names if n not in SECRET_FIELDS}
    after = {n: form.cleaned_data.get(n) for n in names if n not in SECRET_FIELDS}
    changes = audit.diff(before, after)
    changes.update({n: ["…", "…"] for n in names if n in SECRET_FIELDS})  # that it changed, never the value
    return changes


class NoLostUpdatesAdmin(admin.ModelAdmin):
    """A change form carries the record's audit token (adolat.lib.concurrency) as it was shown; a
    save made after someone else changed the record is refused with the fields they changed, the
    person's values kept in the form, which now carries the current token to save them on purpose.
    """

    change_form_template = "lib/admin/change_form.html"
    VERSION_FIELD = "_audit_token"  # the hidden input of lib/admin/change_form.html

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id is not None:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                extra_context["audit_token"] = concurrency.audit_token(obj)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        seen = request.POST.get(self.VERSION_FIELD, "") if request.method == "POST" else ""
        if obj is None or not seen.isdigit():
            return form

        class NoLostUpdateForm(form):
            def clean(self):
                data = super().clean()
                # The admin saves in a transaction: the row lock holds off a concurrent save until
                # this one is committed.
                type(obj)._default_manager.select_for_update().filter(pk=obj.pk).exists()
                entries = concurrency.entries_since(obj, token=int(seen))
                if entries:
                    fields = []
                    for row in audit.describe(entries, type(obj)):
                        fields += [f for f in row["fields"] if f not in fields] or [str(row["action"])]
                    raise ValidationError(
                        _(
                            "Someone else changed this record while you were editing it (%(fields)s). "
                            "Nothing is saved yet: check the values below, then save again to keep yours."
                        ),
                        code="conflict",
                        params={"fields": ", ".join(fields)},
                    )
                return data

        NoLostUpdateForm.__name__ = form.__name__
        return NoLostUpdateForm


class AuditedAdmin(NoLostUpdatesAdmin):
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
    list_display = ["seq", "at", "actor", "source", "action", "object_type", "object_id", "summary"]
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
