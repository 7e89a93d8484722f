from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from adolat.lib.i18n import localized
from adolat.recommendations.models import Country, Recommendation, SourceDocument


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
