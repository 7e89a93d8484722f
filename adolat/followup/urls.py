from django.urls import path

from . import views

app_name = "followup"
urlpatterns = [
    path("", views.my_work, name="my-work"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox-read-all"),
    path("inbox/<int:pk>/read/", views.notification_read, name="notification-read"),
    path("periods/", views.period_list, name="periods"),
    path("recommendations/<int:pk>/assign/", views.assignment_create, name="assignment-create"),
    path("recommendations/<int:pk>/assess/", views.assessment_create, name="assessment-create"),
    path("assignments/<int:pk>/report/", views.report_create, name="report-create"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report-edit"),
    path("reports/<int:pk>/submit/", views.report_submit, name="report-submit"),
    path("reports/<int:pk>/resubmit/", views.report_resubmit, name="report-resubmit"),
    path("reports/<int:pk>/return/", views.report_return, name="report-return"),
    path("reports/<int:pk>/validate/", views.report_validate, name="report-validate"),
    path("reports/<int:pk>/evidence/", views.evidence_add, name="evidence-add"),
    path("evidence/<int:pk>/file/", views.evidence_file, name="evidence-file"),
    path("assessments/<int:pk>/reply/", views.assessment_reply, name="assessment-reply"),
]
