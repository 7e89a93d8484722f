"""The vocabularies shipped with the product: states, mechanisms, themes, affected groups, SDG goals
and targets, and the mappings of outside labels (UPR Info issues, UHRI labels) onto them.

The rows live in CSV files under `data/` (origin and licence in `data/README.md`). They are loaded by
the data migration 0003 (with the historical models it is given) and again by
`adolat load-vocabularies` after an upgrade that ships new rows. Loading is an idempotent upsert:

- a row whose code is missing is inserted;
- a name (or title) field that is empty in the database is filled from the file;
- a name that is not empty is never touched: administrators correct translations in the
  administration, and an upgrade must not undo their work. Order and kind are not touched either.

Importers never invent vocabulary entries; they resolve outside labels with `label_mapping()`.
"""

import csv
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from . import countries

DATA_DIR = Path(__file__).resolve().parent / "data"

# Files of label mappings, by LabelMapping.source.
MAPPING_FILES = {"upr_info": "upr_info_mapping.csv", "uhri": "uhri_mapping.csv"}

MODEL_NAMES = (
    "Country",
    "Mechanism",
    "Theme",
    "AffectedGroup",
    "SdgGoal",
    "SdgTarget",
    "LabelMapping",
)

NAME_FIELDS = ("name_tg", "name_ru", "name_en")


def read_rows(filename: str) -> list[dict[str, str]]:
    """The rows of a data file, values stripped. UTF-8 with a header line; a BOM is tolerated
    because spreadsheet programs add one when somebody edits the file."""
    with (DATA_DIR / filename).open(encoding="utf-8-sig", newline="") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def normalise_label(label: str) -> str:
    """How outside labels are compared: no case, no surrounding or repeated spaces."""
    return " ".join(unicodedata.normalize("NFC", label or "").casefold().split())


def _upsert(model, rows: Iterable[dict], *, key: str, fill: Iterable[str]) -> dict[str, int]:
    """Insert the rows whose `key` is missing; in existing rows, fill the `fill` fields that are
    empty. Returns {"created": n, "filled": n} (filled counts rows, not fields)."""
    fill = tuple(fill)
    existing = {str(getattr(obj, key)): obj for obj in model.objects.all()}
    new, filled = [], 0
    for row in rows:
        obj = existing.get(str(row[key]))
        if obj is None:
            new.append(model(**row))
            continue
        empty = [f for f in fill if row.get(f) and not (getattr(obj, f) or "").strip()]
        if empty:
            for f in empty:
                setattr(obj, f, row[f])
            obj.save(update_fields=empty)
            filled += 1
    model.objects.bulk_create(new)
    return {"created": len(new), "filled": filled}


def load_mechanisms(Mechanism) -> dict[str, int]:  # noqa: N803 — a model class, historical in migrations
    rows = [{**row, "sort_order": int(row["sort_order"])} for row in read_rows("mechanisms.csv")]
    return _upsert(Mechanism, rows, key="code", fill=NAME_FIELDS)


def load_themes(Theme) -> dict[str, int]:  # noqa: N803
    rows = [{**row, "sort_order": int(row["sort_order"])} for row in read_rows("themes.csv")]
    return _upsert(Theme, rows, key="code", fill=NAME_FIELDS)


def load_affected_groups(AffectedGroup) -> dict[str, int]:  # noqa: N803
    rows = [{**row, "sort_order": int(row["sort_order"])} for row in read_rows("affected_groups.csv")]
    return _upsert(AffectedGroup, rows, key="code", fill=NAME_FIELDS)


def load_sdg(SdgGoal, SdgTarget) -> dict[str, int]:  # noqa: N803
    """The 17 goals and 169 targets. A target's `sort_order` is its place in the file (the UN's
    order: 1.1 ... 1.5, 1.a, 1.b), which sorting the codes as text or numbers would not give."""
    goals, targets = [], []
    for position, row in enumerate(read_rows("sdg.csv"), start=1):
        titles = {f"title_{lang}": row[f"title_{lang}"] for lang in ("tg", "ru", "en")}
        if row["level"] == "goal":
            shorts = {f"short_{lang}": row[f"short_{lang}"] for lang in ("tg", "ru", "en")}
            goals.append({"number": int(row["code"]), **titles, **shorts})
        elif row["level"] == "target":
            targets.append(
                {"code": row["code"], "goal_id": int(row["goal"]), "sort_order": position, **titles}
            )
    title_fields = ("title_tg", "title_ru", "title_en")
    short_fields = ("short_tg", "short_ru", "short_en")
    result = _upsert(SdgGoal, goals, key="number", fill=title_fields + short_fields)
    target_result = _upsert(SdgTarget, targets, key="code", fill=title_fields)
    return {
        "goals_created": result["created"],
        "goals_filled": result["filled"],
        "created": target_result["created"],
        "filled": target_result["filled"],
    }


def load_label_mappings(LabelMapping, Theme, AffectedGroup, source: str) -> dict[str, int]:  # noqa: N803
    """The mappings of one source's labels. Each file row maps a label onto a theme or a group
    (or both); a label with several targets has several rows. An unknown code is an error in the
    shipped data, so it stops the load rather than dropping a mapping silently."""
    themes = dict(Theme.objects.values_list("code", "pk"))
    groups = dict(AffectedGroup.objects.values_list("code", "pk"))
    # Compared as importers compare labels, so that an administrator's re-spelling of a label
    # ("women's rights") is not doubled by the shipped one on the next load.
    existing = {
        (normalise_label(label), theme_id, group_id)
        for label, theme_id, group_id in LabelMapping.objects.filter(source=source).values_list(
            "label", "theme_id", "affected_group_id"
        )
    }
    new = []
    for row in read_rows(MAPPING_FILES[source]):
        theme_code, group_code = row["theme_code"], row["group_code"]
        if (theme_code and theme_code not in themes) or (group_code and group_code not in groups):
            raise ValueError(
                f"{MAPPING_FILES[source]}: {row['label']!r} maps onto an unknown code "
                f"({theme_code or group_code!r})."
            )
        if not (theme_code or group_code):
            raise ValueError(f"{MAPPING_FILES[source]}: {row['label']!r} maps onto nothing.")
        theme_id, group_id = themes.get(theme_code), groups.get(group_code)
        key = (normalise_label(row["label"]), theme_id, group_id)
        if key not in existing:
            existing.add(key)
            new.append(
                LabelMapping(source=source, label=row["label"], theme_id=theme_id, affected_group_id=group_id)
            )
    LabelMapping.objects.bulk_create(new)
    return {"created": len(new), "filled": 0}


def _models(apps_or_models) -> dict:
    """The model classes by name, from an app registry (`apps` in a migration, or
    `django.apps.apps`) or from a mapping {"Theme": Theme, ...}."""
    if isinstance(apps_or_models, Mapping):
        return {name: apps_or_models[name] for name in MODEL_NAMES}
    return {name: apps_or_models.get_model("recommendations", name) for name in MODEL_NAMES}


def load_all(apps_or_models) -> dict[str, dict[str, int]]:
    """Load every vocabulary; returns what was created and filled, per vocabulary. Safe to run
    any number of times. The caller decides on the transaction (a migration already has one)."""
    m = _models(apps_or_models)
    result = {
        "countries": {"created": countries.load(m["Country"]), "filled": 0},
        "mechanisms": load_mechanisms(m["Mechanism"]),
        "themes": load_themes(m["Theme"]),
        "affected_groups": load_affected_groups(m["AffectedGroup"]),
    }
    sdg = load_sdg(m["SdgGoal"], m["SdgTarget"])
    result["sdg_goals"] = {"created": sdg["goals_created"], "filled": sdg["goals_filled"]}
    result["sdg_targets"] = {"created": sdg["created"], "filled": sdg["filled"]}
    for source in MAPPING_FILES:
        result[f"label_mappings_{source}"] = load_label_mappings(
            m["LabelMapping"], m["Theme"], m["AffectedGroup"], source
        )
    return result


class LabelTable(dict):
    """{normalised label: (themes, groups)} that also answers lookups by a label as found in a
    file (" Women's RIGHTS " finds "Women's rights")."""

    def __getitem__(self, label: str):
        return super().__getitem__(normalise_label(label))

    def __contains__(self, label: object) -> bool:
        return isinstance(label, str) and super().__contains__(normalise_label(label))

    def get(self, label: str, default=None):
        return super().get(normalise_label(label), default)


def label_mapping(source: str) -> LabelTable:
    """Every label of `source` with the themes and groups it maps onto, in one query, for an
    importer to resolve a whole file against. Labels differing only in case or spacing (an
    administrator may add "women's rights" next to "Women's rights") are merged."""
    from .models import LabelMapping

    table = LabelTable()
    mappings = (
        LabelMapping.objects.filter(source=source)
        .select_related("theme", "affected_group")
        .order_by("theme__sort_order", "affected_group__sort_order", "pk")
    )
    for mapping in mappings:
        themes, groups = table.setdefault(normalise_label(mapping.label), ([], []))
        if mapping.theme is not None and mapping.theme not in themes:
            themes.append(mapping.theme)
        if mapping.affected_group is not None and mapping.affected_group not in groups:
            groups.append(mapping.affected_group)
    return table
