from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecommendationsConfig(AppConfig):
    name = "adolat.recommendations"
    label = "recommendations"
    verbose_name = _("Recommendations")

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_repair_search_index, sender=self)


def _repair_search_index(sender, using="default", **kwargs):
    from django.db import connections

    from . import search

    search.ensure(connections[using])
