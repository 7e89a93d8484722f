"""Administration of the follow-up, for corrections.

The organising records (clusters, reporting periods, assignments, action plans) can be corrected
here, with every change in the audit log. What people report and assess is read-only: a progress
report moves only through its workflow (services.progress_report_*), and civil society's
assessments belong to their authors, whom not even an administrator of the state's side may
overrule. Values of indicators are kept as measured.
"""

from django.contrib import admin

from adolat.lib.admin import AuditedAdmin

from .models import (
    Action,
    Assessment,
    AssessmentReply,
    Assignment,
    Cluster,
    Evidence,
    Indicator,
    IndicatorValue,
    Notification,
    ProgressReport,
    ReportingPeriod,
)

TITLES = ["title_en", "title_ru", "title_tg"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown for reading and searching; written only through the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Cluster)
class ClusterAdmin(AuditedAdmin):
    list_display = ["__str__", "country", "origin", "state", "document", "paragraph", "created"]
    list_filter = ["state", "origin", "country"]
    search_fields = [*TITLES, "paragraph", "document__symbol"]
    raw_id_fields = ["recommendations", "document"]
    readonly_fields = ["created_by", "created", "updated"]


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(AuditedAdmin):
    list_display = ["__str__", "starts", "ends", "due", "remind_days_before"]
    search_fields = TITLES


class ActionInline(admin.TabularInline):
    model = Action
    extra = 0
    fields = ["title_en", "title_ru", "title_tg", "responsible_body", "starts", "ends"]
    autocomplete_fields = ["responsible_body"]


@admin.register(Assignment)
class AssignmentAdmin(AuditedAdmin):
    list_display = ["__str__", "lead_body", "deadline", "is_active", "created"]
    list_filter = ["is_active", "lead_body"]
    list_select_related = ["recommendation", "cluster", "lead_body"]
    raw_id_fields = ["recommendation", "cluster"]
    autocomplete_fields = ["lead_body", "supporting_bodies"]
    readonly_fields = ["created_by", "created", "updated"]
    inlines = [ActionInline]


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ["name_en", "name_ru", "name_tg", "unit", "baseline", "target"]


@admin.register(Action)
class ActionAdmin(AuditedAdmin):
    list_display = ["__str__", "assignment", "responsible_body", "starts", "ends"]
    search_fields = TITLES
    raw_id_fields = ["assignment"]
    autocomplete_fields = ["responsible_body"]
    inlines = [IndicatorInline]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "measured_on", "value", "recorded_by", "recorded"]
    list_select_related = ["indicator", "recorded_by"]
    date_hierarchy = "measured_on"


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdmin):
    list_display = ["pk", "assignment", "organisation", "period", "state", "proposed_status", "updated"]
    list_filter = ["state", "proposed_status", "organisation"]
    list_select_related = ["assignment__recommendation", "assignment__cluster", "organisation", "period"]
    search_fields = ["text", "coordinator_comment"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "report", "assessment", "added_by", "created"]
    list_select_related = ["added_by"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "recommendation", "organisation", "rating", "is_published", "created"]
    list_filter = ["rating", "is_published", "organisation"]
    list_select_related = ["recommendation", "organisation"]
    search_fields = ["reasoning"]


@admin.register(AssessmentReply)
class AssessmentReplyAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "assessment", "organisation", "created"]
    list_select_related = ["organisation", "assessment__organisation"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["subject", "user", "kind", "created", "read_at", "emailed_at"]
    list_filter = ["kind"]
    list_select_related = ["user"]
    search_fields = ["subject", "user__email"]
