"""Writes for recommendations. Pages, the API, importers and commands all come through here, so
validation, the search index and the history are the same whatever path made a change."""

import datetime as dt
import itertools
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from adolat.lib import audit, bulk, chain, uploads

from . import search
from .models import (
    AffectedGroup,
    Country,
    Recommendation,
    SdgGoal,
    SdgTarget,
    SourceDocument,
    Theme,
    recorded_tag_write,
)

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
# The same fields as stored columns (`country_id`, ...): what imports compare and exports read.
SCALAR_COLUMNS = tuple(Recommendation._meta.get_field(name).attname for name in SCALAR_FIELDS)


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
    """The record's tags, as part of a write recorded in its history (which the facet counts
    follow: removing a tag here is no reason to count everything again, see models.py)."""
    token = recorded_tag_write.set(True)
    try:
        rec.recommending_states.set(data.recommending_states)
        rec.themes.set(data.themes)
        rec.affected_groups.set(data.affected_groups)
        rec.sdg_targets.set(data.sdg_targets)
        rec.sdg_goals.set(_with_goals_of_targets(data))
    finally:
        recorded_tag_write.reset(token)


def _index(rec: Recommendation, data: RecommendationData) -> None:
    names = []
    for state in data.recommending_states:
        names += [state.name_en, state.name_ru, state.name_tg]
    rec.search_document = rec.build_search_document(names)
    Recommendation.objects.filter(pk=rec.pk).update(search_document=rec.search_document)


@transaction.atomic
def source_document_create(
    *, document: SourceDocument, by=None, source: str, unique_checked: bool = False
) -> SourceDocument:
    """Validate, save and record a new source document. `unique_checked`: the caller has made
    sure no stored document has its symbol or, without one, its mechanism, state and session
    (the unique constraints), having read them; an import does, for each of the dozens of
    documents it may create, and the constraints' own checks (a query each, compiled anew) took
    most of the time of creating them. The database still refuses a duplicate."""
    document.full_clean(validate_constraints=not unique_checked)
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


# --- Many at once (importers) -------------------------------------------------------------------
#
# The same rules as recommendation_create / recommendation_update (validation, search index,
# history), for thousands of records in a few queries: importers build each record first (which
# validates it), then write them all with bulk inserts and updates. Foreign keys are not checked
# one by one: the caller resolved them against rows it read (the database still refuses a wrong one).

# Fields a bulk path does not validate per record: foreign keys (see above) and derived fields.
_BULK_EXCLUDE = ["search_document", "natural_key", "country", "mechanism", "document"]
BULK_BATCH = 500


def data_snapshot(data: RecommendationData) -> dict:
    """What a record holds once brought to `data`, as `_snapshot` reads a stored one."""
    snap = {}
    for name in SCALAR_FIELDS:
        value = getattr(data, name)
        if name in ("country", "mechanism", "document"):
            value = value.pk if value is not None else None
        snap[name] = value
    if data.document is not None and data.year is None:
        snap["year"] = data.document.year
    snap["recommending_states"] = sorted(c.pk for c in data.recommending_states)
    snap["themes"] = sorted(t.pk for t in data.themes)
    snap["affected_groups"] = sorted(g.pk for g in data.affected_groups)
    snap["sdg_goals"] = sorted(g.pk for g in _with_goals_of_targets(data))
    snap["sdg_targets"] = sorted(t.pk for t in data.sdg_targets)
    return snap


def _search_document(rec: Recommendation, data: RecommendationData) -> str:
    names = []
    for state in data.recommending_states:
        names += [state.name_en, state.name_ru, state.name_tg]
    return rec.build_search_document(names)


_DEFAULTS: list | None = None


def _new_record() -> Recommendation:
    """Recommendation(), faster: its fields' defaults are constants, given positionally (a model
    built from keyword defaults spends most of its time looking each one up)."""
    global _DEFAULTS  # noqa: PLW0603 — computed once
    if _DEFAULTS is None:
        fields = Recommendation._meta.concrete_fields
        defaults = [f.get_default() for f in fields]
        constant = all(not (f.has_default() and callable(f.default)) for f in fields) and all(
            isinstance(v, str | int | bool | type(None)) for v in defaults
        )
        _DEFAULTS = defaults if constant else []
    return Recommendation(*_DEFAULTS) if _DEFAULTS else Recommendation()


def recommendation_build(*, data: RecommendationData, recommendation: Recommendation | None = None):
    """A new (or the given stored) record brought to `data`, validated and with its search text,
    not saved; ValidationError as recommendation_create raises it. For the bulk writes below."""
    rec = recommendation if recommendation is not None else _new_record()
    _apply(rec, data)
    _clean_fields(rec)
    rec.search_document = _search_document(rec, data)
    return rec


def _clean_fields(rec: Recommendation) -> None:
    """rec.clean_fields(exclude=_BULK_EXCLUDE), in a fraction of its time when every value is one
    its field certainly accepts as it is (see `_quick_check`): thousands of records are built per
    import. Any other value makes clean_fields itself run, so the errors are always its own."""
    for attname, blank, empty_values, check in _field_checks():
        value = getattr(rec, attname)
        if blank and value in empty_values:
            continue  # as clean_fields skips it
        if check is None or not check(value):
            rec.clean_fields(exclude=_BULK_EXCLUDE)
            return


_FIELD_CHECKS: list | None = None


def _field_checks() -> list:
    """(attname, blank, empty values, quick check or None) of each field clean_fields checks."""
    global _FIELD_CHECKS  # noqa: PLW0603 — computed once (the validators are the connection's)
    if _FIELD_CHECKS is None:
        _FIELD_CHECKS = [
            (f.attname, f.blank, f.empty_values, _quick_check(f))
            for f in Recommendation._meta.fields
            if f.name not in _BULK_EXCLUDE and not f.generated
        ]
    return _FIELD_CHECKS


_INTEGER_TYPES = frozenset(
    {"IntegerField", "SmallIntegerField", "BigIntegerField"}
    | {"PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField"}
)


def _quick_check(f):
    """A test that a value passes f.clean unchanged — to_python gives it back as it is, validate()
    and the validators accept it — for text, integer and boolean fields whose validators are their
    length or range limits; None for any other field. The test may refuse a valid value (the full
    checks then run), never accept an invalid one."""
    from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator

    kind = f.get_internal_type()
    validators = list(f.validators)
    choices = frozenset(key for key, _label in f.flatchoices) if f.choices else None
    blank = f.blank
    if kind in ("CharField", "TextField"):
        limit = f.max_length
        if not all(isinstance(v, MaxLengthValidator) and v.limit_value == limit for v in validators):
            return None
        return lambda value: (
            isinstance(value, str)  # to_python gives any str back as it is (a choices enum too)
            and (limit is None or len(value) <= limit)
            and (choices is None or value in choices)
            and (blank or value != "")
        )
    if kind in _INTEGER_TYPES and choices is None:
        low, high = -(2**63), 2**63 - 1
        for v in validators:
            if type(v.limit_value) is not int:
                return None
            if type(v) is MinValueValidator:
                low = max(low, v.limit_value)
            elif type(v) is MaxValueValidator:
                high = min(high, v.limit_value)
            else:
                return None
        return lambda value: type(value) is int and low <= value <= high
    if kind == "BooleanField" and choices is None and not validators:
        return lambda value: type(value) is bool
    return None


def _through_rows(pairs: list[tuple[Recommendation, RecommendationData]], names=M2M_FIELDS) -> dict:
    """relation → [(recommendation id, tag id)] for the records' data."""
    rows: dict[str, list] = {name: [] for name in names}
    for rec, data in pairs:
        values = {
            "recommending_states": data.recommending_states,
            "themes": data.themes,
            "affected_groups": data.affected_groups,
            "sdg_goals": _with_goals_of_targets(data),
            "sdg_targets": data.sdg_targets,
        }
        for name in names:
            out = rows[name]
            for pk in dict.fromkeys(obj.pk for obj in values[name]):
                out.append((rec.pk, pk))
    return rows


def _insert_tags(name: str, rows: list[tuple]) -> None:
    """Insert a relation's through rows as plain tuples (a model instance per row costs more than
    the insert itself)."""
    if not rows:
        return
    field = Recommendation._meta.get_field(name)
    through = field.remote_field.through
    columns = [
        through._meta.get_field(n).column for n in (field.m2m_field_name(), field.m2m_reverse_field_name())
    ]
    bulk.insert(connection, through._meta.db_table, columns, rows)


# Column types whose str / int / bool / None values go to the database as they are (what their
# get_db_prep_save returns for such values); other fields (dates) go through get_db_prep_save.
_PLAIN_TYPES = frozenset(
    {"CharField", "TextField", "BooleanField", "IntegerField", "BigIntegerField", "SmallIntegerField"}
    | {"PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField"}
    | {"AutoField", "BigAutoField", "SmallAutoField"}
)
_PLAIN_VALUES = (str, int, bool, type(None))


def _insert_records(recs: Iterable[Recommendation], *, most: int | None = None) -> list[Recommendation]:
    """Insert new records with the values bulk_create would store (the same columns, auto_now
    values and database values), without compiling each value through the ORM: for thousands of
    records that compilation costs more than the inserts. Returns them, with their ids.

    The ids are known before the rows are written (see `_new_ids`); on PostgreSQL the rows are
    streamed with COPY (adolat.lib.bulk) as `recs` gives them, `most` ids drawn first."""
    if most is None or connection.vendor != "postgresql":
        recs = list(recs)
        most = len(recs)
    if not most:
        return []
    fields = [f for f in Recommendation._meta.concrete_fields if not f.primary_key]
    pk = Recommendation._meta.pk
    # per field: True (a plain column), "now" (a creation or modification time), "datetime" (an
    # aware datetime) or False
    plain = []
    for f in fields:
        target = f.target_field if f.is_relation else f
        kind = target.get_internal_type()
        timestamp = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        if kind == "DateTimeField":
            plain.append("now" if timestamp else "datetime")
        else:
            plain.append(kind in _PLAIN_TYPES and not timestamp)
    adapt_datetime = connection.ops.adapt_datetimefield_value
    columns = list(zip(fields, plain, strict=True))
    # The records written together share their time of creation, as a bulk update's share theirs.
    now = timezone.now()
    now_value = adapt_datetime(now)

    def values(rec: Recommendation) -> list:
        row = []
        for f, kind in columns:
            if kind is True:
                value = getattr(rec, f.attname)
                if not isinstance(value, _PLAIN_VALUES):
                    value = f.get_db_prep_save(value, connection)
            elif kind == "now":
                setattr(rec, f.attname, now)  # as the field's pre_save sets it
                value = now_value
            else:
                value = f.pre_save(rec, True)
                if kind == "datetime" and isinstance(value, dt.datetime) and value.tzinfo is not None:
                    value = adapt_datetime(value)  # what get_db_prep_save ends with
                else:
                    value = f.get_db_prep_save(value, connection)
            row.append(value)
        return row

    table = Recommendation._meta.db_table
    written: list[Recommendation] = []
    ids = _new_ids(table, pk.column, most)

    def rows():
        for rec in recs:
            # More records than `most` stop here (StopIteration inside a generator is an error).
            setattr(rec, pk.attname, next(ids))
            written.append(rec)
            yield [rec.pk, *values(rec)]

    columns_ = [pk.column, *(f.column for f in fields)]
    if connection.vendor == "postgresql":
        bulk.insert(connection, table, columns_, rows())
    else:
        with search.indexed_together(connection) as index:
            bulk.insert(connection, table, columns_, rows())
            index([rec.pk for rec in written])
    for rec in written:
        rec._state.adding = False
        rec._state.db = connection.alias
    return written


def _new_ids(table: str, column: str, most: int):
    """The ids new rows of `table` take, in ascending order, before they are written. PostgreSQL:
    `most` values drawn from the table's sequence (unused ones are a gap, as a rolled back insert
    leaves). SQLite: those after the highest ever given (AUTOINCREMENT keeps it in
    sqlite_sequence). The transaction holds the database's write lock from its start (IMMEDIATE
    transactions, see settings), so no other connection takes them meanwhile; were one to, the
    insert would fail on the primary key, never mix records. Inserted row by row with known ids,
    SQLite stores a thousand records faster than with INSERT … RETURNING (about 25%)."""
    if connection.vendor == "postgresql":
        return iter(bulk.next_ids(connection, table, column, most))
    qn = connection.ops.quote_name
    given = "SELECT seq FROM sqlite_sequence WHERE name = %s"
    sql = f"SELECT max(coalesce(({given}), 0), coalesce((SELECT max({qn(column)}) FROM {qn(table)}), 0))"  # noqa: S608 — no user input
    with connection.cursor() as cursor:
        cursor.execute(sql, [table])
        return itertools.count(cursor.fetchone()[0] + 1)


_json_string = json.encoder.encode_basestring  # as the canonical encoder writes a str (subclasses too)
# Each field a creation records, in the canonical JSON's (sorted) order, with the start of its member.
_CREATED_MEMBERS = [(name, f"{_json_string(name)}:[null,") for name in sorted((*SCALAR_FIELDS, *M2M_FIELDS))]


def _json_value(value) -> str:
    """`value` (a snapshot's: text, number, flag or list of them) as the canonical JSON writes it."""
    if isinstance(value, str):
        return _json_string(value)
    kind = type(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is list:
        return "[" + ",".join([_json_value(item) for item in value]) + "]"
    return chain.canonical_json(value)


def _created_encoded(snap: dict) -> chain.Encoded:
    """audit.encoded(audit.diff({}, snap)) for a snapshot of plain values (as `data_snapshot` gives):
    the changes recorded for a record created from it, as recommendation_create records them,
    written straight as canonical JSON. An import records thousands, and building the changes and
    then their JSON costs about twice as much (tested equal)."""
    given = [(start, snap[name]) for name, start in _CREATED_MEMBERS if snap[name] is not None]
    text = "{" + ",".join(f"{start}{_json_value(value)}]" for start, value in given) + "}"
    return chain.Encoded(text, text)


def recommendations_bulk_create(
    *,
    pairs: Iterable[tuple[Recommendation, RecommendationData]],
    by=None,
    source: str,
    most: int | None = None,
) -> list[Recommendation]:
    """Insert records made by `recommendation_build` with their tags, and record each creation in
    the history exactly as recommendation_create does. `pairs` may be an iterator that builds
    each record when it is asked for, provided nothing it does reads the database: PostgreSQL
    then inserts and indexes the records as they arrive, while the next ones are built.
    `most`, at least their number, saves counting them beforehand (see `_insert_records`)."""
    inserted: list[tuple[Recommendation, RecommendationData]] = []
    created: list = []  # each one's changes, as its history records them (encoded)

    def records():
        for rec, data in pairs:
            inserted.append((rec, data))
            # Worked out here, while the database takes in the records before this one.
            created.append(_created_encoded(data_snapshot(data)))
            yield rec

    with transaction.atomic():
        recs = _insert_records(records(), most=most)
        if not recs:
            return []
        for name, rows in _through_rows(inserted).items():
            _insert_tags(name, rows)
        audit.record_values(
            model=Recommendation,
            action="create",
            by=by,
            source=source,
            entries=((rec.pk, changes, rec.reference) for rec, changes in zip(recs, created, strict=True)),
        )
    return recs


def recommendations_bulk_update(
    *, changed: list[tuple[Recommendation, RecommendationData, dict]], by=None, source: str
) -> None:
    """Write records brought to their data by `recommendation_build` (each with its changes, as
    `audit.diff(before, data_snapshot(data))` gives them), and record each update in the history
    exactly as recommendation_update does. A record may come several times (changed step by step,
    each step recorded): it is written once, as its last data says. Tags are rewritten only for the
    relations that changed."""
    if not changed:
        return
    now = timezone.now()
    last: dict[int, tuple[Recommendation, RecommendationData]] = {}
    relations: dict[int, set[str]] = {}
    for rec, data, changes in changed:
        last[rec.pk] = (rec, data)
        relations.setdefault(rec.pk, set()).update(name for name in changes if name in M2M_FIELDS)
    with transaction.atomic():
        recs = []
        for rec, _data in last.values():
            rec.updated = now
            recs.append(rec)
        Recommendation.objects.bulk_update(
            recs, [*SCALAR_FIELDS, "search_document", "updated"], batch_size=BULK_BATCH
        )
        for name in M2M_FIELDS:
            pairs = [(rec, data) for rec, data in last.values() if name in relations[rec.pk]]
            if not pairs:
                continue
            through = Recommendation._meta.get_field(name).remote_field.through
            pks = [rec.pk for rec, _data in pairs]
            for start in range(0, len(pks), BULK_BATCH):
                through.objects.filter(recommendation_id__in=pks[start : start + BULK_BATCH]).delete()
            _insert_tags(name, _through_rows(pairs, names=(name,))[name])
        audit.record_values(
            model=Recommendation,
            action="update",
            by=by,
            source=source,
            entries=((rec.pk, changes, rec.reference) for rec, _data, changes in changed),
        )


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


def recommendation_set_cso_rating(*, recommendation_id: int, rating: str) -> None:
    """Store civil society's latest published rating beside the state's status (the follow-up
    derives it from the assessments, which keep their own history). Not a change of the record:
    neither `updated` nor the record's history moves."""
    Recommendation.objects.filter(pk=recommendation_id).exclude(cso_rating=rating).update(cso_rating=rating)


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


def check_upload(upload) -> None:
    """Refuse a file that is too large, of a kind no importer reads, or whose content does not
    match its extension (a renamed executable, a PDF called .csv); see adolat/lib/uploads.py."""
    uploads.check(
        upload,
        kind="import",
        extensions=uploads.IMPORT_EXTENSIONS,
        describe_types=_("Files of this kind cannot be imported. Upload one of: %(kinds)s.")
        % {"kinds": ", ".join(f".{e}" for e in sorted(uploads.IMPORT_EXTENSIONS))},
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
