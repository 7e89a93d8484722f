from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from adolat.lib.i18n import localized
from adolat.recommendations.models import Country, Recommendation, SourceDocument


class VisibleToQuerySet(models.QuerySet):
    """`Model.objects.visible_to(user)`: the one scope for lists of a follow-up noun. The rule
    itself lives in `adolat.followup.permissions.visibility`, beside the gates."""

    def visible_to(self, user):
        from . import permissions

        return self.filter(permissions.visibility(self.model, user))


class Cluster(models.Model):
    """Near-identical recommendations grouped so they are assigned and reported on once.

    A cluster comes from a paragraph of a UN document that holds several recommendations, from
    Adolat's text-similarity suggestions, or from a coordinator; suggestions count only once a
    coordinator has confirmed them.
    """

    class Origin(models.TextChoices):
        DOCUMENT = "document", _("paragraph of the source document")
        SUGGESTED = "suggested", _("suggested by text similarity")
        MANUAL = "manual", _("made by a coordinator")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")

    country = models.ForeignKey(
        Country, verbose_name=_("state under review"), on_delete=models.PROTECT, related_name="clusters"
    )
    title_tg = models.CharField(_("title (Tajik)"), max_length=255, blank=True)
    title_ru = models.CharField(_("title (Russian)"), max_length=255, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    origin = models.CharField(_("origin"), max_length=12, choices=Origin.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PROPOSED)
    document = models.ForeignKey(
        SourceDocument, verbose_name=_("source document"), null=True, blank=True, on_delete=models.PROTECT
    )
    paragraph = models.CharField(_("paragraph"), max_length=32, blank=True)
    recommendations = models.ManyToManyField(
        Recommendation, verbose_name=_("recommendations"), related_name="clusters"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = VisibleToQuerySet.as_manager()

    class Meta:
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")
        ordering = ["-created", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "paragraph"],
                condition=models.Q(origin="document"),
                name="cluster_unique_document_paragraph",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"

    @property
    def title(self) -> str:
        return localized(self, "title").text


class ReportingPeriod(models.Model):
    """A period state bodies report on (the reporting calendar of a cycle), with its due date."""

    title_tg = models.CharField(_("title (Tajik)"), max_length=120, blank=True)
    title_ru = models.CharField(_("title (Russian)"), max_length=120, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=120, blank=True)
    starts = models.DateField(_("starts"))
    ends = models.DateField(_("ends"))
    due = models.DateField(_("reports due"))
    remind_days_before = models.PositiveSmallIntegerField(_("remind this many days before"), default=14)

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["-due"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gte=models.F("starts")), name="period_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return localized(self, "title").text or f"{self.starts} – {self.ends}"


class Assignment(models.Model):
    """Who in the state answers for a recommendation (or a whole cluster), by when."""

    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    cluster = models.ForeignKey(
        Cluster,
        verbose_name=_("cluster"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    lead_body = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("lead body"),
        on_delete=models.PROTECT,
        related_name="lead_assignments",
    )
    supporting_bodies = models.ManyToManyField(
        "accounts.Organisation",
        verbose_name=_("supporting bodies"),
        blank=True,
        related_name="supporting_assignments",
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = VisibleToQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(recommendation__isnull=False, cluster__isnull=True)
                    | models.Q(recommendation__isnull=True, cluster__isnull=False)
                ),
                name="assignment_of_recommendation_or_cluster",
            )
        ]
        indexes = [
            models.Index(fields=["lead_body", "is_active"], name="assignment_lead_idx"),
            # The active assignments made before a period's due date: those a report is owed by
            # (the overdue counts of "my work", selectors._overdue_everywhere).
            models.Index(fields=["created"], condition=models.Q(is_active=True), name="assignment_owing_idx"),
            # The same in the order of the overdue list (deadline, then id), which is then read
            # until it has its first rows instead of sorted whole.
            models.Index(
                fields=["deadline", "id"], condition=models.Q(is_active=True), name="assignment_late_idx"
            ),
        ]

    def __str__(self) -> str:
        target = self.recommendation or self.cluster
        return f"{target} → {self.lead_body}"


class Action(models.Model):
    """An action of a National Action Plan serving an assignment."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="actions"
    )
    title_tg = models.TextField(_("action (Tajik)"), blank=True)
    title_ru = models.TextField(_("action (Russian)"), blank=True)
    title_en = models.TextField(_("action (English)"), blank=True)
    responsible_body = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("responsible body"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    starts = models.DateField(_("starts"), null=True, blank=True)
    ends = models.DateField(_("ends"), null=True, blank=True)

    class Meta:
        verbose_name = _("action plan action")
        verbose_name_plural = _("action plan actions")
        ordering = ["starts", "id"]

    def __str__(self) -> str:
        return localized(self, "title").text[:80]


class Indicator(models.Model):
    action = models.ForeignKey(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="indicators"
    )
    name_tg = models.CharField(_("name (Tajik)"), max_length=255, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=255, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["id"]

    def __str__(self) -> str:
        return localized(self, "name").text


class IndicatorValue(models.Model):
    """A measured value of an indicator at a date; kept over time, never overwritten."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="values"
    )
    measured_on = models.DateField(_("measured on"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["measured_on", "id"]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.value} ({self.measured_on})"


class ProgressReport(models.Model):
    """A state body's report on an assignment for a period.

    draft → submitted → validated, or submitted → returned (with the coordinator's comment) →
    resubmitted. A validated report is sealed: only a newer report supersedes it.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned for revision")
        VALIDATED = "validated", _("validated")
        SUPERSEDED = "superseded", _("superseded")

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="reports"
    )
    period = models.ForeignKey(
        ReportingPeriod,
        verbose_name=_("reporting period"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("reporting body"),
        on_delete=models.PROTECT,
        related_name="progress_reports",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="progress_reports",
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT)
    text = models.TextField(_("what was done"))
    language = models.CharField(
        _("language"),
        max_length=2,
        default="tg",
        choices=[("tg", "Тоҷикӣ"), ("ru", "Русский"), ("en", "English")],
    )
    proposed_status = models.CharField(
        _("proposed status"), max_length=24, choices=Recommendation._meta.get_field("status").choices
    )
    coordinator_comment = models.TextField(_("coordinator's comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("validated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("supersedes"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    version = models.PositiveIntegerField(default=1, editable=False)  # for optimistic locking
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = VisibleToQuerySet.as_manager()

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["state", "assignment"], name="report_state_idx"),
            # Was a report validated for this assignment and period (the overdue rule)? Without it
            # SQLite answers from the period's index, every report of the period for every
            # assignment: 2.6 s per period for a coordinator's "my work" at 50,000 assignments.
            models.Index(fields=["assignment", "period", "state"], name="report_owed_idx"),
            # The coordinator's queue: submitted reports, oldest first.
            models.Index(fields=["state", "submitted_at", "id"], name="report_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.get_state_display()}"


class Evidence(models.Model):
    """A file or a link supporting a progress report or an assessment."""

    report = models.ForeignKey(
        ProgressReport,
        verbose_name=_("progress report"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    assessment = models.ForeignKey(
        "Assessment",
        verbose_name=_("assessment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    url = models.URLField(_("link"), blank=True)
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/", blank=True)
    # The uploader's own file name, shown and offered as the download name only; the stored
    # file has a generated name.
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(report__isnull=False, assessment__isnull=True)
                    | models.Q(report__isnull=True, assessment__isnull=False)
                ),
                name="evidence_of_report_or_assessment",
            ),
            models.CheckConstraint(condition=~models.Q(url="", file=""), name="evidence_has_link_or_file"),
        ]

    def __str__(self) -> str:
        return self.description or self.url or self.file.name


class Assessment(models.Model):
    """Civil society's independent assessment of a recommendation: published under the
    organisation's name without anyone's approval; nobody else can edit or delete it."""

    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        on_delete=models.PROTECT,
        related_name="assessments",
        db_index=False,  # assessment_latest_idx leads with it (a second index would be chosen instead)
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="assessments",
    )
    rating = models.CharField(
        _("rating"), max_length=24, choices=Recommendation._meta.get_field("status").choices
    )
    reasoning = models.TextField(_("reasoning"))
    language = models.CharField(
        _("language"),
        max_length=2,
        default="tg",
        choices=[("tg", "Тоҷикӣ"), ("ru", "Русский"), ("en", "English")],
    )
    is_published = models.BooleanField(_("published"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = VisibleToQuerySet.as_manager()

    class Meta:
        verbose_name = _("independent assessment")
        verbose_name_plural = _("independent assessments")
        ordering = ["-created", "-id"]
        # A recommendation's latest published assessment (its rating beside the state's status, the
        # coordinator's disagreements) is read by seeking this index, not by sorting.
        indexes = [models.Index(fields=["recommendation", "-created", "-id"], name="assessment_latest_idx")]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_rating_display()}"


class AssessmentReply(models.Model):
    """A coordinator's or state body's reply to an assessment, shown under it."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.PROTECT, related_name="replies"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("reply"))
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("reply to an assessment")
        verbose_name_plural = _("replies to assessments")
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.text[:60]}"


class Notification(models.Model):
    """An item of a person's in-app inbox; reminders and digests are also e-mailed.

    `key` makes sending idempotent: the same reminder for the same report and day is created once.
    """

    class Kind(models.TextChoices):
        REPORT_DUE = "report_due", _("report due soon")
        REPORT_OVERDUE = "report_overdue", _("report overdue")
        REPORT_RETURNED = "report_returned", _("report returned")
        REPORT_SUBMITTED = "report_submitted", _("report waiting for validation")
        REPORT_VALIDATED = "report_validated", _("report validated")
        ASSIGNED = "assigned", _("new assignment")
        DIGEST = "digest", _("weekly digest")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=120)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("message"))
    url = models.CharField(_("link"), max_length=255, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_unique_key")]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return self.subject
