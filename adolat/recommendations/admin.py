"""Administration of the vocabularies and, for corrections, of recommendations.

Vocabulary names edited here are kept when `adolat load-vocabularies` runs again. Recommendations
edited here get the same search index and history as any other write path (see
`RecommendationAdmin.save_related`).
"""

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from adolat.lib import audit
from adolat.lib.admin import AuditedAdmin, NoLostUpdatesAdmin

from .models import (
    AffectedGroup,
    Country,
    LabelMapping,
    Mechanism,
    NearMatch,
    Recommendation,
    SdgGoal,
    SdgTarget,
    SourceDocument,
    Theme,
)

NAMES = ["name_en", "name_ru", "name_tg"]
SHORT_TEXT = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 80})}}


@admin.register(Country)
class CountryAdmin(AuditedAdmin):
    list_display = ["code", *NAMES]
    search_fields = ["code", *NAMES, "aliases"]


@admin.register(Mechanism)
class MechanismAdmin(AuditedAdmin):
    list_display = ["code", "kind", *NAMES, "sort_order"]
    list_filter = ["kind"]
    list_editable = ["sort_order"]
    search_fields = ["code", *NAMES]


class NamedVocabularyAdmin(AuditedAdmin):
    list_display = ["code", *NAMES, "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["code", *NAMES]


@admin.register(Theme)
class ThemeAdmin(NamedVocabularyAdmin):
    pass


@admin.register(AffectedGroup)
class AffectedGroupAdmin(NamedVocabularyAdmin):
    pass


class SdgTargetInline(admin.TabularInline):
    model = SdgTarget
    extra = 0
    fields = ["code", "sort_order", "title_en", "title_ru", "title_tg"]
    formfield_overrides = SHORT_TEXT


@admin.register(SdgGoal)
class SdgGoalAdmin(AuditedAdmin):
    list_display = ["number", "short_en", "short_ru", "short_tg"]
    search_fields = ["=number", "title_en", "title_ru", "title_tg", "short_en", "short_ru", "short_tg"]
    inlines = [SdgTargetInline]
    formfield_overrides = SHORT_TEXT


@admin.register(SdgTarget)
class SdgTargetAdmin(AuditedAdmin):
    list_display = ["code", "goal", "title_en"]
    list_filter = ["goal"]
    list_select_related = ["goal"]
    search_fields = ["code", "title_en", "title_ru", "title_tg"]
    formfield_overrides = SHORT_TEXT


@admin.register(LabelMapping)
class LabelMappingAdmin(AuditedAdmin):
    list_display = ["label", "source", "theme", "affected_group"]
    list_filter = ["source"]
    list_select_related = ["theme", "affected_group"]
    search_fields = ["label"]
    autocomplete_fields = ["theme", "affected_group"]


@admin.register(SourceDocument)
class SourceDocumentAdmin(AuditedAdmin):
    list_display = ["symbol", "title_en", "mechanism", "country", "year", "session"]
    list_filter = ["mechanism", "year"]
    list_select_related = ["mechanism", "country"]
    search_fields = ["symbol", "title_en", "title_ru", "title_tg", "session"]
    autocomplete_fields = ["mechanism", "country"]


class RecommendationAdminForm(forms.ModelForm):
    class Meta:
        model = Recommendation
        fields = [
            "country",
            "mechanism",
            "document",
            "paragraph",
            "text_tg",
            "text_ru",
            "text_en",
            "original_language",
            "recommending_states",
            "position",
            "status",
            "themes",
            "affected_groups",
            "sdg_goals",
            "sdg_targets",
            "year",
            "is_published",
        ]

    def clean(self):
        # The rule services._apply enforces for every other write path.
        cleaned = super().clean()
        if not any((cleaned.get(f) or "").strip() for f in ("text_tg", "text_ru", "text_en")):
            raise forms.ValidationError(
                _("A recommendation needs its text in at least one language."), code="required"
            )
        return cleaned


def _audit_value(value):
    """A form value as the audit log stores it: objects by primary key, querysets as lists."""
    if isinstance(value, QuerySet):
        return list(value)
    return value


@admin.register(Recommendation)
class RecommendationAdmin(NoLostUpdatesAdmin):
    form = RecommendationAdminForm
    list_display = ["reference", "mechanism", "position", "status", "is_published", "year"]
    list_filter = ["mechanism", "position", "status", "is_published", "year"]
    list_select_related = ["document", "mechanism"]
    search_fields = ["text_en", "text_ru", "text_tg", "paragraph", "document__symbol"]
    autocomplete_fields = [
        "country",
        "mechanism",
        "document",
        "recommending_states",
        "themes",
        "affected_groups",
        "sdg_goals",
        "sdg_targets",
    ]
    readonly_fields = ["created", "updated"]

    @admin.display(description=_("reference"), ordering="paragraph")
    def reference(self, obj: Recommendation) -> str:
        return obj.reference or f"#{obj.pk}"

    def save_related(self, request, form, formsets, change):
        """After the admin has saved the record and its tags, do what the services do on every
        other write path: a target implies its goal, the search index follows the text, and the
        change is in the history. (The admin runs all this in one transaction.)"""
        super().save_related(request, form, formsets, change)
        rec = form.instance
        goals = set(rec.sdg_targets.values_list("goal_id", flat=True))
        if goals:
            rec.sdg_goals.add(*goals)
        names = []
        for state in rec.recommending_states.all():
            names += [state.name_en, state.name_ru, state.name_tg]
        rec.search_document = rec.build_search_document(names)
        Recommendation.objects.filter(pk=rec.pk).update(search_document=rec.search_document)

        fields = form.changed_data if change else [f for f in form.fields if f in form.cleaned_data]
        before = {f: _audit_value(form.initial.get(f)) for f in fields} if change else {}
        after = {f: _audit_value(form.cleaned_data.get(f)) for f in fields}
        if "sdg_goals" in after or "sdg_targets" in after:
            # The goals actually stored, including those implied by targets.
            before.setdefault("sdg_goals", form.initial.get("sdg_goals") if change else [])
            after["sdg_goals"] = list(rec.sdg_goals.all())
        changes = audit.diff(before, after)
        if change and not changes:
            return
        audit.record(
            instance=rec,
            action="update" if change else "create",
            by=request.user,
            source="admin",
            changes=changes,
            summary=rec.reference,
        )

    def delete_model(self, request, obj):
        self._record_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._record_deletion(request, obj)
        super().delete_queryset(request, queryset)

    def _record_deletion(self, request, obj: Recommendation) -> None:
        audit.record(instance=obj, action="delete", by=request.user, source="admin", summary=obj.reference)


# --- Near matches listed by imports (append-only section) ---------------------------------------


@admin.register(NearMatch)
class NearMatchAdmin(admin.ModelAdmin):
    """Near matches an import listed: a coordinator compares the two texts and confirms (merge into
    the stored record) or dismisses, through the actions; nothing is edited by hand."""

    list_display = ["__str__", "state", "imported_text", "stored_text", "score", "found_in", "created"]
    list_filter = ["state"]
    list_select_related = ["recommendation", "existing"]
    search_fields = ["recommendation__text_en", "existing__text_en", "found_in"]
    readonly_fields = [
        "recommendation",
        "existing",
        "score",
        "state",
        "found_in",
        "created",
        "decided_by",
        "decided",
    ]
    actions = ["confirm", "dismiss"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("imported text"))
    def imported_text(self, obj: NearMatch) -> str:
        return obj.recommendation.text.text if obj.recommendation_id else "—"

    @admin.display(description=_("stored text"))
    def stored_text(self, obj: NearMatch) -> str:
        return obj.existing.text.text

    def _decide(self, request, queryset, service, done_message):
        from django.contrib import messages
        from django.core.exceptions import ValidationError

        done = 0
        for near_match in queryset:
            try:
                service(near_match=near_match, by=request.user, source="admin")
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{near_match}: {' '.join(exc.messages)}", messages.WARNING)
        if done:
            self.message_user(request, done_message % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Confirm: the same recommendation (merge into the stored one)"))
    def confirm(self, request, queryset):
        from .importers.near_matches import near_match_confirm

        self._decide(request, queryset, near_match_confirm, _("Merged: %(n)s."))

    @admin.action(description=_("Dismiss: different recommendations"))
    def dismiss(self, request, queryset):
        from .importers.near_matches import near_match_dismiss

        self._decide(request, queryset, near_match_dismiss, _("Dismissed: %(n)s."))
