"""A coordinator's decision on a near match an import listed: confirm (one recommendation: merge)
or dismiss (two recommendations). Services in the sense of ARCHITECTURE.md: keyword-only, atomic,
recorded in the history; pages, the API and the administration call them.
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from adolat.lib import audit
from adolat.recommendations import services
from adolat.recommendations.models import NearMatch, Position, Recommendation

FINAL_POSITIONS = (Position.SUPPORTED, Position.SUPPORTED_IN_PART, Position.NOTED)


def _pending(near_match: NearMatch) -> None:
    if near_match.state != NearMatch.State.PENDING:
        raise ValidationError(
            _("This near match was already decided (%(state)s).") % {"state": near_match.get_state_display()},
            code="decided",
        )
    if near_match.recommendation_id is None:
        raise ValidationError(_("The imported recommendation no longer exists."), code="gone")


def _union(*querysets) -> list:
    by_pk = {}
    for queryset in querysets:
        for obj in queryset:
            by_pk.setdefault(obj.pk, obj)
    return list(by_pk.values())


def _move_relations(*, source: Recommendation, target: Recommendation, by, origin: str) -> dict[str, int]:
    """Point everything attached to `source` (assignments, assessments, clusters...) at
    `target`; {relation: count moved}; near matches are `_repoint`'s. Found through the model's relations, so
    that records added by later apps are moved too."""
    moved: dict[str, int] = {}
    for relation in Recommendation._meta.related_objects:
        model = relation.related_model
        if model is NearMatch:
            continue
        if relation.many_to_many:
            # The reverse side of another model's ManyToManyField (Cluster.recommendations).
            through = relation.field.remote_field.through
            source_column = relation.field.m2m_reverse_field_name()
            owner_column = relation.field.m2m_field_name()
            rows = list(
                through.objects.filter(**{source_column: source}).values_list(owner_column, flat=True)
            )
            for owner_id in rows:
                if not through.objects.filter(**{source_column: target, owner_column: owner_id}).exists():
                    through.objects.create(**{source_column: target, f"{owner_column}_id": owner_id})
                owner = model.objects.get(pk=owner_id)
                audit.record(
                    instance=owner,
                    action="update",
                    by=by,
                    source=origin,
                    changes={relation.field.name: [source.pk, target.pk]},
                    summary=str(owner),
                )
            through.objects.filter(**{source_column: source}).delete()
            if rows:
                moved[relation.get_accessor_name()] = len(rows)
        elif relation.one_to_many or relation.one_to_one:
            name = relation.field.name
            objects = list(model.objects.filter(**{name: source}))
            if not objects:
                continue
            model.objects.filter(**{name: source}).update(**{name: target})
            audit.record_many(
                audit.entry(
                    instance=obj,
                    action="update",
                    by=by,
                    source=origin,
                    changes={name: [source.pk, target.pk]},
                    summary=str(obj)[:255],
                )
                for obj in objects
            )
            moved[relation.get_accessor_name()] = len(objects)
    return moved


def _text_key(rec: Recommendation, states: list[str]) -> str:
    from .writer import text_key_hash

    lang = rec.original_language
    if not getattr(rec, f"text_{lang}").strip():
        lang = next((code for code in ("en", "ru", "tg") if getattr(rec, f"text_{code}").strip()), lang)
    return text_key_hash(lang, getattr(rec, f"text_{lang}"), states)


def _repoint(*, near_match: NearMatch, kept: Recommendation, other: Recommendation) -> None:
    """Other listings that name the merged-away record now name the kept one (a listing of the
    kept record with itself is dropped)."""
    for listing in NearMatch.objects.filter(
        models.Q(recommendation=other) | models.Q(existing=other)
    ).exclude(pk=near_match.pk):
        if listing.recommendation_id == other.pk:
            listing.recommendation = kept
        if listing.existing_id == other.pk:
            listing.existing = kept
        duplicate = NearMatch.objects.filter(
            recommendation=listing.recommendation, existing=listing.existing
        ).exclude(pk=listing.pk)
        if listing.recommendation_id == listing.existing_id or duplicate.exists():
            listing.delete()
        else:
            listing.save(update_fields=["recommendation", "existing"])


@transaction.atomic
def near_match_confirm(
    *, near_match: NearMatch, by, source: str = "web", take_text: bool = False
) -> Recommendation:
    """The two records are one recommendation: keep the older one (which has the history,
    assignments and reports) and merge the newer one into it.

    The kept record gains the other's recommending states, themes, groups and SDGs, the texts,
    paragraph and document it lacked, and its final position where its own was still pending; its
    own text is kept unless `take_text` (then the other's wording replaces it). Whatever pointed at
    the merged record (clusters, assignments, assessments, other near matches) is moved to the kept
    one, and the merged record is deleted. Both changes are recorded in the history, and the text
    that is no longer stored is remembered, so that importing it again finds the kept record
    instead of creating it anew.
    """
    near_match = NearMatch.objects.select_for_update().get(pk=near_match.pk)
    _pending(near_match)
    pair = Recommendation.objects.select_related("document").filter(
        pk__in=[near_match.existing_id, near_match.recommendation_id]
    )
    kept, other = sorted(pair, key=lambda rec: rec.pk)
    kept_states = sorted(kept.recommending_states.values_list("pk", flat=True))
    other_states = sorted(other.recommending_states.values_list("pk", flat=True))
    # The text no longer stored after the merge, by which a later import finds the kept record.
    remembered = _text_key(kept, kept_states) if take_text else _text_key(other, other_states)

    data = services.RecommendationData(
        country=kept.country,
        mechanism=kept.mechanism,
        document=kept.document if kept.document_id else other.document,
        paragraph=kept.paragraph or other.paragraph,
        text_tg=kept.text_tg,
        text_ru=kept.text_ru,
        text_en=kept.text_en,
        original_language=kept.original_language,
        position=kept.position,
        status=kept.status,
        year=kept.year or other.year,
        is_published=kept.is_published,
        natural_key=other.natural_key if take_text else kept.natural_key,
        recommending_states=_union(kept.recommending_states.all(), other.recommending_states.all()),
        themes=_union(kept.themes.all(), other.themes.all()),
        affected_groups=_union(kept.affected_groups.all(), other.affected_groups.all()),
        sdg_goals=_union(kept.sdg_goals.all(), other.sdg_goals.all()),
        sdg_targets=_union(kept.sdg_targets.all(), other.sdg_targets.all()),
    )
    for lang in ("tg", "ru", "en"):
        name = f"text_{lang}"
        if getattr(other, name).strip() and (take_text or not getattr(kept, name).strip()):
            setattr(data, name, getattr(other, name))
    if kept.position not in FINAL_POSITIONS and other.position in FINAL_POSITIONS:
        data.position = other.position

    moved = _move_relations(source=other, target=kept, by=by, origin=source)
    _repoint(near_match=near_match, kept=kept, other=other)
    services.recommendation_update(recommendation=kept, data=data, by=by, source=source)
    audit.record(
        instance=kept,
        action="update",
        by=by,
        source=source,
        changes={"merged_recommendation": [other.pk, None], **{k: [0, n] for k, n in moved.items()}},
        summary=_("merged with #%(pk)s") % {"pk": other.pk},
    )
    audit.record(
        instance=other,
        action="delete",
        by=by,
        source=source,
        changes={"merged_into": [None, kept.pk]},
        summary=other.reference or str(other.pk),
    )
    before = {"recommendation": near_match.recommendation_id, "existing": near_match.existing_id}
    # Detached first: a listing whose stored side is the merged record would go with it.
    NearMatch.objects.filter(pk=near_match.pk).update(recommendation=None, existing=kept)
    other.delete()
    near_match.recommendation = None
    near_match.existing = kept
    near_match.text_key = remembered
    near_match.state = NearMatch.State.CONFIRMED
    near_match.decided_by = by if getattr(by, "pk", None) else None
    near_match.decided = timezone.now()
    near_match.save()
    audit.record(
        instance=near_match,
        action="update",
        by=by,
        source=source,
        changes={
            "state": [NearMatch.State.PENDING, NearMatch.State.CONFIRMED],
            "recommendation": [before["recommendation"], None],
            "existing": [before["existing"], kept.pk],
        },
        summary=str(near_match),
    )
    return kept


@transaction.atomic
def near_match_dismiss(*, near_match: NearMatch, by, source: str = "web") -> NearMatch:
    """The two records are different recommendations: both stay, and the listing is closed."""
    near_match = NearMatch.objects.select_for_update().get(pk=near_match.pk)
    _pending(near_match)
    near_match.state = NearMatch.State.DISMISSED
    near_match.decided_by = by if getattr(by, "pk", None) else None
    near_match.decided = timezone.now()
    near_match.save(update_fields=["state", "decided_by", "decided"])
    audit.record(
        instance=near_match,
        action="update",
        by=by,
        source=source,
        changes={"state": [NearMatch.State.PENDING, NearMatch.State.DISMISSED]},
        summary=str(near_match),
    )
    return near_match


def pending_near_matches(country=None) -> models.QuerySet:
    """The near matches waiting for a coordinator, newest first (a read, for pages and the admin)."""
    queryset = NearMatch.objects.filter(state=NearMatch.State.PENDING).select_related(
        "recommendation", "existing", "existing__document"
    )
    if country is not None:
        queryset = queryset.filter(existing__country=country)
    return queryset
