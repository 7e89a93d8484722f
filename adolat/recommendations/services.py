"""Writes for recommendations. Pages, the API, importers and commands all come through here, so
validation, the search index and the history are the same whatever path made a change."""

import os
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from adolat.lib import audit

from .models import AffectedGroup, Country, Recommendation, SdgGoal, SdgTarget, SourceDocument, Theme

# Plain fields a caller may set, and the many-to-many ones (given as lists of objects).
SCALAR_FIELDS = (
    "country",
    "mechanism",
    "document",
    "paragraph",
    "text_tg",
    "text_ru",
    "text_en",
    "original_language",
    "position",
    "position_note",
    "status",
    "year",
    "is_published",
    "natural_key",
)
M2M_FIELDS = ("recommending_states", "themes", "affected_groups", "sdg_goals", "sdg_targets")


@dataclass
class RecommendationData:
    """Everything a recommendation holds, as importers and forms produce it."""

    country: Country
    mechanism: object
    document: object = None
    paragraph: str = ""
    text_tg: str = ""
    text_ru: str = ""
    text_en: str = ""
    original_language: str = "en"
    position: str = "not_applicable"
    position_note: str = ""
    status: str = "not_started"
    year: int | None = None
    is_published: bool = False
    natural_key: str = ""
    recommending_states: list[Country] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)
    affected_groups: list[AffectedGroup] = field(default_factory=list)
    sdg_goals: list[SdgGoal] = field(default_factory=list)
    sdg_targets: list[SdgTarget] = field(default_factory=list)


def _with_goals_of_targets(data: RecommendationData) -> list:
    """A target implies its goal, so the SDG-goal facet counts recommendations tagged by target."""
    goals = {g.pk: g for g in data.sdg_goals}
    for target in data.sdg_targets:
        goals.setdefault(target.goal_id, target.goal)
    return list(goals.values())


def _snapshot(rec: Recommendation) -> dict:
    snap = {
        name: getattr(rec, f"{name}_id" if name in ("country", "mechanism", "document") else name)
        for name in SCALAR_FIELDS
    }
    if rec.pk:
        for name in M2M_FIELDS:
            snap[name] = sorted(getattr(rec, name).values_list("pk", flat=True))
    return snap


def _apply(rec: Recommendation, data: RecommendationData) -> None:
    for name in SCALAR_FIELDS:
        setattr(rec, name, getattr(data, name))
    if data.document is not None and data.year is None:
        rec.year = data.document.year
    if not (rec.text_tg.strip() or rec.text_ru.strip() or rec.text_en.strip()):
        raise ValidationError(
            {
                "text_en": ValidationError(
                    _("A recommendation needs its text in at least one language."), code="required"
                )
            }
        )


def _set_m2m(rec: Recommendation, data: RecommendationData) -> None:
    rec.recommending_states.set(data.recommending_states)
    rec.themes.set(data.themes)
    rec.affected_groups.set(data.affected_groups)
    rec.sdg_targets.set(data.sdg_targets)
    rec.sdg_goals.set(_with_goals_of_targets(data))


def _index(rec: Recommendation, data: RecommendationData) -> None:
    names = []
    for state in data.recommending_states:
        names += [state.name_en, state.name_ru, state.name_tg]
    rec.search_document = rec.build_search_document(names)
    Recommendation.objects.filter(pk=rec.pk).update(search_document=rec.search_document)


@transaction.atomic
def source_document_create(*, document: SourceDocument, by=None, source: str) -> SourceDocument:
    """Validate, save and record a new source document."""
    document.full_clean()
    document.save()
    fields = ("mechanism_id", "country_id", "symbol", "session", "cycle", "year", "date", "title_en")
    audit.record(
        instance=document,
        action="create",
        by=by,
        source=source,
        changes=audit.diff({}, {f.removesuffix("_id"): getattr(document, f) for f in fields}),
        summary=document.symbol or document.title_en,
    )
    return document


@transaction.atomic
def recommendation_create(*, data: RecommendationData, by=None, source: str) -> Recommendation:
    """Create a recommendation with its tags; validated, indexed for search and recorded."""
    rec = Recommendation()
    _apply(rec, data)
    rec.full_clean(exclude=["search_document", "natural_key"])
    rec.save()
    _set_m2m(rec, data)
    _index(rec, data)
    audit.record(
        instance=rec,
        action="create",
        by=by,
        source=source,
        changes=audit.diff({}, _snapshot(rec)),
        summary=rec.reference,
    )
    return rec


@transaction.atomic
def recommendation_update(
    *, recommendation: Recommendation, data: RecommendationData, by=None, source: str
) -> dict:
    """Bring a recommendation to `data`. Returns the changes ({field: [before, after]}); an empty
    result means nothing changed and nothing was written."""
    rec = recommendation
    before = _snapshot(rec)
    _apply(rec, data)
    after_scalars = {
        name: getattr(rec, f"{name}_id" if name in ("country", "mechanism", "document") else name)
        for name in SCALAR_FIELDS
    }
    after = {
        **after_scalars,
        "recommending_states": sorted(c.pk for c in data.recommending_states),
        "themes": sorted(t.pk for t in data.themes),
        "affected_groups": sorted(g.pk for g in data.affected_groups),
        "sdg_goals": sorted(g.pk for g in _with_goals_of_targets(data)),
        "sdg_targets": sorted(t.pk for t in data.sdg_targets),
    }
    changes = audit.diff(before, after)
    if not changes:
        return {}
    rec.full_clean(exclude=["search_document", "natural_key"])
    rec.save()
    _set_m2m(rec, data)
    _index(rec, data)
    audit.record(instance=rec, action="update", by=by, source=source, changes=changes, summary=rec.reference)
    return changes


@transaction.atomic
def recommendation_set_status(*, recommendation: Recommendation, status: str, by, source: str) -> bool:
    """Set the state's implementation status (the follow-up derives it from validated reports);
    recorded in the history. Returns whether it changed."""
    before = recommendation.status
    if before == status:
        return False
    recommendation.status = status
    recommendation.save(update_fields=["status", "updated"])
    audit.record(
        instance=recommendation,
        action="update",
        by=by,
        source=source,
        changes={"status": [before, status]},
        summary=recommendation.reference,
    )
    return True


@transaction.atomic
def recommendation_set_published(*, recommendation: Recommendation, published: bool, by, source: str) -> None:
    if recommendation.is_published != published:
        audit.record(
            instance=recommendation,
            action="publish" if published else "unpublish",
            by=by,
            source=source,
            changes={"is_published": [recommendation.is_published, published]},
        )
        recommendation.is_published = published
        recommendation.save(update_fields=["is_published", "updated"])


# --- Imports through the web ----------------------------------------------------------------------

UPLOAD_MAX_BYTES = 20 * 1024 * 1024
# Extension → what the first bytes must look like. Text formats must not hold NUL bytes.
_ZIP, _OLE2, _PDF = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"%PDF-"
UPLOAD_TYPES = {
    ".csv": None,
    ".txt": None,
    ".json": None,
    ".xlsx": _ZIP,
    ".docx": _ZIP,
    ".xls": _OLE2,
    ".pdf": _PDF,
}


def check_upload(upload) -> None:
    """Refuse a file that is too large, of a kind no importer reads, or whose content does not
    match its extension (a renamed executable, a PDF called .csv)."""
    name = upload.name or ""
    ext = os.path.splitext(name)[1].lower()
    if ext not in UPLOAD_TYPES:
        raise ValidationError(
            _("Files of this kind cannot be imported. Upload one of: %(kinds)s.")
            % {"kinds": ", ".join(sorted(UPLOAD_TYPES))},
            code="type",
        )
    if upload.size > UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": UPLOAD_MAX_BYTES // (1024 * 1024)}, code="size"
        )
    head = upload.read(8)
    upload.seek(0)
    magic = UPLOAD_TYPES[ext]
    if magic is not None and not head.startswith(magic[: len(head)] if len(head) < len(magic) else magic):
        raise ValidationError(
            _("The content of the file does not match its extension %(ext)s.") % {"ext": ext}, code="content"
        )
    if magic is None:
        sample = upload.read(64 * 1024)
        upload.seek(0)
        if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ValidationError(
                _("The content of the file does not match its extension %(ext)s.") % {"ext": ext},
                code="content",
            )


@transaction.atomic
def import_run_create(
    *, upload, country, format: str = "", options: dict | None = None, by, source: str = "web"
):
    """Store an uploaded file and start checking it in the background (nothing is imported yet)."""
    from .models import ImportRun
    from .tasks import check_import

    check_upload(upload)
    run = ImportRun(
        created_by=by,
        filename=os.path.basename(upload.name)[:255],
        country=country,
        format=format,
        options=options or {},
    )
    run.file.save("upload", upload, save=False)
    run.full_clean()
    run.save()
    audit.record(instance=run, action="create", by=by, source=source, summary=run.filename)
    transaction.on_commit(lambda: check_import.enqueue(run.pk))
    return run


@transaction.atomic
def import_run_confirm(*, run, by, source: str = "web"):
    """Import a checked file for real, in the background."""
    from .models import ImportRun
    from .tasks import execute_import

    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if run.state != ImportRun.State.CHECKED:
        raise ValidationError(
            _("This import cannot be confirmed: it is “%(state)s”.") % {"state": run.get_state_display()},
            code="state",
        )
    run.state = ImportRun.State.IMPORTING
    run.save(update_fields=["state"])
    audit.record(instance=run, action="confirm", by=by, source=source, summary=run.filename)
    transaction.on_commit(lambda: execute_import.enqueue(run.pk))
    return run


@transaction.atomic
def import_run_cancel(*, run, by, source: str = "web"):
    from .models import ImportRun

    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if run.state not in (ImportRun.State.CHECKED, ImportRun.State.FAILED):
        raise ValidationError(
            _("This import cannot be cancelled: it is “%(state)s”.") % {"state": run.get_state_display()},
            code="state",
        )
    run.state = ImportRun.State.CANCELLED
    run.save(update_fields=["state"])
    audit.record(instance=run, action="cancel", by=by, source=source, summary=run.filename)
    run.file.delete(save=False)  # the file is not kept once it will never be imported
    return run
