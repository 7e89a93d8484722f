"""Writes for the follow-up: clusters (more to come: assignments, reports, assessments)."""

from django.db import transaction

from adolat.lib import audit

from .models import Cluster


@transaction.atomic
def cluster_create(
    *,
    country,
    recommendations,
    origin: str,
    state: str = Cluster.State.PROPOSED,
    title_en: str = "",
    title_ru: str = "",
    title_tg: str = "",
    document=None,
    paragraph: str = "",
    by=None,
    source: str,
) -> Cluster:
    """Create a cluster of recommendations of one state under review. A cluster from a document
    paragraph is unique per (document, paragraph): creating it again returns the existing one with
    its members brought up to date."""
    if origin == Cluster.Origin.DOCUMENT and document is not None and paragraph:
        existing = Cluster.objects.filter(origin=origin, document=document, paragraph=paragraph).first()
        if existing is not None:
            before = sorted(existing.recommendations.values_list("pk", flat=True))
            after = sorted({r.pk for r in recommendations} | set(before))
            if after != before:
                existing.recommendations.add(*recommendations)
                audit.record(
                    instance=existing,
                    action="update",
                    by=by,
                    source=source,
                    changes={"recommendations": [before, after]},
                )
            return existing
    cluster = Cluster(
        country=country,
        origin=origin,
        state=state,
        title_en=title_en,
        title_ru=title_ru,
        title_tg=title_tg,
        document=document,
        paragraph=paragraph,
        created_by=by if getattr(by, "pk", None) else None,
    )
    cluster.full_clean()
    cluster.save()
    cluster.recommendations.set(recommendations)
    audit.record(
        instance=cluster,
        action="create",
        by=by,
        source=source,
        summary=cluster.title or paragraph,
        changes={
            "origin": [None, origin],
            "state": [None, state],
            "recommendations": [None, sorted(r.pk for r in recommendations)],
        },
    )
    return cluster
