import contextvars

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from adolat.lib.i18n import LocalizedNameMixin, localized
from adolat.lib.text import fold_joined

# --- Vocabularies (shipped with the product, edited by administrators) -------------------------


class Country(LocalizedNameMixin, models.Model):
    """A state, by ISO 3166-1 alpha-2 code; `aliases` holds other spellings met in imports."""

    code = models.CharField(_("ISO code"), max_length=2, primary_key=True)
    name_tg = models.CharField(_("name (Tajik)"), max_length=120, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=120, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    aliases = models.TextField(
        _("other names"), blank=True, help_text=_("One per line, as found in source files.")
    )

    class Meta:
        verbose_name = _("state")
        verbose_name_plural = _("states")
        ordering = ["name_en"]


class Mechanism(LocalizedNameMixin, models.Model):
    class Kind(models.TextChoices):
        UPR = "upr", _("Universal Periodic Review")
        TREATY_BODY = "treaty_body", _("treaty body")
        SPT = "spt", _("Subcommittee on Prevention of Torture")
        SPECIAL_PROCEDURES = "special_procedures", _("special procedures")
        NATIONAL = "national", _("national source")

    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name_tg = models.CharField(_("name (Tajik)"), max_length=255, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=255, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=255)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("mechanism")
        verbose_name_plural = _("mechanisms")
        ordering = ["sort_order", "code"]


class VocabularyTerm(LocalizedNameMixin, models.Model):
    """A term of a controlled vocabulary with a stable code and a name in each language."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_tg = models.CharField(_("name (Tajik)"), max_length=255, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=255, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=255)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "name_en"]


class Theme(VocabularyTerm):
    class Meta(VocabularyTerm.Meta):
        verbose_name = _("theme")
        verbose_name_plural = _("themes")


class AffectedGroup(VocabularyTerm):
    class Meta(VocabularyTerm.Meta):
        verbose_name = _("affected group")
        verbose_name_plural = _("affected groups")


class SdgGoal(models.Model):
    number = models.PositiveSmallIntegerField(_("number"), primary_key=True)
    title_tg = models.TextField(_("title (Tajik)"), blank=True)
    title_ru = models.TextField(_("title (Russian)"), blank=True)
    title_en = models.TextField(_("title (English)"))
    short_tg = models.CharField(_("short title (Tajik)"), max_length=120, blank=True)
    short_ru = models.CharField(_("short title (Russian)"), max_length=120, blank=True)
    short_en = models.CharField(_("short title (English)"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("SDG goal")
        verbose_name_plural = _("SDG goals")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.number}. {localized(self, 'short').text or localized(self, 'title').text}"


class SdgTarget(models.Model):
    code = models.CharField(_("code"), max_length=8, unique=True)
    goal = models.ForeignKey(
        SdgGoal, verbose_name=_("goal"), on_delete=models.CASCADE, related_name="targets"
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    title_tg = models.TextField(_("title (Tajik)"), blank=True)
    title_ru = models.TextField(_("title (Russian)"), blank=True)
    title_en = models.TextField(_("title (English)"))

    class Meta:
        verbose_name = _("SDG target")
        verbose_name_plural = _("SDG targets")
        ordering = ["goal", "sort_order"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.code} {localized(self, 'title').text}"


class LabelMapping(models.Model):
    """How a label of an outside source (a UPR Info issue, a UHRI theme...) maps onto Adolat's
    vocabularies. Data that administrators extend; importers never invent vocabulary entries."""

    class Source(models.TextChoices):
        UPR_INFO = "upr_info", _("UPR Info issue")
        UHRI = "uhri", _("UHRI label")
        OHCHR_MATRIX = "ohchr_matrix", _("OHCHR matrix label")

    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    label = models.CharField(_("label in the source"), max_length=255)
    theme = models.ForeignKey(Theme, verbose_name=_("theme"), null=True, blank=True, on_delete=models.CASCADE)
    affected_group = models.ForeignKey(
        AffectedGroup, verbose_name=_("affected group"), null=True, blank=True, on_delete=models.CASCADE
    )

    class Meta:
        verbose_name = _("label mapping")
        verbose_name_plural = _("label mappings")
        ordering = ["source", "label"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(theme__isnull=False) | models.Q(affected_group__isnull=False),
                name="label_mapping_has_target",
            ),
            models.UniqueConstraint(
                fields=["source", "label", "theme", "affected_group"], name="label_mapping_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.label}"


# --- Sources and recommendations ----------------------------------------------------------------


class SourceDocument(models.Model):
    """A document recommendations come from: a UN report by its symbol (A/HRC/19/3), or, where
    there is none, a session of a mechanism for one state (as UPR Info exports give it)."""

    mechanism = models.ForeignKey(
        Mechanism, verbose_name=_("mechanism"), on_delete=models.PROTECT, related_name="documents"
    )
    country = models.ForeignKey(
        Country, verbose_name=_("state under review"), on_delete=models.PROTECT, related_name="documents"
    )
    symbol = models.CharField(_("UN symbol"), max_length=64, blank=True)
    title_tg = models.CharField(_("title (Tajik)"), max_length=255, blank=True)
    title_ru = models.CharField(_("title (Russian)"), max_length=255, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    cycle = models.PositiveSmallIntegerField(_("UPR cycle"), null=True, blank=True)
    session = models.CharField(_("session"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("source document")
        verbose_name_plural = _("source documents")
        ordering = ["-year", "symbol"]
        constraints = [
            models.UniqueConstraint(
                fields=["symbol"], condition=~models.Q(symbol=""), name="document_unique_symbol"
            ),
            models.UniqueConstraint(
                fields=["mechanism", "country", "session"],
                condition=models.Q(symbol=""),
                name="document_unique_session_without_symbol",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        title = localized(self, "title").text
        if self.symbol and title:
            return f"{self.symbol} — {title}"
        return self.symbol or title


class Position(models.TextChoices):
    SUPPORTED = "supported", _("supported")
    SUPPORTED_IN_PART = "supported_in_part", _("supported in part")
    NOTED = "noted", _("noted")
    PENDING = "pending", _("pending")
    NOT_APPLICABLE = "not_applicable", _("not applicable")


class Status(models.TextChoices):
    """Implementation status (DOMAIN.md §3)."""

    NOT_STARTED = "not_started", _("not started")
    IN_PROGRESS = "in_progress", _("in progress")
    PARTIALLY_IMPLEMENTED = "partially_implemented", _("partially implemented")
    IMPLEMENTED = "implemented", _("implemented")
    NOT_IMPLEMENTED = "not_implemented", _("not implemented")
    NO_LONGER_APPLICABLE = "no_longer_applicable", _("no longer applicable")


class Language(models.TextChoices):
    TG = "tg", "Тоҷикӣ"
    RU = "ru", "Русский"
    EN = "en", "English"


class RecommendationQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def visible_to(self, user):
        """The one scope for lists: everyone sees published records; coordinators and
        administrators also see those not yet published."""
        from adolat.accounts.permissions import can_see_unpublished_recommendations

        if can_see_unpublished_recommendations(user):
            return self.all()
        return self.published()


class Recommendation(models.Model):
    country = models.ForeignKey(
        Country,
        verbose_name=_("state under review"),
        on_delete=models.PROTECT,
        related_name="recommendations",
    )
    mechanism = models.ForeignKey(
        Mechanism, verbose_name=_("mechanism"), on_delete=models.PROTECT, related_name="recommendations"
    )
    document = models.ForeignKey(
        SourceDocument,
        verbose_name=_("source document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recommendations",
    )
    paragraph = models.CharField(_("paragraph"), max_length=32, blank=True)
    text_tg = models.TextField(_("text (Tajik)"), blank=True)
    text_ru = models.TextField(_("text (Russian)"), blank=True)
    text_en = models.TextField(_("text (English)"), blank=True)
    original_language = models.CharField(
        _("original language"), max_length=2, choices=Language.choices, default=Language.EN
    )
    recommending_states = models.ManyToManyField(
        Country, verbose_name=_("recommending states"), blank=True, related_name="recommendations_made"
    )
    position = models.CharField(
        _("position of the state"), max_length=20, choices=Position.choices, default=Position.NOT_APPLICABLE
    )
    position_note = models.TextField(
        _("note on the position"),
        blank=True,
        help_text=_(
            "What the source says beside the position, e.g. the state's view that it is already implemented."
        ),
    )
    status = models.CharField(
        _("implementation status"), max_length=24, choices=Status.choices, default=Status.NOT_STARTED
    )
    themes = models.ManyToManyField(
        Theme, verbose_name=_("themes"), blank=True, related_name="recommendations"
    )
    affected_groups = models.ManyToManyField(
        AffectedGroup, verbose_name=_("affected groups"), blank=True, related_name="recommendations"
    )
    sdg_goals = models.ManyToManyField(
        SdgGoal, verbose_name=_("SDG goals"), blank=True, related_name="recommendations"
    )
    sdg_targets = models.ManyToManyField(
        SdgTarget, verbose_name=_("SDG targets"), blank=True, related_name="recommendations"
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    # Civil society's rating from the latest published independent assessment ("" without one),
    # kept by the follow-up's services (followup.services): the coordinator's list of
    # disagreements reads it beside `status` instead of looking up every assessment.
    cso_rating = models.CharField(
        _("civil society's rating"),
        max_length=24,
        choices=Status.choices,
        blank=True,
        default="",
        editable=False,
    )
    # Identity across imports (state, session, recommending states, normalised text): see importers.
    natural_key = models.CharField(max_length=64, blank=True, editable=False)
    # Folded text of every language plus states and symbol; indexed by the database's full-text
    # search (FTS5 on SQLite, a GIN tsvector index on PostgreSQL). Never holds personal data.
    search_document = models.TextField(blank=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RecommendationQuerySet.as_manager()

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["-year", "document_id", "id"]
        indexes = [
            models.Index(fields=["natural_key"], name="rec_natural_key_idx"),
            models.Index(fields=["is_published", "-year", "id"], name="rec_published_year_idx"),
            models.Index(fields=["country", "is_published"], name="rec_country_idx"),
            models.Index(fields=["position"], name="rec_position_idx"),
            models.Index(fields=["status"], name="rec_status_idx"),
            # The default order ("newest"), for readers who see published records and for those
            # who see all: pages are read from the index rather than sorted, deep pages included.
            models.Index(
                fields=["is_published", "-year", "-document_id", "id"], name="rec_published_newest_idx"
            ),
            models.Index(fields=["-year", "-document_id", "id"], name="rec_newest_idx"),
            # MAX(updated) tells whether the stored facet counts are still those of the table.
            models.Index(fields=["updated"], name="rec_updated_idx"),
            # The records civil society has rated: disagreements are counted and listed from here.
            models.Index(
                fields=["cso_rating", "status", "-year", "id"],
                condition=~models.Q(cso_rating=""),
                name="rec_cso_rated_idx",
            ),
        ]

    def __str__(self) -> str:
        ref = self.paragraph or f"#{self.pk}"
        return f"{ref}: {self.text.text[:80]}"

    @property
    def text(self):
        """The text in the reader's language, or another one (the result says which)."""
        return localized(self, "text", original=self.original_language)

    def build_search_document(self, state_names: list[str] | None = None) -> str:
        parts = [self.text_tg, self.text_ru, self.text_en, self.paragraph]
        if self.document_id and self.document:
            parts += [self.document.symbol, self.document.session]
        return fold_joined(" ".join(p for p in parts if p), " ".join(n for n in state_names or () if n))

    @property
    def reference(self) -> str:
        symbol = self.document.symbol if self.document_id and self.document else ""
        if symbol and self.paragraph:
            return f"{symbol}, para. {self.paragraph}"
        return symbol or self.paragraph


def default_country_code() -> str:
    return settings.ADOLAT_DEFAULT_COUNTRY


class FacetCountSnapshot(models.Model):
    """The facet counts of the unfiltered list of recommendations, for the readers who see only
    published records (`scope` "published") and for those who see all ("all"). Counting them
    again on every visit reads the whole table; they are stored with the `fingerprint` of the
    tables they were counted from (highest ids and last update) and counted again when it no
    longer matches, or when a record is deleted or loses a tag (selectors.facet_counts)."""

    scope = models.CharField(max_length=16, primary_key=True)
    fingerprint = models.CharField(max_length=255)
    counts = models.JSONField(default=dict)
    computed = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("facet counts")
        verbose_name_plural = _("facet counts")


def _drop_facet_counts(**kwargs) -> None:
    """A deleted recommendation or a removed tag leaves the fingerprint of the stored facet
    counts as it was: drop them, and move the generation the facet index of every process
    follows (facet_index.py), now and once the transaction is committed (a count made meanwhile
    from the old rows would otherwise be kept)."""
    _drop_snapshots()
    pending = transaction.get_connection().run_on_commit
    if not any(entry[1] is _drop_snapshots for entry in pending):
        transaction.on_commit(_drop_snapshots)


def _drop_snapshots() -> None:
    from .facet_index import GENERATION, VOCABULARY, new_generation

    FacetCountSnapshot.objects.exclude(scope__in=(GENERATION, VOCABULARY)).delete()
    FacetCountSnapshot.objects.update_or_create(
        scope=GENERATION, defaults={"fingerprint": new_generation(), "counts": {}}
    )


@receiver(post_delete, sender=Recommendation, dispatch_uid="facet_counts_on_delete")
def _recommendation_deleted(sender, **kwargs) -> None:
    _drop_facet_counts()


def _vocabulary_written(**kwargs) -> None:
    """A term of a vocabulary the list page names (terms.py) was saved or deleted: move the
    vocabulary stamp the term cache of every process follows (one UPDATE)."""
    from .facet_index import VOCABULARY, new_generation

    stamp = new_generation()
    if not FacetCountSnapshot.objects.filter(scope=VOCABULARY).update(fingerprint=stamp):
        FacetCountSnapshot.objects.update_or_create(
            scope=VOCABULARY, defaults={"fingerprint": stamp, "counts": {}}
        )


for _model in (Country, Mechanism, Theme, AffectedGroup, SdgGoal, SourceDocument):
    for _signal in (post_save, post_delete):
        _signal.connect(_vocabulary_written, sender=_model, dispatch_uid=f"vocabulary_{_model.__name__}")


# True while the services rewrite a record's tags: they save the record and record the change in
# its history in the same transaction, which the fingerprint and the facet index follow already.
recorded_tag_write = contextvars.ContextVar("recorded_tag_write", default=False)


@receiver(m2m_changed, dispatch_uid="facet_counts_on_m2m")
def _tags_changed(sender, action, **kwargs) -> None:
    if recorded_tag_write.get():
        return
    if action in ("post_remove", "post_clear") and sender in (
        Recommendation.themes.through,
        Recommendation.affected_groups.through,
        Recommendation.sdg_goals.through,
        Recommendation.recommending_states.through,
    ):
        _drop_facet_counts()


# --- Imports: near matches for a coordinator to confirm -----------------------------------------


class NearMatch(models.Model):
    """A recommendation an import created whose text is close to, but not the same as, a stored
    one of the same review with the same recommending states. Importers never merge such records
    themselves: a coordinator confirms (the records are merged into the older one) or dismisses.

    `text_key` is the identity of the imported text (language, normalised text, recommending
    states); once confirmed, a later import of that text finds the kept record through it."""

    class State(models.TextChoices):
        PENDING = "pending", _("to be decided")
        CONFIRMED = "confirmed", _("confirmed: merged")
        DISMISSED = "dismissed", _("dismissed: different recommendations")

    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("imported recommendation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="near_matches",
    )
    existing = models.ForeignKey(
        Recommendation,
        verbose_name=_("stored recommendation"),
        on_delete=models.CASCADE,
        related_name="near_matched_by",
    )
    score = models.FloatField(_("similarity (%)"))
    text_key = models.CharField(max_length=64, editable=False)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    found_in = models.CharField(_("found in"), max_length=255, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("near match")
        verbose_name_plural = _("near matches")
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "existing"],
                condition=models.Q(recommendation__isnull=False),
                name="near_match_unique_pair",
            )
        ]
        indexes = [
            models.Index(fields=["state", "-created"], name="near_match_state_idx"),
            models.Index(fields=["text_key"], name="near_match_text_key_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.recommendation_id or '—'} ≈ #{self.existing_id} ({self.score:.0f}%)"


# --- Imports through the web ----------------------------------------------------------------------


def _import_upload_path(instance, filename: str) -> str:
    # A generated name: the uploaded file's own name is kept only as data, never as a path.
    import uuid

    return f"imports/{uuid.uuid4().hex}"


class ImportRun(models.Model):
    """One file uploaded by a coordinator: checked first (a dry run whose summary is shown), then
    imported on confirmation, in the background, with its progress and its final summary kept as
    the import history."""

    class State(models.TextChoices):
        CHECKING = "checking", _("being checked")
        CHECKED = "checked", _("checked, waiting for confirmation")
        IMPORTING = "importing", _("being imported")
        DONE = "done", _("imported")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    filename = models.CharField(_("file"), max_length=255)
    file = models.FileField(upload_to=_import_upload_path, max_length=255)
    format = models.CharField(_("format"), max_length=20, blank=True)
    country = models.ForeignKey(
        Country, verbose_name=_("state under review"), on_delete=models.PROTECT, related_name="+"
    )
    options = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.CHECKING)
    preview = models.JSONField(_("check result"), null=True, blank=True)
    result = models.JSONField(_("import result"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"

    @property
    def is_running(self) -> bool:
        return self.state in (self.State.CHECKING, self.State.IMPORTING)
